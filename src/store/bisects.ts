/** The bisects table and its steps: create, update, record a step, load (the driver lives in compare/bisect.ts). */
import type { DiagnosticKind, Verdict } from '../types.js';
import type { Store } from './db.js';

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

/** The kind recorded for a fingerprint (any build), or undefined when the store has never seen it. */
export function fingerprintKind(db: Store, fingerprint: string): DiagnosticKind | undefined {
  return (db.prepare('SELECT kind FROM diagnostics WHERE fingerprint = ? LIMIT 1').get(fingerprint) as { kind: DiagnosticKind } | undefined)?.kind;
}
