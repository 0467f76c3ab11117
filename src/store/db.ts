/**
 * The SQLite result store: opening (WAL, migrations), runs, commits, cells, builds and their diagnostics, the one
 * build column list and diagnostics SELECT every reader shares, and the result cache's lookup by BuildKey.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { BuildOutcome } from '../kbuild/build.js';
import { checkOutputPath, makeParents } from '../output-path.js';
import type { BuildKey, CcacheStats, CommitInfo, Diagnostic, RunStage, StageTimes, ToolchainUsed } from '../types.js';
import { MIGRATIONS } from './migrations.js';

/** An open result store. */
export type Store = Database.Database;

/** A `--db` problem, naming the flag and the file; exit code 2. */
function dbError(path: string, detail: string): InputError {
  return new InputError('--db', null, null, `${path}: ${detail}`);
}

/** What the first 100 bytes of an existing file say: empty, not SQLite, or SQLite with its user_version and schema cookie. */
function sqliteHeader(path: string): { kind: 'empty' } | { kind: 'other' } | { kind: 'sqlite'; userVersion: number; schemaCookie: number } {
  const buf = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0) return { kind: 'empty' };
  if (n < 100 || buf.subarray(0, 16).toString('latin1') !== 'SQLite format 3\0') return { kind: 'other' };
  return { kind: 'sqlite', schemaCookie: buf.readUInt32BE(40), userVersion: buf.readUInt32BE(60) };
}

/**
 * Check a result store path before anything is created or opened (reads only; the file is never touched): the
 * parent must be (or be creatable under) a writable directory, an existing file must be a kmatrix store of this
 * or an older schema. Throws an exit-2 InputError naming --db and the file.
 */
export function checkStorePath(path: string): void {
  const abs = resolve(path);
  if (existsSync(abs)) {
    const st = statSync(abs);
    if (st.isDirectory()) throw dbError(abs, 'is a directory, not a result store file');
    // A FIFO would block the header read (and SQLite's open) forever; a device is no store either.
    if (!st.isFile()) throw dbError(abs, 'is not a regular file (a device, FIFO or socket), not a result store');
    let h;
    try {
      h = sqliteHeader(abs);
    } catch (e) {
      throw dbError(abs, `cannot be read: ${(e as Error).message}`);
    }
    if (h.kind === 'other') throw dbError(abs, 'is not a kmatrix result store (not an SQLite database)');
    if (h.kind === 'sqlite' && h.userVersion > MIGRATIONS.length) {
      throw dbError(abs, `was written by a newer kmatrix (schema version ${h.userVersion}, this kmatrix knows ${MIGRATIONS.length}); left untouched: upgrade kmatrix`);
    }
    if (h.kind === 'sqlite' && h.userVersion === 0 && h.schemaCookie !== 0) {
      throw dbError(abs, 'is an SQLite database but not a kmatrix result store (it has tables and no kmatrix schema version)');
    }
  }
  // The nearest existing ancestor must be a writable directory (SQLite also writes -wal/-shm files beside the store).
  checkOutputPath('--db', abs);
}

/** Open (creating and migrating as needed) the SQLite result store at `path`; a bad path or file is an exit-2 InputError naming it. */
export function openStore(path: string): Store {
  if (path === ':memory:') return prepare(new Database(path), path);
  const abs = resolve(path);
  checkStorePath(abs);
  makeParents('--db', abs);
  let db: Store;
  try {
    db = new Database(abs);
  } catch (e) {
    throw dbError(abs, (e as Error).message);
  }
  try {
    return prepare(db, abs);
  } catch (e) {
    db.close();
    if (e instanceof InputError) throw e;
    // SQLite's own words ('file is not a database', 'database disk image is malformed'), with the file named.
    if ((e as { code?: string }).code?.startsWith('SQLITE_')) throw dbError(abs, (e as Error).message);
    throw e;
  }
}

