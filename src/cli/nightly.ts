/** `kmatrix nightly --ref REF`: build, compare with the last nightly (or a baseline), record, write reports. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { startBisect } from '../compare/bisect.js';
import { regressionCells } from '../compare/diff.js';
import { runNightly } from '../compare/nightly.js';
import { renderBisectText } from '../report/bisect-text.js';
import { renderDiffText } from '../report/diff-text.js';
import { renderHistoryHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderNightlyMarkdown } from '../report/markdown.js';
import { nightlyJson, nightlyReport } from '../report/nightly-report.js';
import { addStoreFlags, paths, runAction, withBuildContext, type CommandDeps, type CommandResult, type StoreFlags } from './command.js';
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
  const { tree, dbPath } = paths(f, deps);
  await preflight({ tree, revs: [f.ref, ...(f.baseline && f.baseline !== 'last' ? [f.baseline] : [])], cells, dbPath });
  return withBuildContext(f, deps, { matrix, cells, command: `nightly --ref ${f.ref}` }, async (ctx) => {
    const out = await runNightly({ ...ctx, ref: f.ref, baseline: f.baseline, rebuild: f.rebuild, noBuild: f.build === false });
    const { report, grid } = nightlyReport(out);
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
      // Each regression of this nightly (new errors in an already failing cell included: the bisect target is the
      // errors the baseline lacks), bisected between the baseline and REF.
      for (const c of regressionCells(report.diff).all) {
        if (ctx.signal?.aborted) break;
        const cell = cells.find((x) => x.name === c.cell);
        if (!cell) continue;
        const b = await startBisect({ ...ctx, command: `nightly --bisect ${cell.name}` }, { cell, good: report.baselineSha, bad: report.sha, reverse: false, match: null });
        bisects += `\n${renderBisectText(b)}`;
      }
    }
    return { code: report.exitCode, stdout: head + renderDiffText(report.diff, subjects) + bisects, stderr: '' };
  });
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
      .option('--bisect', 'bisect each new regression (also new errors in an already failing cell) between the baseline and REF (kmatrix bisect, stored)'),
    true,
  ).action((f: Omit<NightlyFlags, 'json'> & { json?: string }) => runAction(deps, (d) => nightlyCommand({ ...f, json: false, jsonFile: f.json }, d)));
}
