/** `kmatrix bisect`: find the commit that introduced (or, with --reverse, fixed) one build failure of one cell. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { commonGitDir, resolveRevisions } from '../build/git.js';
import {
  bisectSteps,
  candidateList,
  createBisect,
  loadBisect,
  parseMatch,
  renderBisectText,
  runBisect,
  targetHits,
  type BisectOutcome,
  type BisectRow,
} from '../compare/bisect.js';
import { buildReproducer } from '../compare/enrich.js';
import { InputError } from '../matrix/errors.js';
import { cellMatcher } from '../matrix/glob.js';
import type { Cell } from '../matrix/load.js';
import { checkStorePath, openStore } from '../store/db.js';
import { loadBuild, storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, emit, interruptible, paths, runtimeFor, type CommandDeps, type CommandResult, type StoreFlags } from './compare-common.js';
import { selectCells } from './options.js';
import { checkKernelCommits } from './preflight.js';

/** Flags of `kmatrix bisect`. */
export interface BisectFlags extends StoreFlags {
  good?: string;
  bad?: string;
  cell?: string;
  match?: string;
  reverse?: boolean;
  resume?: boolean;
  /** `--log` (true: the latest) or `--log ID`. */
  log?: boolean | string;
}

/** Extra hooks for tests. */
export interface BisectDeps extends CommandDeps {
  /** Called after each recorded step (abort deps.signal here to simulate Ctrl-C). */
  onStep?: (sha: string, verdict: string, n: number) => void;
}

/** The one cell a `--cell` name or glob selects (exit-2 InputError listing the candidates otherwise). */
export function oneCell(cells: readonly Cell[], pattern: string): Cell {
  const exact = cells.find((c) => c.name === pattern);
  if (exact) return exact;
  const hit = cells.filter((c) => cellMatcher(pattern)(c.name));
  if (hit.length === 1) return hit[0]!;
  const list = (hit.length ? hit : cells).map((c) => c.name).join(', ');
  throw new InputError('--cell', null, null, hit.length ? `'${pattern}' matches ${hit.length} cells, bisect takes one: ${list}` : `'${pattern}' matches no cell (cells: ${list})`);
}

/** The JSON document of a bisect outcome. */
function jsonOf(o: Pick<BisectOutcome, 'doc'>): string {
  return JSON.stringify(o.doc, null, 2) + '\n';
}

/** Exit code: 0 found, 1 ambiguous (only skipped commits left), 2 invalid endpoints, 3 interrupted. */
function codeOf(state: string): number {
  return state === 'found' ? CODES.OK : state === 'ambiguous' ? CODES.FAIL : state === 'invalid' ? CODES.USAGE : CODES.INFRA;
}

/** Run `kmatrix bisect` (start, --resume or --log); returns exit code and output. */
export async function bisectCommand(f: BisectFlags, deps: BisectDeps = {}): Promise<CommandResult> {
  try {
    return await bisectInner(f, deps);
  } catch (e) {
    if (e instanceof InputError) return { code: CODES.USAGE, stdout: '', stderr: `kmatrix: ${e.message}\n` };
    throw e;
  }
}

/** A new bisect's inputs, all checked before the store is opened (bad input: exit 2, nothing written). */
async function checkNewBisect(f: BisectFlags, deps: BisectDeps, dbPath: string) {
  if (!f.good || !f.bad || !f.cell) throw new InputError('bisect', null, null, 'needs --good REV --bad REV --cell CELL (or --resume, --log)');
  if (f.match) {
    try {
      parseMatch(f.match);
    } catch (e) {
      throw new InputError('--match', null, null, (e as Error).message);
    }
  }
  const tree = paths(f, deps).tree;
  const { matrix, cells } = selectCells({ matrix: f.matrix });
  const cell = oneCell(cells, f.cell);
  await commonGitDir(tree);
  const good = (await resolveRevisions(tree, [f.good]))[0]!;
  const bad = (await resolveRevisions(tree, [f.bad]))[0]!;
  if (good === bad) throw new InputError('--good', null, null, `--good ${f.good} and --bad ${f.bad} are the same commit (${good.slice(0, 12)}): nothing to bisect`);
  try {
    await candidateList(tree, good, bad);
  } catch (e) {
    const msg = (e as Error).message;
    if (/not an ancestor/.test(msg)) throw new InputError('--good', null, null, `${msg} (unrelated or swapped endpoints; --reverse looks for a fix)`);
    throw e;
  }
  await checkKernelCommits(tree, [good, bad], [cell]);
  checkStorePath(dbPath);
  return { tree, matrix, cell, good, bad };
}