/** Pragmas and migrations of a freshly opened connection. */
function prepare(db: Store, path: string): Store {
  // First: another kmatrix creating or migrating the same store at this moment is waited for, not an error.
  db.pragma('busy_timeout = 10000');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw dbError(path, `was written by a newer kmatrix (schema version ${current}, this kmatrix knows ${MIGRATIONS.length}); left untouched: upgrade kmatrix`);
  // Read the schema before the first write: a damaged file is refused as it is, not half-converted to WAL.
  db.prepare('SELECT count(*) FROM sqlite_master').get();
  walMode(db);
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/**
 * `PRAGMA journal_mode = WAL`, waiting like busy_timeout does. The switch needs the file to itself, and SQLite returns
 * SQLITE_BUSY at once, without the busy handler, while another connection writes (8 kmatrix processes opening a new
 * store together hit it): retry every 10 ms for up to `ms`.
 */
export function walMode(db: Store, ms = 10_000): void {
  const end = Date.now() + ms;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if (!String((e as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() >= end) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/**
 * Apply the migrations this database has not seen yet, each in its own IMMEDIATE transaction that re-reads the
 * version under the write lock: two processes opening a new store at once never apply one migration twice.
 */
export function migrate(db: Store): number {
  for (;;) {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(`result store schema version ${current} is newer than this kmatrix (${MIGRATIONS.length}); upgrade kmatrix`);
    }
    if (current === MIGRATIONS.length) return MIGRATIONS.length;
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) !== current) return; // migrated meanwhile by another process
      db.exec(MIGRATIONS[current] as string);
      db.pragma(`user_version = ${current + 1}`);
    }).immediate();
  }
}

/** What a run is. */
export interface RunInfo {
  command: string;
  toolVersion: string;
  matrixName: string;
  matrixHash: string;
  tree: string;
  /** `I/N` of a sharded run. */
  shard?: string | null;
  /** Host the run ran on. */
  host?: string | null;
  /** Cells the run was asked to build. */
  cells?: string[] | null;
}

