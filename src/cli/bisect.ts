/** `kmatrix bisect`: find the commit that introduced (or, with --reverse, fixed) one build failure of one cell. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { commonGitDir, resolveRevisions } from '../workspace/git.js';
import { candidateList, runBisect, startBisect, type BisectOutcome } from '../compare/bisect.js';
import { parseMatch, targetHits } from '../compare/bisect-target.js';
import { renderBisectText } from '../report/bisect-text.js';
import { buildReproducer } from '../report/enrich.js';
import { InputError, UsageError } from '../errors.js';
import { cellMatcher } from '../matrix/glob.js';
import type { Cell } from '../matrix/load.js';
import { bisectSteps, loadBisect, type BisectRow, type StepRow } from '../store/bisects.js';
import { checkStorePath, openStore, type Store } from '../store/db.js';
import { loadBuild, storedCommit } from '../store/queries.js';
import { addStoreFlags, CODES, failure, paths, runAction, withBuildContext, type CommandDeps, type CommandResult, type StoreFlags } from './command.js';
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
    if (e instanceof UsageError) return failure(e);
    throw e;
  }
}

/** The bisect to show (--log) or continue (--resume) from the store, or null to start one. */
function storedBisect(f: BisectFlags, dbPath: string): { show: CommandResult } | { resume: BisectRow } | null {
  if ((f.log === undefined || f.log === false) && !f.resume) return null;
  if (!existsSync(dbPath)) throw new InputError('--db', null, null, `${dbPath}: no result store (nothing to ${f.resume ? 'resume' : 'show'})`);
  const store = openStore(dbPath);
  try {
    if (f.resume) {
      const r = loadBisect(store, { running: true });
      if (!r) throw new InputError('--resume', null, null, `no unfinished bisect in ${dbPath}`);
      return { resume: r };
    }
    const id = typeof f.log === 'string' ? Number(f.log) : undefined;
    if (id !== undefined && !Number.isInteger(id)) throw new InputError('--log', null, null, `expects a bisect id, got '${String(f.log)}'`);
    const row = loadBisect(store, { id });
    if (!row) throw new InputError('--log', null, null, id ? `no bisect #${id} in ${dbPath}` : `no bisect recorded in ${dbPath}`);
    return { show: show(store, row, f.json === true) };
  } finally {
    store.close();
  }
}

async function bisectInner(f: BisectFlags, deps: BisectDeps): Promise<CommandResult> {
  const { dbPath } = paths(f, deps);
  const stored = storedBisect(f, dbPath);
  if (stored && 'show' in stored) return stored.show;
  const resume = stored?.resume ?? null;
  if (!resume) {
    if (!f.good || !f.bad || !f.cell) throw new InputError('bisect', null, null, 'needs --good REV --bad REV --cell CELL (or --resume, --log)');
    if (f.match) {
      try {
        parseMatch(f.match);
      } catch (e) {
        throw new InputError('--match', null, null, (e as Error).message);
      }
    }
  }
  const tree = resume && !f.tree ? resume.tree : paths(f, deps).tree;
  const { matrix, cells } = selectCells({ matrix: resume ? (f.matrix ?? resume.matrix ?? undefined) : f.matrix, toolchain: f.toolchain });
  const cell = oneCell(cells, resume ? resume.cell : f.cell!);
  if (resume && cell.hash !== resume.configHash) throw new InputError('--resume', null, null, `cell ${cell.name} changed since bisect #${resume.id} started (config hash)`);
  let good = '';
  let bad = '';
  if (!resume) {
    // Every input checked before the store is opened (bad input: exit 2, nothing written).
    await commonGitDir(tree);
    [good, bad] = [(await resolveRevisions(tree, [f.good!]))[0]!, (await resolveRevisions(tree, [f.bad!]))[0]!];
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
  }
  const [g, b] = resume ? [resume.good, resume.bad] : [good, bad];
  const command = `bisect ${g.slice(0, 12)}..${b.slice(0, 12)} ${cell.name}`;
  return withBuildContext(f, deps, { matrix, cells: [cell], command, tree }, async (ctx) => {
    const onStep = (s: StepRow, n: number) => deps.onStep?.(s.sha, s.verdict, n);
    let out: BisectOutcome;
    try {
      out = resume
        ? await runBisect({ ...ctx, bisect: resume, cell, onStep })
        : await startBisect(ctx, { cell, good, bad, reverse: f.reverse === true, match: f.match ?? null }, onStep);
    } catch (e) {
      if (/not an ancestor|same commit/.test((e as Error).message)) throw new InputError('bisect', null, null, (e as Error).message);
      throw e;
    }
    const code = codeOf(out.row.state);
    const stderr = out.row.state === 'invalid' ? `kmatrix: ${out.doc.message}\n` : '';
    if (f.json) return { code, stdout: jsonOf(out), stderr };
    const repro = out.answerBuild && out.answerBuild.status !== 'PASS' ? buildReproducer(out.answerBuild) : null;
    return { code, stdout: renderBisectText(out, repro), stderr };
  });
}

/** `--log`: a recorded bisect from the store alone. */
function show(store: Store, row: BisectRow, json: boolean): CommandResult {
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
  ).action((f: BisectFlags) => runAction(deps, (d) => bisectCommand(f, d)));
}
