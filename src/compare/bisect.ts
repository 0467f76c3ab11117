/**
 * The bisect driver (I/O): verify the endpoints, then build one step at a time through ensureBuilds, recording
 * every step as it ends so an interrupted bisect resumes. The search is in bisect-search.ts, the verdicts in
 * bisect-target.ts, the records in store/bisects.ts.
 */
import { git } from '../workspace/git.js';
import type { Cell } from '../matrix/load.js';
import { bisectSteps, createBisect, fingerprintKind, loadBisect, recordStep, updateBisect, type BisectResultDoc, type BisectRow, type BisectState, type StepRow } from '../store/bisects.js';
import { loadBuild, storedCommit, type LoadedBuild } from '../store/queries.js';
import type { CommitInfo, Diagnostic, DiagnosticKind, Verdict } from '../types.js';
import { nextStep } from './bisect-search.js';
import { parseMatch, targetHits, targetOf, targetStage, verdictOf } from './bisect-target.js';
import { ensureBuilds, storedBuild, type BuildContext } from './builds.js';

/** What runBisect needs besides the build context (the bisect row must exist: createBisect, or loadBisect to resume). */
export interface BisectOptions extends BuildContext {
  bisect: BisectRow;
  cell: Cell;
  /** Called after each recorded step (tests abort here to simulate Ctrl-C). */
  onStep?: (s: StepRow, n: number) => void;
}

/** How a bisect ended (state running = interrupted), with everything the renderers show. */
export interface BisectOutcome {
  row: BisectRow;
  doc: BisectResultDoc;
  steps: StepRow[];
  /** The target diagnostics as seen at the failing endpoint. */
  targetDiagnostics: Diagnostic[];
  /** Build of the answer (found only). */
  answerBuild: LoadedBuild | null;
  commits: Map<string, CommitInfo>;
}

/** The candidates GOOD..BAD along the ancestry path, oldest first (BAD last); throws a message when GOOD is not an ancestor. */
export async function candidateList(tree: string, good: string, bad: string): Promise<string[]> {
  try {
    await git(tree, ['merge-base', '--is-ancestor', good, bad]);
  } catch {
    throw new Error(`--good ${good.slice(0, 12)} is not an ancestor of --bad ${bad.slice(0, 12)}`);
  }
  const out = await git(tree, ['rev-list', '--reverse', '--ancestry-path', `${good}..${bad}`]);
  const list = out.split('\n').filter(Boolean);
  if (list.length === 0) throw new Error('--good and --bad are the same commit');
  return list;
}

/** Which failure to bisect: one cell between two resolved commits (see BisectRow for `reverse` and `match`). */
export interface BisectRequest {
  cell: Cell;
  good: string;
  bad: string;
  reverse: boolean;
  match: string | null;
}

/** Record a new bisect under the context's tree, matrix and runtime, then run it. */
export async function startBisect(ctx: BuildContext, r: BisectRequest, onStep?: BisectOptions['onStep']): Promise<BisectOutcome> {
  const id = createBisect(ctx.store, {
    tree: ctx.tree,
    matrix: ctx.matrix.path,
    cell: r.cell.name,
    configHash: r.cell.hash,
    runtime: ctx.runtimeName,
    good: r.good,
    bad: r.bad,
    reverse: r.reverse,
    match: r.match,
  });
  return runBisect({ ...ctx, bisect: loadBisect(ctx.store, { id })!, cell: r.cell, onStep });
}

/** A bisect under way: its row (target set once the endpoints are verified), its steps and what it has loaded. */
interface Bisecting {
  o: BisectOptions;
  row: BisectRow;
  steps: StepRow[];
  verdicts: Map<string, Verdict>;
  builds: Map<string, LoadedBuild>;
}

/** A built (or reused) commit of the bisected cell, with the seconds its build took (0: reused). */
interface Built {
  b: LoadedBuild;
  seconds: number;
}

