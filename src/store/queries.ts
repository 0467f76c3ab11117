/** Read queries for diff, nightly and report (the write side lives in db.ts). */
import type { Cell } from '../matrix/load.js';
import type { CommitInfo, Diagnostic, RunStage } from '../types.js';
import { BUILD_COLUMNS, buildDiagnostics, toBuild, type Store, type StoredBuild } from './db.js';

/** A stored build with everything reports need: diagnostics, the cell definition, the tree and commit subject. */
export interface LoadedBuild extends StoredBuild {
  diagnostics: Diagnostic[];
  /** The Cell as recorded in `cells.definition` (null if unreadable). */
  definition: Cell | null;
  /** The run's tree (git common dir) the build came from. */
  tree: string | null;
  subject: string;
}

const COLUMNS = `${BUILD_COLUMNS}, c.definition AS definitionJson, r.tree AS tree, COALESCE(m.subject, '') AS subject`;
const FROM = `FROM builds b JOIN cells c ON c.id = b.cell_id LEFT JOIN runs r ON r.id = b.run_id LEFT JOIN commits m ON m.sha = b.commit_sha`;

function parseDefinition(json: unknown): Cell | null {
  try {
    return typeof json === 'string' ? (JSON.parse(json) as Cell) : null;
  } catch {
    return null;
  }
}

function toLoaded(db: Store, row: Record<string, unknown>): LoadedBuild {
  const { definitionJson, ...rest } = row;
  const b = toBuild(rest) as LoadedBuild;
  return { ...b, definition: parseDefinition(definitionJson), diagnostics: buildDiagnostics(db, b.id) };
}

/** One build by id, with diagnostics and definition. */
export function loadBuild(db: Store, id: number): LoadedBuild | null {
  const row = db.prepare(`SELECT ${COLUMNS} ${FROM} WHERE b.id = ?`).get(id) as Record<string, unknown> | undefined;
  return row ? toLoaded(db, row) : null;
}

/** Filters for picking a stored build of a cell at a commit. */
export interface BuildFilter {
  configHash?: string;
  /** Runtime name the build ran under (`host`, `podman`, `docker`). */
  runtime?: string;
  stage?: RunStage;
  /** With `toolchain`: the exact toolchain identity (image ID, compiler version line) the build was made with. */
  image?: string | null;
  toolchain?: string;
}

/** The latest build of a cell (by name) at a commit matching the filter, loaded; null if none. */
export function findBuild(db: Store, commitSha: string, cell: string, f: BuildFilter = {}): LoadedBuild | null {
  const row = db
    .prepare(
      `SELECT ${COLUMNS} ${FROM}
       WHERE b.commit_sha = @sha AND c.name = @cell
         AND (@hash IS NULL OR c.config_hash = @hash) AND (@runtime IS NULL OR b.runtime = @runtime) AND (@stage IS NULL OR b.stage = @stage)
         AND (@toolchain IS NULL OR (b.toolchain = @toolchain AND b.image IS @image))
       ORDER BY b.id DESC LIMIT 1`,
    )
    .get({ sha: commitSha, cell, hash: f.configHash ?? null, runtime: f.runtime ?? null, stage: f.stage ?? null, toolchain: f.toolchain ?? null, image: f.image ?? null }) as
    | Record<string, unknown>
    | undefined;
  return row ? toLoaded(db, row) : null;
}

/** The latest build of every cell at each of the commits (full-build stage preferred over kconfig-only), loaded. */
export function latestBuildsAt(db: Store, shas: readonly string[]): LoadedBuild[] {
  if (shas.length === 0) return [];
  const stmt = db.prepare(
    `SELECT ${COLUMNS} ${FROM} WHERE b.id IN (
       SELECT (SELECT b2.id FROM builds b2 JOIN cells c2 ON c2.id = b2.cell_id
               WHERE b2.commit_sha = x.commit_sha AND c2.name = x.name
               ORDER BY (b2.stage = 'build') DESC, b2.id DESC LIMIT 1)
       FROM (SELECT DISTINCT b1.commit_sha, c1.name FROM builds b1 JOIN cells c1 ON c1.id = b1.cell_id WHERE b1.commit_sha = ?) x
     ) ORDER BY b.id`,
  );
  return shas.flatMap((sha) => (stmt.all(sha) as Record<string, unknown>[]).map((r) => toLoaded(db, r)));
}

/** A recorded commit, or null. */
export function storedCommit(db: Store, sha: string): CommitInfo | null {
  const row = db
    .prepare(`SELECT sha, tree_sha AS treeSha, subject, author, author_date AS authorDate FROM commits WHERE sha = ?`)
    .get(sha) as CommitInfo | undefined;
  return row ?? null;
}

/** Full SHAs of recorded commits starting with `prefix` (for resolving revisions without a tree). */
export function commitsByPrefix(db: Store, prefix: string): string[] {
  if (!/^[0-9a-f]{4,40}$/i.test(prefix)) return [];
  return (db.prepare(`SELECT sha FROM commits WHERE sha LIKE ? ORDER BY sha`).all(`${prefix.toLowerCase()}%`) as { sha: string }[]).map((r) => r.sha);
}

