/**
 * Bisect one build failure of one cell: the pure algorithm (next commit, verdicts, targets, rendering), the
 * bisect records in the store, and the driver that builds each step through ensureBuilds/runMatrix (I/O).
 *
 * Verdicts are relative to the endpoints, like `git bisect` terms: `good` = behaves like --good, `bad` = like
 * --bad. Normally --good lacks the target and --bad shows it; with `reverse` --good shows it and --bad passes.
 */
import { git } from '../build/git.js';
import type { Cell, Matrix } from '../matrix/load.js';
import type { RunOptions } from '../pipeline.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CommitInfo, Store } from '../store/db.js';
import { loadBuild, storedCommit, type LoadedBuild } from '../store/queries.js';
import { KIND_STAGE } from '../classify/index.js';
import { DIAGNOSTIC_KINDS, type BuildStatus, type Diagnostic, type DiagnosticKind } from '../types.js';
import { ensureBuilds, storedBuild } from './builds.js';
import { diagnosticLine } from './diff.js';

/** A step's verdict, relative to the endpoints. */
export type Verdict = 'good' | 'bad' | 'skip';

/** What to do next: test a commit, or stop with one answer or with only skipped commits left. */
export type NextStep =
  | { kind: 'test'; sha: string; index: number }
  | { kind: 'found'; sha: string }
  | { kind: 'ambiguous'; candidates: string[] };

/**
 * The next commit to test (pure). `candidates` is GOOD..BAD oldest first (GOOD excluded, BAD last and bad by
 * definition), treated as linear history. The answer lies after the last good and at or before the first bad
 * after it; the untested commit nearest the midpoint of that window is next (ties: the later one). When every
 * commit in the window is skipped, the answer is one of them or the first bad (git's "only skipped commits left").
 */
export function nextStep(candidates: readonly string[], verdicts: ReadonlyMap<string, Verdict>): NextStep {
  if (candidates.length === 0) throw new Error('nextStep: no candidates');
  let lo = -1;
  candidates.forEach((c, i) => {
    if (verdicts.get(c) === 'good') lo = i;
  });
  let hi = candidates.length - 1;
  for (let i = lo + 1; i < candidates.length - 1; i++) {
    if (verdicts.get(candidates[i]!) === 'bad') {
      hi = i;
      break;
    }
  }
  if (lo >= hi) return { kind: 'found', sha: candidates[candidates.length - 1]! }; // inconsistent: BAD itself
  const mid = (lo + hi) / 2;
  let best = -1;
  for (let i = lo + 1; i < hi; i++) {
    if (verdicts.has(candidates[i]!)) continue;
    if (best < 0 || Math.abs(i - mid) <= Math.abs(best - mid)) best = i;
  }
  if (best >= 0) return { kind: 'test', sha: candidates[best]!, index: best };
  if (hi === lo + 1) return { kind: 'found', sha: candidates[hi]! };
  return { kind: 'ambiguous', candidates: candidates.slice(lo + 1, hi + 1) };
}

/** A `--match` filter: `fingerprint:<hex>` or bare hex (prefix), `symbol:`, `file:` (path or suffix), `kind:`. */
export type MatchFilter = { field: 'fingerprint' | 'symbol' | 'file' | 'kind'; value: string };

/** Parse a `--match` value; throws a message on a malformed one. */
export function parseMatch(s: string): MatchFilter {
  const m = /^(fingerprint|symbol|file|kind):(.+)$/.exec(s.trim());
  if (m) {
    const field = m[1] as MatchFilter['field'];
    const value = m[2]!.trim();
    if (field === 'kind' && !(DIAGNOSTIC_KINDS as readonly string[]).includes(value)) {
      throw new Error(`unknown diagnostic kind '${value}' (kinds: ${DIAGNOSTIC_KINDS.join(', ')})`);
    }
    if (field === 'fingerprint' && !/^[0-9a-f]+$/i.test(value)) throw new Error(`'${value}' is not a hex fingerprint`);
    return { field, value: field === 'fingerprint' ? value.toLowerCase() : value };
  }
  if (/^[0-9a-f]{4,}$/i.test(s.trim())) return { field: 'fingerprint', value: s.trim().toLowerCase() };
  throw new Error(`--match '${s}': expected fingerprint:<hex>, <hex>, symbol:NAME, file:PATH or kind:KIND`);
}