/** Build (or reuse) one or more commits of the cell; stored ERROR builds are built again. */
async function buildCommits(x: Bisecting, shas: string[]): Promise<Map<string, Built>> {
  const { o, row } = x;
  const { store, cell } = o;
  const t0 = Date.now();
  const out = new Map<string, Built>();
  const todo: string[] = [];
  for (const sha of shas) {
    const had = storedBuild(store, sha, cell, row.runtime);
    if (had && had.status !== 'ERROR') out.set(sha, { b: had, seconds: 0 });
    else todo.push(sha);
  }
  if (todo.length && !o.signal?.aborted) {
    const { bisect: _row, cell: _cell, onStep: _on, ...ctx } = o;
    const got = await ensureBuilds({
      ...ctx,
      cells: [cell],
      shas: todo,
      runtimeName: row.runtime,
      // Only a stored ERROR is built again; otherwise runMatrix's result cache still applies.
      rebuild: todo.some((sha) => storedBuild(store, sha, cell, row.runtime)?.status === 'ERROR'),
      jobs: 1,
    });
    const secs = (Date.now() - t0) / 1000 / todo.length;
    for (const sha of todo) {
      const b = got.builds.get(sha)?.[0];
      if (b && !(o.signal?.aborted && b.status === 'ERROR')) out.set(sha, { b, seconds: secs });
    }
  }
  for (const [sha, got] of out) x.builds.set(sha, got.b);
  return out;
}

/** Record one step as it ends. */
function step(x: Bisecting, s: StepRow): void {
  recordStep(x.o.store, x.row.id, s);
  x.steps.push(s);
  x.verdicts.set(s.sha, s.verdict);
  x.o.onStep?.(s, x.steps.length);
}

/** The build of a commit: loaded already, the one its step recorded, or the stored one. */
function buildOf(x: Bisecting, sha: string): LoadedBuild | null {
  if (x.builds.has(sha)) return x.builds.get(sha)!;
  const id = x.steps.find((s) => s.sha === sha)?.buildId;
  const b = id ? loadBuild(x.o.store, id) : storedBuild(x.o.store, sha, x.o.cell, x.row.runtime);
  if (b) x.builds.set(sha, b);
  return b;
}

/** End (or pause, state running) the bisect: record its result unless running, and gather what the renderers show. */
function finish(x: Bisecting, state: BisectState, extra: Partial<BisectResultDoc>): BisectOutcome {
  const { store } = x.o;
  const skipped = x.steps.filter((s) => s.verdict === 'skip').map((s) => s.sha);
  const doc: BisectResultDoc = {
    id: x.row.id,
    state,
    firstBad: null,
    candidates: [],
    target: x.row.target ?? [],
    builds: x.steps.length,
    skipped,
    seconds: Math.round(x.steps.reduce((a, s) => a + s.seconds, 0) * 10) / 10,
    message: null,
    ...extra,
  };
  if (state !== 'running') updateBisect(store, x.row.id, { state, result: doc });
  const row = (x.row = { ...x.row, state, result: state !== 'running' ? doc : null });
  const commits = new Map<string, CommitInfo>();
  for (const s of [...x.steps.map((st) => st.sha), row.good, row.bad, ...doc.candidates]) {
    const c = storedCommit(store, s);
    if (c) commits.set(s, c);
  }
  const failing = buildOf(x, row.reverse ? row.good : row.bad);
  const targetDiagnostics = failing ? targetHits(failing, new Set(row.target ?? [])) : [];
  const answerBuild = doc.firstBad ? buildOf(x, doc.firstBad.sha) : null;
  return { row, doc, steps: x.steps, targetDiagnostics, answerBuild, commits };
}

/** Why the endpoints do not behave as claimed (and the one that lied, recorded as skip), or null when they do. */
function endpointProblem(row: BisectRow, failing: LoadedBuild, passing: LoadedBuild, target: Diagnostic[]): { invalid: string; liar: string } | null {
  const fl = row.reverse ? '--good' : '--bad';
  const pl = row.reverse ? '--bad' : '--good';
  const what = row.match ? `nothing matching '${row.match}'` : `no error that ${pl} lacks`;
  if (target.length === 0) return { invalid: `${fl} ${short(failing.commitSha)} (${failing.status}) shows ${what}: nothing to bisect`, liar: failing.commitSha };
  // The passing endpoint may FAIL with other errors; it must not show the target.
  const hits = targetHits(passing, new Set(target.map((d) => d.fingerprint)));
  if (hits.length) return { invalid: `${pl} ${short(passing.commitSha)} already shows the target (${hits.map((d) => d.message).join('; ')})`, liar: passing.commitSha };
  return null;
}

