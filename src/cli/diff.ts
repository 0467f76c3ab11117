/** `kmatrix diff A B`: per-cell transitions and per-diagnostic changes between two commits. */
import type { Command } from 'commander';
import { resolveRevisions } from '../workspace/git.js';
import { ensureBuilds } from '../compare/builds.js';
import { diffBuilds, diffExitCode } from '../compare/diff.js';
import { compareToolchains, splitCellName, toolchainExitCode } from '../compare/toolchains.js';
import { cellMatcher } from '../matrix/glob.js';
import type { Cell } from '../matrix/load.js';
import { diffJson, renderDiffText } from '../report/diff-text.js';
import { renderToolchainsText, toolchainsJson } from '../report/toolchains-text.js';
import { buildReproducer } from '../report/enrich.js';
import { InputError } from '../errors.js';
import { storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, paths, runAction, withBuildContext, type CommandDeps, type CommandResult, type StoreFlags } from './command.js';
import { addShardOptions, selectCells, type CellOptions } from './options.js';
import { preflight } from './preflight.js';

/** Flags of `kmatrix diff`. */
export interface DiffFlags extends StoreFlags, Pick<CellOptions, 'shard' | 'shards' | 'shardWeights'> {
  noBuild?: boolean;
  /** commander's negation of --no-build. */
  build?: boolean;
  rebuild?: boolean;
  /** `--toolchains A,B`: put two toolchains of one commit side by side instead of comparing two commits. */
  toolchains?: string;
}

/** Resolve exactly one revision (a range is a usage error). */
async function oneRevision(tree: string, rev: string): Promise<string> {
  if (rev.includes('..')) throw new InputError('revision', null, null, `diff takes two commits, not a range ('${rev}')`);
  return (await resolveRevisions(tree, [rev]))[0]!;
}

/** Run `kmatrix diff A B` (building what is missing unless --no-build), or `diff --toolchains X,Y REV`; returns exit code and output. */
export async function diffCommand(a: string, b: string | undefined, f: DiffFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  if (f.toolchains !== undefined) {
    if (b !== undefined) throw new InputError('--toolchains', null, null, `compares the toolchains of one commit; got two ('${a}' '${b}')`);
    return toolchainsCommand(a, f, deps);
  }
  if (b === undefined) throw new InputError('revision', null, null, `diff takes two commits A B (or --toolchains X,Y REV for one commit's toolchains side by side)`);
  const { matrix, cells, shard } = selectCells(f);
  const { tree, dbPath } = paths(f, deps);
  const from = await oneRevision(tree, a);
  const to = await oneRevision(tree, b);
  // An empty shard still checks its tree, revisions and --db: a typo must not pass as a green shard.
  await preflight({ tree, revs: [from, to], cells: cells.length ? cells : matrix.cells, dbPath });
  if (shard && cells.length === 0) return { code: CODES.OK, stdout: `shard ${shard.index}/${shard.total}: no cells\n`, stderr: '' };
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

/** The two toolchain names of `--toolchains X,Y`, checked against the matrix's toolchains (exit 2 otherwise). */
export function toolchainPair(value: string, known: readonly string[]): [string, string] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length !== 2 || names[0] === names[1]) {
    throw new InputError('--toolchains', null, null, `expects two different toolchain names separated by a comma (e.g. gcc,clang), got '${value}'`);
  }
  if (known.length < 2) {
    throw new InputError('--toolchains', null, null, `the matrix has ${known.length === 1 ? `one toolchain (${known[0]})` : 'no toolchain'}; use a matrix with a toolchains: section naming both (e.g. matrix/zsmalloc-arm-gcc-clang.yaml)`);
  }
  for (const n of names) {
    if (!known.includes(n)) throw new InputError('--toolchains', null, null, `unknown toolchain '${n}' (the matrix has: ${known.join(', ')})`);
  }
  return [names[0]!, names[1]!];
}

/**
 * The cells to build for `--toolchains X,Y`: every base cell (`<config>/<variant>`) the matrix builds with both, as
 * base names in matrix order and their X and Y cells; `--cells` keeps a pair when it matches the base or either name.
 */