async function bisectInner(f: BisectFlags, deps: BisectDeps): Promise<CommandResult> {
  const { dbPath, resultsDir, cache } = paths(f, deps);
  const reading = f.resume === true || (f.log !== undefined && f.log !== false);
  if (reading && !existsSync(dbPath)) throw new InputError('--db', null, null, `${dbPath}: no result store (nothing to ${f.resume ? 'resume' : 'show'})`);
  const fresh = reading ? null : await checkNewBisect(f, deps, dbPath);
  const store = openStore(dbPath);
  try {
    if (f.log !== undefined && f.log !== false) {
      const id = typeof f.log === 'string' ? Number(f.log) : undefined;
      if (id !== undefined && !Number.isInteger(id)) throw new InputError('--log', null, null, `expects a bisect id, got '${String(f.log)}'`);
      const row = loadBisect(store, { id });
      if (!row) throw new InputError('--log', null, null, id ? `no bisect #${id} in ${dbPath}` : `no bisect recorded in ${dbPath}`);
      return show(store, row, f.json === true);
    }
    let resumed: BisectRow | null = null;
    let tree: string;
    let matrix;
    let cell: Cell;
    if (!fresh) {
      resumed = loadBisect(store, { running: true });
      if (!resumed) throw new InputError('--resume', null, null, `no unfinished bisect in ${dbPath}`);
      tree = f.tree ? resolve(f.tree) : resumed.tree;
      const sel = selectCells({ matrix: f.matrix ?? resumed.matrix ?? undefined });
      matrix = sel.matrix;
      cell = oneCell(sel.cells, resumed.cell);
      if (cell.hash !== resumed.configHash) throw new InputError('--resume', null, null, `cell ${cell.name} changed since bisect #${resumed.id} started (config hash)`);
    } else {
      ({ tree, matrix, cell } = fresh);
    }
    const rt = runtimeFor([cell], f, deps, cache);
    const row: BisectRow =
      resumed ??
      loadBisect(store, {
        id: createBisect(store, {
          tree,
          matrix: matrix.path,
          cell: cell.name,
          configHash: cell.hash,
          runtime: rt.name,
          good: fresh!.good,
          bad: fresh!.bad,
          reverse: f.reverse === true,
          match: f.match ?? null,
        }),
      })!;
    let out: BisectOutcome;
    try {
      out = await runBisect({
        store,
        bisect: row,
        tree,
        matrix,
        cell,
        runtime: rt.get,
        cache,
        resultsDir,
        jobs: f.jobs,
        makeJobs: f.makeJobs,
        command: deps.command ?? `bisect ${row.good.slice(0, 12)}..${row.bad.slice(0, 12)} ${cell.name}`,
        progress: deps.progress,
        signal: deps.signal,
        onStep: (s, n) => deps.onStep?.(s.sha, s.verdict, n),
      });
    } catch (e) {
      if (/not an ancestor|same commit/.test((e as Error).message)) throw new InputError('bisect', null, null, (e as Error).message);
      throw e;
    }
    const code = codeOf(out.row.state);
    if (f.json) return { code, stdout: jsonOf(out), stderr: out.row.state === 'invalid' ? `kmatrix: ${out.doc.message}\n` : '' };
    const repro = out.answerBuild && out.answerBuild.status !== 'PASS' ? buildReproducer(out.answerBuild) : null;
    return { code, stdout: renderBisectText(out, repro), stderr: out.row.state === 'invalid' ? `kmatrix: ${out.doc.message}\n` : '' };
  } finally {
    store.close();
  }
}

/** `--log`: a recorded bisect from the store alone. */
function show(store: ReturnType<typeof openStore>, row: BisectRow, json: boolean): CommandResult {
  const steps = bisectSteps(store, row.id);
  const doc = row.result ?? {
    id: row.id,
    state: row.state,
    firstBad: null,
    candidates: [],
    target: row.target ?? [],
    builds: steps.length,
    skipped: steps.filter((s) => s.verdict === 'skip').map((s) => s.sha),
    seconds: Math.round(steps.reduce((a, s) => a + s.seconds, 0) * 10) / 10,
    message: 'unfinished',
  };
  if (json) return { code: CODES.OK, stdout: JSON.stringify({ ...doc, bisect: { ...row, result: undefined }, steps }, null, 2) + '\n', stderr: '' };
  const commits = new Map();
  for (const s of [row.good, row.bad, ...steps.map((x) => x.sha), ...doc.candidates]) {
    const c = storedCommit(store, s);
    if (c) commits.set(s, c);
  }
  const failStep = steps.find((s) => s.sha === (row.reverse ? row.good : row.bad));
  const failing = failStep?.buildId ? loadBuild(store, failStep.buildId) : null;
  const targetDiagnostics = failing ? targetHits(failing, new Set(row.target ?? [])) : [];
  return { code: CODES.OK, stdout: renderBisectText({ row, doc, steps, targetDiagnostics, commits }), stderr: '' };
}

/** Register `kmatrix bisect`. */
export function registerBisectCommand(program: Command, deps: CommandDeps = {}): void {
  addStoreFlags(
    program
      .command('bisect')
      .description('find the commit that introduced (--reverse: fixed) one build failure of one cell')
      .option('--good <rev>', 'commit without the failure (with --reverse: with it)')
      .option('--bad <rev>', 'commit with the failure (with --reverse: without it)')
      .option('--cell <name|glob>', 'the one cell to build (a glob must match exactly one)')
      .option('--match <filter>', 'the failure: fingerprint:<hex> | <hex> | symbol:NAME | file:PATH | kind:KIND (default: errors at bad, not at good)')
      .option('--reverse', 'find the fix: --good fails, --bad passes')
      .option('--resume', 'continue the latest unfinished bisect')
      .option('--log [id]', 'show the latest (or the given) recorded bisect')
      .option('--json', 'print {"firstBad","target","builds","skipped","seconds",…}'),
    true,
  ).action(async (f: BisectFlags) => {
    const intr = deps.signal ? null : interruptible();
    try {
      emit(await bisectCommand(f, { ...deps, signal: deps.signal ?? intr?.signal, command: process.argv.slice(2).join(' ') }));
    } finally {
      intr?.dispose();
    }
  });
}