/** Whether a diagnostic matches a filter. */
export function matches(d: Diagnostic, f: MatchFilter): boolean {
  switch (f.field) {
    case 'fingerprint':
      return d.fingerprint.toLowerCase().startsWith(f.value);
    case 'symbol':
      return d.symbol === f.value;
    case 'file':
      return d.file !== null && (d.file === f.value || d.file.endsWith(`/${f.value}`));
    case 'kind':
      return d.kind === f.value;
  }
}

/** What a verdict needs from a build. */
export interface StepBuild {
  status: BuildStatus;
  diagnostics: Diagnostic[];
}

/** Diagnostics of a build that are the target (one per fingerprint). */
export function targetHits(b: StepBuild, target: ReadonlySet<string>): Diagnostic[] {
  const seen = new Set<string>();
  return b.diagnostics.filter((d) => target.has(d.fingerprint) && !seen.has(d.fingerprint) && (seen.add(d.fingerprint), true));
}

/**
 * The target fingerprints (pure): the failing endpoint's diagnostics absent at the passing endpoint (errors
 * only), or, with a filter, the failing endpoint's diagnostics that match it (any severity). The caller then
 * checks the passing endpoint does not show them.
 */
export function targetOf(failing: StepBuild, passing: StepBuild, filter: MatchFilter | null): Diagnostic[] {
  const there = new Set(passing.diagnostics.map((d) => d.fingerprint));
  const seen = new Set<string>();
  return failing.diagnostics.filter((d) => {
    if (seen.has(d.fingerprint)) return false;
    const ok = filter ? matches(d, filter) : d.severity === 'error' && !there.has(d.fingerprint);
    if (ok) seen.add(d.fingerprint);
    return ok;
  });
}

/** The build stage of each kind, as each classify unit declares it (re-exported for bisect's users). */
export { KIND_STAGE };

/** The stage a set of target kinds is seen at (the earliest), or null when unknown. */
export function targetStage(kinds: readonly DiagnosticKind[]): number | null {
  const stages = kinds.map((k) => KIND_STAGE[k]).filter((x): x is number => x !== undefined);
  return stages.length === kinds.length && stages.length > 0 ? Math.min(...stages) : null;
}

/**
 * A step's verdict (pure): target present → like the failing endpoint; PASS → like the passing one. A FAIL
 * with other errors only is like the passing endpoint when those errors prove the build reached the stage
 * that would have shown the target (e.g. modpost ran and reported another symbol); otherwise (a compile
 * error that stopped the build before modpost, an infrastructure ERROR) it is skipped, as `git bisect skip`.
 */
export function verdictOf(b: StepBuild, target: ReadonlySet<string>, reverse: boolean, stage: number | null = null): Verdict {
  if (targetHits(b, target).length) return reverse ? 'good' : 'bad';
  if (b.status === 'PASS') return reverse ? 'bad' : 'good';
  if (b.status === 'FAIL' && stage !== null) {
    const errors = b.diagnostics.filter((d) => d.severity === 'error');
    const reached = errors.some((d) => (KIND_STAGE[d.kind] ?? -1) >= stage);
    const earlier = errors.some((d) => (KIND_STAGE[d.kind] ?? -1) < stage);
    if (reached && !earlier) return reverse ? 'bad' : 'good';
  }
  return 'skip';
}

// ---------------------------------------------------------------------------------------------------------
// The store

/** A bisect's final state: running (unfinished), found, ambiguous (only skipped left), invalid (endpoints). */
export type BisectState = 'running' | 'found' | 'ambiguous' | 'invalid';