export function toolchainCells(cells: readonly Cell[], pair: [string, string], glob?: string): { bases: string[]; cells: Cell[] } {
  const match = glob === undefined ? () => true : cellMatcher(glob);
  const byBase = new Map<string, Map<string, Cell>>();
  for (const c of cells) {
    if (!pair.includes(c.toolchain.name)) continue;
    const base = splitCellName(c.name).base;
    const m = byBase.get(base) ?? new Map<string, Cell>();
    m.set(c.toolchain.name, c);
    byBase.set(base, m);
  }
  const bases = [...byBase].filter(([base, m]) => m.size === 2 && (match(base) || [...m.values()].some((c) => match(c.name)))).map(([base]) => base);
  if (!bases.length) {
    throw new InputError('--cells', null, null, `no cell is built with both ${pair.join(' and ')}${glob !== undefined ? ` among '${glob}'` : ''}`);
  }
  return { bases, cells: bases.flatMap((base) => pair.map((t) => byBase.get(base)!.get(t)!)) };
}

/** Run `kmatrix diff --toolchains X,Y REV`: build (or take from the store) REV with both toolchains and compare them cell by cell. */
export async function toolchainsCommand(rev: string, f: DiffFlags, deps: CommandDeps = {}): Promise<CommandResult> {
  if (f.shard !== undefined && f.shard !== false) {
    throw new InputError('--shard', null, null, 'diff --toolchains compares whole cells across toolchains; run it without --shard (e.g. on the merged store with --no-build)');
  }
  const { matrix, cells: all } = selectCells({ ...f, cells: undefined });
  const known = [...new Set(matrix.cells.map((c) => c.toolchain.name))];
  const pair = toolchainPair(f.toolchains!, known);
  const { bases, cells } = toolchainCells(all, pair, f.cells);
  const { tree, dbPath } = paths(f, deps);
  const sha = await oneRevision(tree, rev);
  await preflight({ tree, revs: [sha], cells, dbPath });
  return withBuildContext(f, deps, { matrix, cells, command: `diff --toolchains ${pair.join(',')} ${rev}` }, async (ctx) => {
    const got = await ensureBuilds({ ...ctx, shas: [sha], noBuild: f.noBuild === true || f.build === false, rebuild: f.rebuild });
    const builds = got.builds.get(sha) ?? [];
    const result = compareToolchains(sha, pair, bases, builds);
    const code = toolchainExitCode(result);
    const subject = storedCommit(ctx.store, sha)?.subject ?? '';
    const repro = new Map(builds.filter((x) => x.status === 'FAIL').map((x) => [x.cell, buildReproducer(x)]));
    if (f.json) {
      const doc = toolchainsJson(result, { subject, built: got.built });
      doc['reproducers'] = Object.fromEntries([...repro].filter(([, r]) => r));
      return { code, stdout: JSON.stringify(doc, null, 2) + '\n', stderr: '' };
    }
    let text = renderToolchainsText(result, subject);
    const one = new Set(result.cells.filter((c) => c.verdict === 'only-one-fails').map((c) => (c.failsOnlyWith === pair[0] ? c.a.cell : c.b.cell)));
    const reps = [...repro].filter(([c, r]) => r && one.has(c));
    if (reps.length) text += `\nreproducers (cells failing with one toolchain only):\n\n${reps.map(([c, r]) => `## ${c}\n${r}`).join('\n')}`;
    return { code, stdout: text, stderr: '' };
  });
}

/** Register `kmatrix diff`. */
export function registerDiffCommand(program: Command, deps: CommandDeps = {}): void {
  addShardOptions(addStoreFlags(
    program
      .command('diff')
      .description('compare two commits cell by cell: regression / fixed / still-failing / still-passing / not-comparable; or, with --toolchains X,Y REV, two toolchains of one commit')
      .argument('<a>', 'old commit (with --toolchains: the commit)')
      .argument('[b]', 'new commit (not with --toolchains)')
      .option('--toolchains <x,y>', 'put two toolchains of the matrix side by side at one commit: fails only with X / only with Y / same / unknown (exit 1 / 3 / 0)')
      .option('--json', 'print {"from","to","cells":[…],"diagnostics":[…]}')
      .option('--no-build', 'do not build what the store lacks (exit 2 naming it)')
      .option('--rebuild', 'build both commits again even if recorded'),
    true,
  )).action((a: string, b: string | undefined, f: DiffFlags) => runAction(deps, (d) => diffCommand(a, b, f, d)));
}
