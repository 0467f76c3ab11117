/** `kmatrix diff A B`: per-cell transitions and per-diagnostic changes between two commits. */
import type { Command } from 'commander';
import { resolveRevisions } from '../build/git.js';
import { ensureBuilds, MissingBuildsError } from '../compare/builds.js';
import { diffBuilds, diffExitCode, diffJson, renderDiffText } from '../compare/diff.js';
import { buildReproducer } from '../compare/enrich.js';
import { InputError } from '../matrix/errors.js';
import { openStore } from '../store/db.js';
import { storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, emit, interruptible, paths, runtimeFor, type CommandDeps, type CommandResult, type StoreFlags } from './compare-common.js';
import { addShardOptions, selectCells } from './options.js';
import { preflight } from './preflight.js';

/** Flags of `kmatrix diff`. */
export interface DiffFlags extends StoreFlags {
  noBuild?: boolean;
  /** commander's negation of --no-build. */
  build?: boolean;
  rebuild?: boolean;
}

/** Resolve exactly one revision (a range is a usage error). */
async function oneRevision(tree: string, rev: string): Promise<string> {
  if (rev.includes('..')) throw new InputError('revision', null, null, `diff takes two commits, not a range ('${rev}')`);
  return (await resolveRevisions(tree, [rev]))[0]!;
}

/** Run `kmatrix diff A B` (building what is missing unless --no-build); returns exit code and output. */
export async function diffCommand(a: string, b: string, f: DiffFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  const { matrix, cells, shard } = selectCells(f);
  if (shard && cells.length === 0) return { code: CODES.OK, stdout: `shard ${shard.index}/${shard.total}: no cells\n`, stderr: '' };
  const { tree, dbPath, resultsDir, cache } = paths(f, deps);
  const from = await oneRevision(tree, a);
  const to = await oneRevision(tree, b);
  await preflight({ tree, revs: [from, to], cells, dbPath });
  const rt = runtimeFor(cells, f, deps, cache);
  const store = openStore(dbPath);
  try {
    let got;
    try {
      got = await ensureBuilds({
        store,
        tree,
        matrix,
        cells,
        shas: [...new Set([from, to])],
        runtimeName: rt.name,
        runtime: rt.get,
        noBuild: f.noBuild === true || f.build === false,
        rebuild: f.rebuild,
        cache,
        resultsDir,
        jobs: f.jobs,
        makeJobs: f.makeJobs,
        command: deps.command ?? `diff ${a} ${b}`,
        progress: deps.progress,
        signal: deps.signal,
      });
    } catch (e) {
      if (e instanceof MissingBuildsError) {
        const list = e.missing.map((m) => `  ${m.cell} @ ${m.sha.slice(0, 12)}`).join('\n');
        return { code: CODES.USAGE, stdout: '', stderr: `kmatrix: missing builds (${rt.name} runtime, current cell config); run without --no-build to build them:\n${list}\n` };
      }
      throw e;
    }
    const fromBuilds = got.builds.get(from) ?? [];
    const toBuilds = got.builds.get(to) ?? [];
    const result = diffBuilds(fromBuilds, toBuilds, { fromSha: from, toSha: to, order: cells.map((c) => c.name) });
    const code = deps.signal?.aborted ? CODES.INFRA : diffExitCode(result);
    const subjects: Record<string, string> = {};
    for (const sha of [from, to]) subjects[sha] = storedCommit(store, sha)?.subject ?? '';
    const failing = toBuilds.filter((x) => x.status !== 'PASS');
    const repro = new Map(failing.map((x) => [x.cell, buildReproducer(x)]));
    if (f.json) {
      const doc = diffJson(result, { fromSubject: subjects[from], toSubject: subjects[to], built: got.built });
      doc['cells'] = result.cells.map((c) => ({ ...c, reproducer: repro.get(c.cell) ?? null }));
      return { code, stdout: JSON.stringify(doc, null, 2) + '\n', stderr: '' };
    }
    let text = renderDiffText(result, subjects);
    const reps = [...repro].filter(([, r]) => r);
    if (reps.length) text += `\nreproducers (failing cells at ${to.slice(0, 12)}):\n\n${reps.map(([c, r]) => `## ${c}\n${r}`).join('\n')}`;
    return { code, stdout: text, stderr: '' };
  } finally {
    store.close();
  }
}

/** Register `kmatrix diff`. */
export function registerDiffCommand(program: Command, deps: CommandDeps = {}): void {
  addShardOptions(addStoreFlags(
    program
      .command('diff')
      .description('compare two commits cell by cell: regression / fixed / still-failing / still-passing / not-comparable')
      .argument('<a>', 'old commit')
      .argument('<b>', 'new commit')
      .option('--json', 'print {"from","to","cells":[…],"diagnostics":[…]}')
      .option('--no-build', 'do not build what the store lacks (exit 2 naming it)')
      .option('--rebuild', 'build both commits again even if recorded'),
    true,
  )).action(async (a: string, b: string, f: DiffFlags) => {
    const intr = deps.signal ? null : interruptible();
    try {
      emit(await diffCommand(a, b, f, { ...deps, signal: deps.signal ?? intr?.signal, command: process.argv.slice(2).join(' ') }));
    } finally {
      intr?.dispose();
    }
  });
}