/** The `n` most recent commits (by author date) that have at least one build, newest first. */
export function recentCommits(db: Store, n: number): CommitInfo[] {
  const rows = db
    .prepare(
      `SELECT sha, tree_sha AS treeSha, subject, author, author_date AS authorDate FROM commits m
       WHERE EXISTS (SELECT 1 FROM builds b WHERE b.commit_sha = m.sha)`,
    )
    .all() as CommitInfo[];
  rows.sort((a, b) => Date.parse(b.authorDate) - Date.parse(a.authorDate) || a.sha.localeCompare(b.sha));
  return rows.slice(0, n);
}

/** One recorded nightly. */
export interface NightlyRow {
  id: number;
  runId: number | null;
  ref: string;
  sha: string;
  matrixName: string;
  matrixHash: string;
  baselineSha: string | null;
  createdAt: string;
  regressions: number;
  exitCode: number | null;
  /** Why this nightly is partial (interrupted, ERROR or unbuilt cells), or null when complete. Partial ones are never a baseline. */
  partial: string | null;
}

/** Record a nightly and the builds it compared; returns its id. */
export function recordNightly(db: Store, n: Omit<NightlyRow, 'id'>, buildIds: readonly number[] = []): number {
  return db.transaction(() => {
    const r = db
      .prepare(
        `INSERT INTO nightlies (run_id, ref, sha, matrix_name, matrix_hash, baseline_sha, created_at, regressions, exit_code, partial, partial_reason)
         VALUES (@runId, @ref, @sha, @matrixName, @matrixHash, @baselineSha, @createdAt, @regressions, @exitCode, @isPartial, @partial)`,
      )
      .run({ ...n, isPartial: n.partial === null ? 0 : 1 });
    const id = Number(r.lastInsertRowid);
    const ins = db.prepare(`INSERT OR IGNORE INTO nightly_builds (nightly_id, build_id) VALUES (?, ?)`);
    for (const b of buildIds) ins.run(id, b);
    return id;
  })();
}

/** The builds a nightly recorded as its own, loaded. */
export function nightlyBuilds(db: Store, nightlyId: number): LoadedBuild[] {
  return (
    db.prepare(`SELECT ${COLUMNS} ${FROM} JOIN nightly_builds nb ON nb.build_id = b.id WHERE nb.nightly_id = ? ORDER BY b.id`).all(nightlyId) as Record<
      string,
      unknown
    >[]
  ).map((r) => toLoaded(db, r));
}

const NIGHTLY_COLUMNS = `id, run_id AS runId, ref, sha, matrix_name AS matrixName, matrix_hash AS matrixHash,
  baseline_sha AS baselineSha, created_at AS createdAt, regressions, exit_code AS exitCode,
  CASE WHEN partial = 0 THEN NULL ELSE COALESCE(partial_reason, 'partial') END AS partial`;

/** The most recent nightly of a matrix (by name), or null; with `complete`, the most recent complete one (a baseline). */
export function lastNightly(db: Store, matrixName: string, opts: { complete?: boolean } = {}): NightlyRow | null {
  const row = db
    .prepare(`SELECT ${NIGHTLY_COLUMNS} FROM nightlies WHERE matrix_name = ? AND (? = 0 OR partial = 0) ORDER BY id DESC LIMIT 1`)
    .get(matrixName, opts.complete ? 1 : 0) as NightlyRow | undefined;
  return row ?? null;
}

/** Partial nightlies of a matrix recorded after nightly `afterId` (0: all), newest first: the ones a baseline skipped. */
export function partialNightliesSince(db: Store, matrixName: string, afterId: number): NightlyRow[] {
  return db
    .prepare(`SELECT ${NIGHTLY_COLUMNS} FROM nightlies WHERE matrix_name = ? AND partial = 1 AND id > ? ORDER BY id DESC`)
    .all(matrixName, afterId) as NightlyRow[];
}

/** Every build a run recorded, loaded. */
export function loadRunBuilds(db: Store, runId: number): LoadedBuild[] {
  return (db.prepare(`SELECT ${COLUMNS} ${FROM} WHERE b.run_id = ? ORDER BY b.id`).all(runId) as Record<string, unknown>[]).map((r) =>
    toLoaded(db, r),
  );
}

/** Median recorded seconds of full builds (PASS or FAIL) per cell with its current config hash, for balancing shards. */
export function cellWeights(db: Store, cells: readonly { name: string; hash: string }[]): Map<string, number> {
  const stmt = db.prepare(
    `SELECT b.seconds FROM builds b JOIN cells c ON c.id = b.cell_id
     WHERE c.name = ? AND c.config_hash = ? AND b.stage = 'build' AND b.status != 'ERROR' ORDER BY b.seconds`,
  );
  const out = new Map<string, number>();
  for (const c of cells) {
    const s = (stmt.all(c.name, c.hash) as { seconds: number }[]).map((r) => r.seconds);
    if (s.length) out.set(c.name, Math.round(s[Math.floor(s.length / 2)]! * 10) / 10);
  }
  return out;
}