/** Record the start of a run; returns its id. */
export function startRun(db: Store, run: RunInfo, now = new Date()): number {
  const r = db
    .prepare(
      `INSERT INTO runs (started_at, tool_version, command, matrix_name, matrix_hash, tree, shard, host, cells) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      now.toISOString(),
      run.toolVersion,
      run.command,
      run.matrixName,
      run.matrixHash,
      run.tree,
      run.shard ?? null,
      run.host ?? null,
      run.cells ? JSON.stringify(run.cells) : null,
    );
  return Number(r.lastInsertRowid);
}

/** This store's identity (set when the store was created), used as the origin of the builds it exports. */
export function storeId(db: Store): string {
  return (db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: string }).value;
}

/** Mark a run finished. */
export function finishRun(db: Store, runId: number, now = new Date()): void {
  db.prepare(`UPDATE runs SET finished_at = ? WHERE id = ?`).run(now.toISOString(), runId);
}

/** Ids of the runs not finished (finished_at NULL: running, interrupted or killed), oldest first. */
export function unfinishedRuns(db: Store): number[] {
  return (db.prepare(`SELECT id FROM runs WHERE finished_at IS NULL ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
}

/** Insert or refresh a commit. */
export function upsertCommit(db: Store, c: CommitInfo): void {
  db.prepare(
    `INSERT INTO commits (sha, tree_sha, subject, author, author_date) VALUES (@sha, @treeSha, @subject, @author, @authorDate)
     ON CONFLICT(sha) DO UPDATE SET subject = excluded.subject`,
  ).run(c);
}

/** Id of the cell (name, config hash), creating it. */
export function cellId(db: Store, name: string, configHash: string, definition: unknown): number {
  db.prepare(`INSERT OR IGNORE INTO cells (name, config_hash, definition) VALUES (?, ?, ?)`).run(
    name,
    configHash,
    JSON.stringify(definition),
  );
  const row = db.prepare(`SELECT id FROM cells WHERE name = ? AND config_hash = ?`).get(name, configHash) as { id: number };
  return row.id;
}

/** One finished build to record: a build row without what the store assigns or looks up (id, cell name and hash). */
export interface BuildRecord extends Omit<StoredBuild, 'id' | 'cell' | 'configHash' | 'stages' | 'ccache'> {
  cellId: number;
  diagnostics: Diagnostic[];
  /** Seconds per stage of this build (absent or empty: not measured, e.g. a reused result). `store` is set by recordStoreTime. */
  stages?: StageTimes;
  /** ccache's counts of this build; null or absent: no ccache. */
  ccache?: CcacheStats | null;
}

/** The stage-time and ccache columns of `builds` (schema 6), in the order stageValues gives them. */
export const STAGE_COLUMNS = [
  'kconfig_seconds',
  'kconfig_skipped',
  'make_seconds',
  'compress_seconds',
  'classify_seconds',
  'store_seconds',
  'ccache_hits',
  'ccache_misses',
  'ccache_uncacheable',
] as const;

/** A build's stage times and ccache counts as the values of STAGE_COLUMNS (null where not measured). */
export function stageValues(stages: StageTimes | undefined, ccache: CcacheStats | null | undefined): (number | null)[] {
  const st = stages ?? {};
  return [
    st.kconfig ?? null,
    st.kconfigSkipped === undefined ? null : st.kconfigSkipped ? 1 : 0,
    st.make ?? null,
    st.compress ?? null,
    st.classify ?? null,
    st.store ?? null,
    ccache?.hits ?? null,
    ccache?.misses ?? null,
    ccache?.uncacheable ?? null,
  ];
}

/** STAGE_COLUMNS of a row (read with STAGE_SELECT) → stage times (only what was measured) and ccache counts (null: none). */
export function stagesOf(row: Record<string, unknown>): { stages: StageTimes; ccache: CcacheStats | null } {
  const num = (k: string) => (typeof row[k] === 'number' ? (row[k] as number) : undefined);
  const stages: StageTimes = {};
  const set = <K extends keyof StageTimes>(k: K, v: StageTimes[K] | undefined) => {
    if (v !== undefined) stages[k] = v;
  };
  set('kconfig', num('st_kconfig_seconds'));
  set('kconfigSkipped', num('st_kconfig_skipped') === undefined ? undefined : num('st_kconfig_skipped') === 1);
  set('make', num('st_make_seconds'));
  set('compress', num('st_compress_seconds'));
  set('classify', num('st_classify_seconds'));
  set('store', num('st_store_seconds'));
  const hits = num('st_ccache_hits');
  const misses = num('st_ccache_misses');
  const ccache = hits === undefined && misses === undefined ? null : { hits: hits ?? 0, misses: misses ?? 0, uncacheable: num('st_ccache_uncacheable') ?? 0 };
  return { stages, ccache };
}

/** SELECT list of STAGE_COLUMNS of the builds alias `b`, prefixed `st_` (stagesOf reads them; toBuild drops them). */
export const STAGE_SELECT = STAGE_COLUMNS.map((c) => `b.${c} AS st_${c}`).join(', ');

/** Record a build and its diagnostics atomically; returns the build id. */
export function recordBuild(db: Store, b: BuildRecord): number {
  return db.transaction(() => {
    const r = db
      .prepare(
        `INSERT INTO builds (run_id, commit_sha, cell_id, status, stage, exit_code, timed_out, seconds, started_at, log_path, runtime, image, toolchain,
           ${STAGE_COLUMNS.join(', ')})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${STAGE_COLUMNS.map(() => '?').join(', ')})`,
      )
      .run(
        b.runId,
        b.commitSha,
        b.cellId,
        b.status,
        b.stage,
        b.exitCode,
        b.timedOut ? 1 : 0,
        b.seconds,
        b.startedAt,
        b.logPath,
        b.runtime,
        b.image,
        b.toolchain,
        ...stageValues(b.stages, b.ccache),
      );
    const id = Number(r.lastInsertRowid);
    const ins = db.prepare(
      `INSERT INTO diagnostics (build_id, kind, severity, file, line, "column", symbol, module, message, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const d of b.diagnostics) {
      ins.run(id, d.kind, d.severity, d.file, d.line, d.column, d.symbol, d.module, d.message, d.fingerprint);
    }
    return id;
  })();
}

/** Record how long recording build `id` took (measured around recordBuild, so it cannot be part of its own insert). */
export function recordStoreTime(db: Store, id: number, seconds: number): void {
  db.prepare(`UPDATE builds SET store_seconds = ? WHERE id = ?`).run(seconds, id);
}

/** A stored build with its cell name: the one build row every read returns (LoadedBuild adds what reports need). */
export interface StoredBuild extends ToolchainUsed, Pick<BuildOutcome, 'status' | 'stage' | 'exitCode' | 'timedOut' | 'seconds' | 'startedAt'> {
  id: number;
  runId: number;
  commitSha: string;
  cell: string;
  configHash: string;
  logPath: string | null;
  /** Seconds per stage, only the measured ones (empty for builds recorded before schema 6 and for reused results). */
  stages: StageTimes;
  /** ccache's counts; null when the build did not use ccache or was not measured. */
  ccache: CcacheStats | null;
}

/** The SELECT list of a build (builds alias `b`, cells alias `c`) as a StoredBuild row; every read of builds starts from it. */
export const BUILD_COLUMNS = `b.id, b.run_id AS runId, b.commit_sha AS commitSha, c.name AS cell, c.config_hash AS configHash,
  b.status, b.stage, b.exit_code AS exitCode, b.timed_out AS timedOut, b.seconds, b.started_at AS startedAt,
  b.log_path AS logPath, b.runtime, b.image, b.toolchain, ${STAGE_SELECT}`;

/** A row read with STAGE_SELECT → its fields without the `st_` columns, and its stages and ccache counts. */
export function withStages<T>(row: Record<string, unknown>): T & { stages: StageTimes; ccache: CcacheStats | null } {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!k.startsWith('st_')) rest[k] = v;
  return { ...(rest as T), ...stagesOf(row) };
}

/** A row read with BUILD_COLUMNS → a StoredBuild (other columns of the row are kept as they are). */
export function toBuild(row: Record<string, unknown>): StoredBuild {
  return { ...withStages<StoredBuild>(row), timedOut: row['timedOut'] === 1 };
}

/** The latest build of a cell (by name) at a commit, optionally restricted to a config hash and stage. */
export function latestBuild(
  db: Store,
  commitSha: string,
  cell: string,
  opts: { configHash?: string; stage?: RunStage } = {},
): StoredBuild | null {
  const row = db
    .prepare(
      `SELECT ${BUILD_COLUMNS} FROM builds b JOIN cells c ON c.id = b.cell_id
       WHERE b.commit_sha = ? AND c.name = ? AND (? IS NULL OR c.config_hash = ?) AND (? IS NULL OR b.stage = ?)
       ORDER BY b.id DESC LIMIT 1`,
    )
    .get(commitSha, cell, opts.configHash ?? null, opts.configHash ?? null, opts.stage ?? null, opts.stage ?? null) as
    | Record<string, unknown>
    | undefined;
  return row ? toBuild(row) : null;
}

/** Builds recorded by one run, in order. */
export function runBuilds(db: Store, runId: number): StoredBuild[] {
  return (
    db.prepare(`SELECT ${BUILD_COLUMNS} FROM builds b JOIN cells c ON c.id = b.cell_id WHERE b.run_id = ? ORDER BY b.id`).all(runId) as Record<
      string,
      unknown
    >[]
  ).map(toBuild);
}

/** The diagnostics of one build (its id the one parameter) as Diagnostic rows, in recorded order. */
export const DIAGNOSTIC_SELECT = `SELECT kind, severity, file, line, "column" AS "column", symbol, module, message, fingerprint FROM diagnostics WHERE build_id = ? ORDER BY id`;

/** The diagnostics of one build, in recorded order. */
export function buildDiagnostics(db: Store, buildId: number): Diagnostic[] {
  return db.prepare(DIAGNOSTIC_SELECT).all(buildId) as Diagnostic[];
}

/** The latest non-ERROR build with this key (any commit with the same tree), for the result cache. */
export function cachedBuild(db: Store, k: BuildKey): StoredBuild | null {
  const row = db
    .prepare(
      `SELECT ${BUILD_COLUMNS} FROM builds b JOIN cells c ON c.id = b.cell_id JOIN commits m ON m.sha = b.commit_sha
       WHERE m.tree_sha = ? AND c.name = ? AND c.config_hash = ? AND b.stage = ? AND b.runtime = ?
         AND b.image IS ? AND b.toolchain = ? AND b.status != 'ERROR'
       ORDER BY b.id DESC LIMIT 1`,
    )
    .get(k.treeSha, k.cell, k.configHash, k.stage, k.runtime, k.image, k.toolchain) as Record<string, unknown> | undefined;
  return row ? toBuild(row) : null;
}
