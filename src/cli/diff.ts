/** `kmatrix diff A B`: per-cell transitions and per-diagnostic changes between two commits. */
import type { Command } from 'commander';
import { resolveRevisions } from '../build/git.js';
import { ensureBuilds } from '../compare/builds.js';
import { diffBuilds, diffExitCode } from '../compare/diff.js';
import { diffJson, renderDiffText } from '../report/diff-text.js';
import { buildReproducer } from '../report/enrich.js';
import { InputError } from '../errors.js';
import { storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, paths, runAction, withBuildContext, type CommandDeps, type CommandResult, type StoreFlags } from './compare-common.js';
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
  const { tree, dbPath } = paths(f, deps);
  const from = await oneRevision(tree, a);
  const to = await oneRevision(tree, b);
  await preflight({ tree, revs: [from, to], cells, dbPath });
  return withBuildContext(f, deps, { matrix, cells, command: `diff ${a} ${b}` }, async (ctx) => {
    const { store } = ctx;
    const got = await ensureBuilds({ ...ctx, shas: [...new Set([from, to])], noBuild: f.noBuild === true || f.build === false, rebuild: f.rebuild });
    const fromBuilds = got.builds.get(from) ?? [];
    const toBuilds = got.builds.get(to) ?? [];
    const result = diffBuilds(fromBuilds, toBuilds, { fromSha: from, toSha: to, order: cells.map((c) => c.name) });
    const code = diffExitCode(result);
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
  });
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
  )).action((a: string, b: string, f: DiffFlags) => runAction(deps, (d) => diffCommand(a, b, f, d)));
}