/** A recorded bisect. */
export interface BisectRow {
  id: number;
  createdAt: string;
  tree: string;
  matrix: string | null;
  cell: string;
  configHash: string;
  runtime: string;
  good: string;
  bad: string;
  reverse: boolean;
  match: string | null;
  /** Target fingerprints, null until the endpoints are verified. */
  target: string[] | null;
  state: BisectState;
  result: BisectResultDoc | null;
}

/** A recorded step. */
export interface StepRow {
  sha: string;
  verdict: Verdict;
  buildId: number | null;
  seconds: number;
}

/** The `--json` document of a bisect (also stored as the result). */
export interface BisectResultDoc {
  id: number;
  state: BisectState;
  /** The first bad commit (with reverse: the first good one, the fix); null unless found. */
  firstBad: { sha: string; subject: string; author: string; date: string } | null;
  /** With state ambiguous: the commits the answer may be (skipped ones, then the first bad). */
  candidates: string[];
  target: string[];
  builds: number;
  skipped: string[];
  seconds: number;
  message: string | null;
}

/** Insert a new bisect; returns its id. */
export function createBisect(db: Store, b: Omit<BisectRow, 'id' | 'createdAt' | 'state' | 'result' | 'target'>, now = new Date()): number {
  const r = db
    .prepare(
      `INSERT INTO bisects (created_at, tree, matrix, cell, config_hash, runtime, good, bad, reverse, match, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')`,
    )
    .run(now.toISOString(), b.tree, b.matrix, b.cell, b.configHash, b.runtime, b.good, b.bad, b.reverse ? 1 : 0, b.match);
  return Number(r.lastInsertRowid);
}

/** Update a bisect's target, state or result. */
export function updateBisect(db: Store, id: number, u: { target?: string[]; state?: BisectState; result?: BisectResultDoc }): void {
  if (u.target) db.prepare(`UPDATE bisects SET target = ? WHERE id = ?`).run(JSON.stringify(u.target), id);
  if (u.state) db.prepare(`UPDATE bisects SET state = ? WHERE id = ?`).run(u.state, id);
  if (u.result) db.prepare(`UPDATE bisects SET result = ? WHERE id = ?`).run(JSON.stringify(u.result), id);
}