/** The endpoints: build both, derive the target, check GOOD/BAD behave as claimed; an outcome when the bisect stops here. */
async function verifyEndpoints(x: Bisecting): Promise<BisectOutcome | null> {
  const got = await buildCommits(x, [x.row.good, x.row.bad]);
  const g = got.get(x.row.good);
  const b = got.get(x.row.bad);
  if (!g || !b) return finish(x, 'running', { message: 'interrupted while building the endpoints' });
  // An endpoint that could not be built (infrastructure ERROR) says nothing about the target: stop, resumable.
  const broken = [g.b, b.b].filter((e) => e.status === 'ERROR');
  if (broken.length) {
    const why = broken.map((e) => `${short(e.commitSha)}: ${e.diagnostics.find((d) => d.severity === 'error')?.message ?? 'ERROR'}`);
    return finish(x, 'running', { message: `an endpoint could not be built (ERROR, not a verdict): ${why.join('; ')}` });
  }
  const [failing, passing] = x.row.reverse ? [g.b, b.b] : [b.b, g.b];
  const target = targetOf(failing, passing, x.row.match ? parseMatch(x.row.match) : null);
  const problem = endpointProblem(x.row, failing, passing, target);
  x.row = { ...x.row, target: target.map((d) => d.fingerprint) };
  updateBisect(x.o.store, x.row.id, { target: x.row.target! });
  if (!x.verdicts.has(x.row.good)) step(x, { sha: x.row.good, verdict: problem?.liar === x.row.good ? 'skip' : 'good', buildId: g.b.id, seconds: g.seconds });
  if (!x.verdicts.has(x.row.bad)) step(x, { sha: x.row.bad, verdict: problem?.liar === x.row.bad ? 'skip' : 'bad', buildId: b.b.id, seconds: b.seconds });
  return problem ? finish(x, 'invalid', { message: problem.invalid }) : null;
}

/** Run (or resume) a bisect to its end or until interrupted; every step is recorded as it ends. */
export async function runBisect(o: BisectOptions): Promise<BisectOutcome> {
  const steps = bisectSteps(o.store, o.bisect.id);
  const x: Bisecting = { o, row: o.bisect, steps, verdicts: new Map(steps.map((s) => [s.sha, s.verdict])), builds: new Map() };
  // 1. The endpoints.
  if (!x.row.target || !x.verdicts.has(x.row.good) || !x.verdicts.has(x.row.bad)) {
    const stopped = await verifyEndpoints(x);
    if (stopped) return stopped;
  }
  const target = new Set(x.row.target!);
  const kinds = x.row.target!.map((fp) => fingerprintKind(o.store, fp));
  const stage = kinds.every((k): k is DiagnosticKind => k !== undefined) ? targetStage(kinds) : null;
  // 2. Bisect.
  const candidates = await candidateList(o.tree, x.row.good, x.row.bad);
  for (;;) {
    const next = nextStep(candidates, x.verdicts);
    if (next.kind === 'found') {
      const c = storedCommit(o.store, next.sha);
      return finish(x, 'found', { firstBad: { sha: next.sha, subject: c?.subject ?? '', author: c?.author ?? '', date: c?.authorDate ?? '' } });
    }
    if (next.kind === 'ambiguous') {
      const message = `only skipped commits left to test: the first ${x.row.reverse ? 'good' : 'bad'} commit could be any of ${next.candidates.length}`;
      return finish(x, 'ambiguous', { candidates: next.candidates, message });
    }
    if (o.signal?.aborted) return finish(x, 'running', { message: 'interrupted' });
    const got = (await buildCommits(x, [next.sha])).get(next.sha);
    if (!got) return finish(x, 'running', { message: 'interrupted' });
    step(x, { sha: next.sha, verdict: verdictOf(got.b, target, x.row.reverse, stage), buildId: got.b.id, seconds: got.seconds });
  }
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
