/** `kmatrix nightly --ref REF`: build, compare with the last nightly (or a baseline), record, write reports. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { MissingBuildsError } from '../compare/builds.js';
import { renderDiffText } from '../compare/diff.js';
import { createBisect, loadBisect, renderBisectText, runBisect } from '../compare/bisect.js';
import { nightlyJson, runNightly } from '../compare/nightly.js';
import { renderHistoryHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderNightlyMarkdown } from '../report/markdown.js';
import { openStore } from '../store/db.js';
import { addStoreFlags, CODES, emit, interruptible, paths, runtimeFor, type CommandDeps, type CommandResult, type StoreFlags } from './compare-common.js';
import { selectCells } from './options.js';
import { preflight } from './preflight.js';

/** Flags of `kmatrix nightly`. */
export interface NightlyFlags extends StoreFlags {
  ref: string;
  baseline?: string;
  junit?: string;
  markdown?: string;
  html?: string;
  /** `--json FILE`. */
  jsonFile?: string;
  rebuild?: boolean;
  build?: boolean;
  /** Bisect each new regression between the baseline and REF. */
  bisect?: boolean;
}

function write(file: string, text: string): void {
  const p = resolve(file);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

/** Run `kmatrix nightly`; writes the requested report files, returns exit code and the text summary. */
export async function nightlyCommand(f: NightlyFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  const { matrix, cells } = selectCells(f);
  const { tree, dbPath, resultsDir, cache } = paths(f, deps);
  await preflight({ tree, revs: [f.ref, ...(f.baseline && f.baseline !== 'last' ? [f.baseline] : [])], cells, dbPath });
  const rt = runtimeFor(cells, f, deps, cache);
  const store = openStore(dbPath);
  try {
    let out;
    try {
      out = await runNightly({
        store,
        tree,
        matrix,
        cells,
        ref: f.ref,
        baseline: f.baseline,
        runtimeName: rt.name,
        runtime: rt.get,
        rebuild: f.rebuild,
        noBuild: f.build === false,
        cache,
        resultsDir,
        jobs: f.jobs,
        makeJobs: f.makeJobs,
        command: deps.command ?? `nightly --ref ${f.ref}`,
        progress: deps.progress,
        signal: deps.signal,
      });
    } catch (e) {
      if (e instanceof MissingBuildsError) return { code: CODES.USAGE, stdout: '', stderr: `kmatrix: ${e.message}\n` };
      throw e;
    }
    const { report, grid } = out;
    if (f.junit) write(f.junit, renderJunit(report));
    if (f.markdown) write(f.markdown, renderNightlyMarkdown(report));
    if (f.jsonFile) write(f.jsonFile, JSON.stringify(nightlyJson(report), null, 2) + '\n');
    if (f.html) write(f.html, renderHistoryHtml(grid));
    const subjects = { [report.sha]: report.subject, ...(report.baselineSha ? { [report.baselineSha]: report.baselineSubject ?? '' } : {}) };
    const head =
      `nightly #${report.id}${report.partial ? ` PARTIAL (${report.partial})` : ''} ${matrix.name} ${f.ref} = ${report.sha.slice(0, 12)}, ` +
      `baseline ${report.baselineSha ? report.baselineSha.slice(0, 12) : 'none'}${report.baselineNote ? `: ${report.baselineNote}` : ''}\n`;
    let bisects = '';
    if (f.bisect && report.baselineSha) {
      // Each regression of this nightly, bisected between the previous nightly and REF.
      for (const c of report.diff.cells.filter((x) => x.transition === 'regression')) {
        if (deps.signal?.aborted) break;
        const cell = cells.find((x) => x.name === c.cell);
        if (!cell) continue;
        const id = createBisect(store, {
          tree,
          matrix: matrix.path,
          cell: cell.name,
          configHash: cell.hash,
          runtime: rt.name,
          good: report.baselineSha,
          bad: report.sha,
          reverse: false,
          match: null,
        });
        const b = await runBisect({
          store,
          bisect: loadBisect(store, { id })!,
          tree,
          matrix,
          cell,
          runtime: rt.get,
          cache,
          resultsDir,
          jobs: f.jobs,
          makeJobs: f.makeJobs,
          command: `nightly --bisect ${cell.name}`,
          progress: deps.progress,
          signal: deps.signal,
        });
        bisects += `\n${renderBisectText(b)}`;
      }
    }
    const code = deps.signal?.aborted ? CODES.INFRA : report.exitCode;
    return { code, stdout: head + renderDiffText(report.diff, subjects) + bisects, stderr: '' };
  } finally {
    store.close();
  }
}

/** Register `kmatrix nightly`. */
export function registerNightlyCommand(program: Command, deps: CommandDeps = {}): void {
  addStoreFlags(
    program
      .command('nightly')
      .description('build REF, compare with the last nightly of this matrix (or --baseline), record it and write reports')
      .requiredOption('--ref <rev>', 'what to build (branch, tag, commit)')
      .option('--baseline <rev|last>', 'compare with this revision instead of the last nightly', 'last')
      .option('--junit <file>', 'JUnit XML (a testcase per cell)')
      .option('--markdown <file>', 'Markdown summary')
      .option('--json <file>', 'JSON document')
      .option('--html <file>', 'self-contained HTML page')
      .option('--rebuild', 'build again even if a result is recorded')
      .option('--no-build', 'build nothing: results come from the store (e.g. merged shards); missing cells are not-built (exit 3), a missing --baseline exits 2')
      .option('--bisect', 'bisect each new regression between the baseline and REF (kmatrix bisect, stored)'),
    true,
  ).action(async (f: Omit<NightlyFlags, 'json'> & { json?: string }) => {
    const intr = deps.signal ? null : interruptible();
    try {
      const flags: NightlyFlags = { ...f, json: false, jsonFile: f.json };
      emit(await nightlyCommand(flags, { ...deps, signal: deps.signal ?? intr?.signal, command: process.argv.slice(2).join(' ') }));
    } finally {
      intr?.dispose();
    }
  });
}