/** Record one step. */
export function recordStep(db: Store, bisectId: number, s: StepRow, now = new Date()): void {
  db.prepare(`INSERT INTO bisect_steps (bisect_id, sha, verdict, build_id, seconds, created_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
    bisectId,
    s.sha,
    s.verdict,
    s.buildId,
    s.seconds,
    now.toISOString(),
  );
}

/** The steps of a bisect, in order. */
export function bisectSteps(db: Store, bisectId: number): StepRow[] {
  return db
    .prepare(`SELECT sha, verdict, build_id AS buildId, seconds FROM bisect_steps WHERE bisect_id = ? ORDER BY id`)
    .all(bisectId) as StepRow[];
}

/** One bisect by id, or the latest (optionally only unfinished ones); null if none. */
export function loadBisect(db: Store, q: { id?: number; running?: boolean } = {}): BisectRow | null {
  const row = db
    .prepare(
      `SELECT id, created_at AS createdAt, tree, matrix, cell, config_hash AS configHash, runtime, good, bad, reverse, match, target, state, result
       FROM bisects WHERE (@id IS NULL OR id = @id) AND (@running = 0 OR state = 'running') ORDER BY id DESC LIMIT 1`,
    )
    .get({ id: q.id ?? null, running: q.running ? 1 : 0 }) as Record<string, unknown> | undefined;
  if (!row) return null;
  return {
    ...(row as unknown as BisectRow),
    reverse: row['reverse'] === 1,
    target: typeof row['target'] === 'string' ? (JSON.parse(row['target']) as string[]) : null,
    result: typeof row['result'] === 'string' ? (JSON.parse(row['result']) as BisectResultDoc) : null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The driver

/** What runBisect needs (the bisect row must exist: createBisect, or loadBisect to resume). */
export interface BisectOptions {
  store: Store;
  bisect: BisectRow;
  tree: string;
  matrix: Matrix;
  cell: Cell;
  runtime: () => Promise<Runtime>;
  cache: string;
  resultsDir: string;
  jobs?: number;
  makeJobs?: number;
  command: string;
  progress?: RunOptions['progress'];
  signal?: AbortSignal;
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
      const got = await ensureBuilds({
        store,
        tree: o.tree,
        matrix: o.matrix,
        cells: [cell],
        shas: todo,
        runtimeName: row.runtime,
        runtime: o.runtime,
        // Only a stored ERROR is built again; otherwise runMatrix's result cache still applies.
        rebuild: todo.some((sha) => storedBuild(store, sha, cell, row.runtime)?.status === 'ERROR'),
        cache: o.cache,
        resultsDir: o.resultsDir,
        jobs: 1,
        makeJobs: o.makeJobs,
        command: o.command,
        progress: o.progress,
        signal: o.signal,
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
        invalid = `${pl} ${short(passing.commitSha)} already shows the target (${hits.map(diagnosticLine).join('; ')})`;
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
  const kinds = row.target!.map(
    (fp) => (store.prepare('SELECT kind FROM diagnostics WHERE fingerprint = ? LIMIT 1').get(fp) as { kind: DiagnosticKind } | undefined)?.kind,
  );
  const stage = kinds.every((k): k is DiagnosticKind => k !== undefined) ? targetStage(kinds as DiagnosticKind[]) : null;

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

// ---------------------------------------------------------------------------------------------------------
// Rendering (pure)

/** Text report of a bisect (pure): endpoints, target, steps, the answer and the reproducer if given. */
export function renderBisectText(o: Pick<BisectOutcome, 'row' | 'doc' | 'steps' | 'targetDiagnostics' | 'commits'>, reproducer: string | null = null): string {
  const { row, doc } = o;
  const subj = (sha: string) => o.commits.get(sha)?.subject ?? '';
  const L: string[] = [];
  L.push(`bisect #${row.id} ${row.cell}${row.reverse ? ' (reverse: looking for the fix)' : ''}`);
  L.push(`  good ${short(row.good)} ${subj(row.good)}`);
  L.push(`  bad  ${short(row.bad)} ${subj(row.bad)}`);
  if (row.match) L.push(`  match ${row.match}`);
  if (o.targetDiagnostics.length) {
    L.push('target:');
    for (const d of o.targetDiagnostics) L.push(`  ${d.kind}: ${diagnosticLine(d)} [${d.fingerprint.slice(0, 12)}]`);
  }
  L.push('steps:');
  for (const s of o.steps) L.push(`  ${s.verdict.padEnd(4)}  ${short(s.sha)}  ${s.seconds.toFixed(1).padStart(6)}s  ${subj(s.sha)}`);
  L.push('');
  const what = row.reverse ? 'first good commit (the fix)' : 'first bad commit';
  if (doc.state === 'found' && doc.firstBad) {
    const f = doc.firstBad;
    L.push(`${what}: ${f.sha}`, `  subject: ${f.subject}`, `  author:  ${f.author}`, `  date:    ${f.date}`);
    for (const d of o.targetDiagnostics) L.push(`  ${row.reverse ? 'fixes' : 'introduces'}: ${d.kind}: ${diagnosticLine(d)}`);
  } else if (doc.state === 'ambiguous') {
    L.push(`${doc.message}:`);
    for (const c of doc.candidates) L.push(`  ${c} ${subj(c)}${doc.skipped.includes(c) ? ' (skipped)' : ''}`);
  } else if (doc.state === 'invalid') {
    L.push(`cannot bisect: ${doc.message}`);
  } else {
    L.push(`unfinished (${doc.message ?? 'interrupted'}); continue with: kmatrix bisect --resume`);
  }
  L.push(`${doc.builds} build(s) (endpoints included), ${doc.seconds.toFixed(1)} s`);
  if (doc.skipped.length) L.push(`skipped (FAIL with errors that stop the build before the target could show, or ERROR): ${doc.skipped.map(short).join(' ')}`);
  if (reproducer) L.push('', `reproducer (${row.cell} at ${short(doc.firstBad?.sha ?? '')}):`, reproducer.trimEnd());
  return L.join('\n') + '\n';
}
