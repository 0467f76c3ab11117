/**
 * The bisect driver (I/O): verify the endpoints, then build one step at a time through ensureBuilds, recording
 * every step as it ends so an interrupted bisect resumes. The search is in bisect-search.ts, the verdicts in
 * bisect-target.ts, the records in store/bisects.ts.
 */
import { git } from '../build/git.js';
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

/** Run (or resume) a bisect to its end or until interrupted; every step is recorded as it ends. */
export async function runBisect(o: BisectOptions): Promise<BisectOutcome> {
  const { store, cell } = o;
  let row = o.bisect;
  const steps = bisectSteps(store, row.id);
  const verdicts = new Map<string, Verdict>(steps.map((s) => [s.sha, s.verdict]));
  const builds = new Map<string, LoadedBuild>();
  const commits = new Map<string, CommitInfo>();

  /** Build (or reuse) one or more commits of the cell; stored ERROR builds are built again. */
  const build = async (shas: string[]): Promise<Map<string, { b: LoadedBuild; seconds: number }>> => {
    const t0 = Date.now();
    const out = new Map<string, { b: LoadedBuild; seconds: number }>();
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
    for (const [sha, x] of out) builds.set(sha, x.b);
    return out;
  };
  const step = (s: StepRow) => {
    recordStep(store, row.id, s);
    steps.push(s);
    verdicts.set(s.sha, s.verdict);
    o.onStep?.(s, steps.length);
  };
  const buildOf = (sha: string): LoadedBuild | null => {
    if (builds.has(sha)) return builds.get(sha)!;
    const id = steps.find((s) => s.sha === sha)?.buildId;
    const b = id ? loadBuild(store, id) : storedBuild(store, sha, cell, row.runtime);
    if (b) builds.set(sha, b);
    return b;
  };
  const finish = (state: BisectState, extra: Partial<BisectResultDoc>): BisectOutcome => {
    const skipped = steps.filter((s) => s.verdict === 'skip').map((s) => s.sha);
    const doc: BisectResultDoc = {
      id: row.id,
      state,
      firstBad: null,
      candidates: [],
      target: row.target ?? [],
      builds: steps.length,
      skipped,
      seconds: Math.round(steps.reduce((a, s) => a + s.seconds, 0) * 10) / 10,
      message: null,
      ...extra,
    };
    if (state !== 'running') updateBisect(store, row.id, { state, result: doc });
    row = { ...row, state, result: state !== 'running' ? doc : null };
    for (const s of [...steps.map((x) => x.sha), row.good, row.bad, ...doc.candidates]) {
      const c = storedCommit(store, s);
      if (c) commits.set(s, c);
    }
    const failing = buildOf(row.reverse ? row.good : row.bad);
    const target = new Set(row.target ?? []);
    const targetDiagnostics = failing ? targetHits(failing, target) : [];
    const answer = doc.firstBad ? buildOf(doc.firstBad.sha) : null;
    return { row, doc, steps, targetDiagnostics, answerBuild: answer, commits };
  };

  // 1. The endpoints: build both, derive the target, check GOOD/BAD behave as claimed.
  if (!row.target || !verdicts.has(row.good) || !verdicts.has(row.bad)) {
    const got = await build([row.good, row.bad]);
    const g = got.get(row.good);
    const b = got.get(row.bad);
    if (!g || !b) return finish('running', { message: 'interrupted while building the endpoints' });
    // An endpoint that could not be built (infrastructure ERROR) says nothing about the target: stop, resumable.
    const broken = [g.b, b.b].filter((x) => x.status === 'ERROR');
    if (broken.length) {
      const why = broken.map((x) => `${short(x.commitSha)}: ${x.diagnostics.find((d) => d.severity === 'error')?.message ?? 'ERROR'}`);
      return finish('running', { message: `an endpoint could not be built (ERROR, not a verdict): ${why.join('; ')}` });
    }
    const [failing, passing] = row.reverse ? [g.b, b.b] : [b.b, g.b];
    const filter = row.match ? parseMatch(row.match) : null;
    const target = targetOf(failing, passing, filter);
    const fl = row.reverse ? '--good' : '--bad';
    const pl = row.reverse ? '--bad' : '--good';
    const what = row.match ? `nothing matching '${row.match}'` : `no error that ${pl} lacks`;
    let invalid: string | null = null;
    /** The endpoint that did not behave as claimed is recorded as skip, not with the verdict it was given. */
    let liar: string | null = null;
    if (target.length === 0) {
      invalid = `${fl} ${short(failing.commitSha)} (${failing.status}) shows ${what}: nothing to bisect`;
      liar = failing.commitSha;
    } else {
      const fps = new Set(target.map((d) => d.fingerprint));
      const hits = targetHits(passing, fps);
      // The passing endpoint may FAIL with other errors; it must not show the target.
      if (hits.length) {
        invalid = `${pl} ${short(passing.commitSha)} already shows the target (${hits.map((d) => d.message).join('; ')})`;
        liar = passing.commitSha;
      }
    }
    row = { ...row, target: target.map((d) => d.fingerprint) };
    updateBisect(store, row.id, { target: row.target! });
    if (!verdicts.has(row.good)) step({ sha: row.good, verdict: liar === row.good ? 'skip' : 'good', buildId: g.b.id, seconds: g.seconds });
    if (!verdicts.has(row.bad)) step({ sha: row.bad, verdict: liar === row.bad ? 'skip' : 'bad', buildId: b.b.id, seconds: b.seconds });
    if (invalid) return finish('invalid', { message: invalid });
  }
  const target = new Set(row.target!);
  const kinds = row.target!.map((fp) => fingerprintKind(store, fp));
  const stage = kinds.every((k): k is DiagnosticKind => k !== undefined) ? targetStage(kinds) : null;

  // 2. Bisect.
  const candidates = await candidateList(o.tree, row.good, row.bad);
  for (;;) {
    const next = nextStep(candidates, verdicts);
    if (next.kind === 'found') {
      const c = storedCommit(store, next.sha);
      return finish('found', {
        firstBad: { sha: next.sha, subject: c?.subject ?? '', author: c?.author ?? '', date: c?.authorDate ?? '' },
      });
    }
    if (next.kind === 'ambiguous') {
      return finish('ambiguous', {
        candidates: next.candidates,
        message: `only skipped commits left to test: the first ${row.reverse ? 'good' : 'bad'} commit could be any of ${next.candidates.length}`,
      });
    }
    if (o.signal?.aborted) return finish('running', { message: 'interrupted' });
    const got = (await build([next.sha])).get(next.sha);
    if (!got) return finish('running', { message: 'interrupted' });
    step({ sha: next.sha, verdict: verdictOf(got.b, target, row.reverse, stage), buildId: got.b.id, seconds: got.seconds });
  }
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
