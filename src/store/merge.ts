/**
 * Merging shard stores into one (`kmatrix merge`): runs, commits, cells, builds, diagnostics and logs,
 * each imported build keeping where it came from. Idempotent: a build is known by its origin
 * (`<store_id>:<build id>`), so merging the same store again adds nothing.
 */
import Database from 'better-sqlite3';
import { constants, copyFileSync, existsSync, lstatSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { makeParents, removeMadeDirs } from '../output-path.js';
import { UsageError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import type { Diagnostic } from '../types.js';
import { DIAGNOSTIC_SELECT, STAGE_COLUMNS, storeId, type Store } from './db.js';

/** A store that cannot be merged (not a kmatrix store, another matrix, itself, a log outside its folder): exit 2, nothing written. */
export class MergeRefused extends UsageError {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'MergeRefused';
  }
}

/** The matrix the merged stores must have been run with. */
export interface ExpectedMatrix {
  name: string;
  hash: string;
  /** Every cell of the matrix (name and config hash), for finding the ones no shard built. */
  cells: { name: string; hash: string }[];
}

/** A build present in the target with another result than the incoming one: kept, reported. */
export interface MergeConflict {
  source: string;
  origin: string;
  keptBuildId: number;
  commitSha: string;
  cell: string;
  detail: string;
}

/** What one source contributed. */
export interface SourceSummary {
  source: string;
  storeId: string;
  shards: string[];
  hosts: string[];
  toolVersions: string[];
  runs: number;
  buildsAdded: number;
  buildsKnown: number;
  logsCopied: number;
  logsMissing: number;
  /** Runs that never finished (the process was killed): what they were to build may be missing. */
  unfinishedRuns: { id: number; shard: string | null; startedAt: string }[];
}

/** The result of a merge. */
export interface MergeReport {
  sources: SourceSummary[];
  conflicts: MergeConflict[];
  /** Per commit seen in the sources, the matrix cells that have no build there (never PASS). */
  missing: { commitSha: string; cells: string[] }[];
  /** Shards `I/N` of the shard count the sources ran with that no source store is from. */
  absentShards: string[];
  /** True when nothing was written (everything already merged). */
  noop: boolean;
}

interface SrcRun {
  id: number;
  started_at: string;
  finished_at: string | null;
  tool_version: string;
  command: string;
  matrix_name: string;
  matrix_hash: string;
  tree: string;
  shard: string | null;
  host: string | null;
  cells: string | null;
  origin: string | null;
}

interface SrcBuild {
  id: number;
  run_id: number;
  commit_sha: string;
  cell_name: string;
  config_hash: string;
  definition: string;
  status: string;
  stage: string;
  exit_code: number | null;
  timed_out: number;
  seconds: number;
  started_at: string;
  log_path: string | null;
  runtime: string;
  image: string | null;
  toolchain: string;
  origin: string | null;
}

/** Open a source store read-only and check it is a kmatrix store this version can read (a regular file: a FIFO would block). */
function openSource(path: string): Database.Database {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw new MergeRefused(path, 'no such file');
  }
  if (!st.isFile()) throw new MergeRefused(path, `is not a regular file (${st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'a device, FIFO or socket'}), not a kmatrix store`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > MIGRATIONS.length) {
      db.close();
      throw new MergeRefused(path, `schema version ${v} is newer than this kmatrix (${MIGRATIONS.length})`);
    }
    if (v < 5) {
      db.close();
      throw new MergeRefused(path, `schema version ${v} has no store identity (written before kmatrix merge existed); run a command on it with this kmatrix first`);
    }
  } catch (e) {
    if (e instanceof MergeRefused) throw e;
    throw new MergeRefused(path, `not a kmatrix store (${(e as Error).message})`);
  }
  return db;
}

/** The identity of an existing store at `path`, read without writing (no migration); null when there is none yet. */
export function peekStoreId(path: string): string | null {
  if (!existsSync(path) || !statSync(path).isFile()) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta'`).get();
    return has ? storeId(db as unknown as Store) : null;
  } finally {
    db.close();
  }
}

/** The result of a build that must agree between two stores: status and its fingerprints. */
function resultKey(status: string, fps: readonly string[]): string {
  return `${status} ${[...fps].sort().join(',')}`;
}

/**
 * Whether an incoming result replaces the stored one of the same build key (pure): an infrastructure ERROR
 * (interrupted, OOM, disk full, engine missing) says nothing about the code, so a real result (PASS/FAIL) wins
 * over it whatever the order; otherwise the newer start wins; a tie keeps the stored one.
 */
export function incomingWins(stored: { status: string; startedAt: string }, incoming: { status: string; startedAt: string }): boolean {
  const real = (s: string) => s !== 'ERROR';
  if (real(stored.status) !== real(incoming.status)) return real(incoming.status);
  return Date.parse(incoming.startedAt) > Date.parse(stored.startedAt);
}

/**
 * The `logs/...` part of a stored log path (pure): after its last `logs` folder, with no `.`/`..` step; null when the
 * path has none (then it cannot be a log beside its store).
 */
export function logTail(logPath: string): string | null {
  const parts = logPath.split(/[\\/]+/);
  const at = parts.lastIndexOf('logs');
  if (at < 0) return null;
  const rest = parts.slice(at + 1).filter((p) => p !== '');
  if (!rest.length || rest.some((p) => p === '.' || p === '..' || p.includes('\0'))) return null;
  return ['logs', ...rest].join(sep);
}

/** What `kmatrix` writes as a store's identity (16 random bytes in hex); it names the folder a source's logs are copied to. */
const STORE_ID = /^[0-9a-f]{32}$/;

/** A source's identity, refused unless it has the shape kmatrix writes: a crafted one (`/../..`) would name a folder outside the target's logs. */
function sourceStoreId(path: string, db: Database.Database): string {
  const row = db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: unknown } | undefined;
  const id = row?.value;
  if (typeof id !== 'string' || !STORE_ID.test(id)) {
    throw new MergeRefused(path, `its store id ${row === undefined ? 'is missing' : `'${String(id).slice(0, 80)}' is not 32 hex digits`}: not a store kmatrix wrote; refusing to merge`);
  }
  return id;
}

/** A source store opened and checked: nothing of it is written before every source passed. */
interface CheckedSource {
  path: string;
  db: Database.Database;
  id: string;
  /** Per source build id with a log path: the log file inside the source's folder, or null when it is not there. */
  logs: Map<number, string | null>;
}

/**
 * Where each build's log of a source is: `<its logs/ tail>` inside the source store's own folder (symbolic links
 * resolved), a regular file. A log path that leads anywhere else (absolute elsewhere, `..`, a link out) is refused
 * naming the build: a merge never copies a file from outside the shard.
 */
function sourceLogs(path: string, db: Database.Database): Map<number, string | null> {
  const folder = dirname(resolve(path));
  const real = realpathSync(folder);
  const out = new Map<number, string | null>();
  const rows = db
    .prepare(`SELECT b.id, b.commit_sha, b.log_path, c.name AS cell FROM builds b JOIN cells c ON c.id = b.cell_id WHERE b.log_path IS NOT NULL ORDER BY b.id`)
    .all() as { id: number; commit_sha: string; log_path: string; cell: string }[];
  for (const r of rows) {
    const refuse = (why: string) =>
      new MergeRefused(path, `build ${r.id} (${r.cell} @ ${r.commit_sha.slice(0, 12)}): log path '${r.log_path}' ${why}; refusing to merge`);
    const tail = logTail(r.log_path);
    if (tail === null) throw refuse(`is not under a logs/ folder of the shard (${folder})`);
    const file = join(folder, tail);
    let st;
    try {
      st = lstatSync(file);
    } catch {
      out.set(r.id, null);
      continue;
    }
    let target: string;
    try {
      target = realpathSync(file);
    } catch {
      throw refuse('is a broken symbolic link');
    }
    if (!target.startsWith(real + sep)) throw refuse(`leads outside the shard's folder ${folder} (to ${target})`);
    if (!(st.isSymbolicLink() ? statSync(target) : st).isFile()) throw refuse('is not a regular file');
    out.set(r.id, target);
  }
  return out;
}

/**
 * Open and check every source before the target is touched: a kmatrix store, not the target (`targetId`, null
 * when the target has no identity yet) nor another source, run with the expected matrix, its logs inside its
 * folder. Throws MergeRefused (every source closed again).
 */
export function checkSources(sourcePaths: readonly string[], o: { matrix: ExpectedMatrix; targetId: string | null }): CheckedSource[] {
  const out: CheckedSource[] = [];
  try {
    for (const p of sourcePaths) {
      const db = openSource(p);
      const s: CheckedSource = { path: p, db, id: '', logs: new Map() };
      out.push(s);
      s.id = sourceStoreId(p, db);
      if (s.id === o.targetId) throw new MergeRefused(p, 'is the target store itself');
      const twin = out.find((x) => x !== s && x.id === s.id);
      if (twin) throw new MergeRefused(p, `is the same store as ${twin.path}`);
      const other = db
        .prepare(`SELECT DISTINCT matrix_name AS name, matrix_hash AS hash FROM runs WHERE matrix_hash != ? OR matrix_name != ?`)
        .all(o.matrix.hash, o.matrix.name) as { name: string; hash: string }[];
      if (other.length) {
        throw new MergeRefused(
          p,
          `was run with another matrix (${other.map((m) => `${m.name} ${m.hash}`).join(', ')}; expected ${o.matrix.name} ${o.matrix.hash}): refusing to mix matrices`,
        );
      }
      s.logs = sourceLogs(p, db);
    }
    return out;
  } catch (e) {
    for (const s of out) s.db.close();
    throw e;
  }
}

/** What a merge wrote outside the database, so that a failed merge can take it back. */
interface Written {
  files: string[];
  dirs: string[];
}

/**
 * Merge the source stores into `target` (whose logs live under `targetDir/logs`). Every source must have
 * been run with the expected matrix (else MergeRefused, nothing written). One transaction for everything;
 * when it fails, the logs it copied and the folders it made are removed again.
 */
export function mergeStores(
  target: Store,
  sourcePaths: readonly string[],
  o: MergeOptions,
): MergeReport {
  return mergeChecked(target, checkSources(sourcePaths, { matrix: o.matrix, targetId: storeId(target) }), o);
}

/** Merge sources that checkSources passed (and close them). */
export function mergeChecked(
  target: Store,
  sources: CheckedSource[],
  o: MergeOptions,
): MergeReport {
  const targetId = storeId(target);
  const written: Written = { files: [], dirs: [] };
  try {
    // The identity checkSources compared against may have been unknown (a target not created yet).
    const self = sources.find((s) => s.id === targetId);
    if (self) throw new MergeRefused(self.path, 'is the target store itself');
    const report: MergeReport = { sources: [], conflicts: [], missing: [], absentShards: [], noop: true };
    const commitsSeen = new Set<string>();
    target.transaction(() => {
      for (const s of sources) report.sources.push(mergeOne({ target, targetId, o, report, commitsSeen, written }, s));
    })();
    // Missing cells: per commit any source built, the matrix cells without a build in the merged store.
    const built = target.prepare(`SELECT DISTINCT c.name || ' ' || c.config_hash AS k FROM builds b JOIN cells c ON c.id = b.cell_id WHERE b.commit_sha = ?`);
    for (const sha of commitsSeen) {
      const have = new Set((built.all(sha) as { k: string }[]).map((r) => r.k));
      const cells = o.matrix.cells.filter((c) => !have.has(`${c.name} ${c.hash}`)).map((c) => c.name);
      if (cells.length) report.missing.push({ commitSha: sha, cells });
    }
    report.absentShards = absentShards(report.sources.flatMap((x) => x.shards));
    return report;
  } catch (e) {
    for (const f of written.files) rmSync(f, { force: true });
    removeMadeDirs(written.dirs);
    throw e;
  } finally {
    for (const s of sources) s.db.close();
  }
}

/** The shards of N that none of the labels (`I/N`) names, when all labels agree on N (pure). */
export function absentShards(labels: readonly string[]): string[] {
  const parsed = labels.map((l) => /^(\d+)\/(\d+)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const totals = new Set(parsed.map((m) => Number(m[2])));
  if (totals.size !== 1) return [];
  const n = [...totals][0]!;
  const have = new Set(parsed.map((m) => Number(m[1])));
  return Array.from({ length: n }, (_, i) => i + 1).filter((i) => !have.has(i)).map((i) => `${i}/${n}`);
}

/** The merge options every source shares. */
type MergeOptions = { targetDir: string; matrix: ExpectedMatrix; toolVersion: string; now?: Date };

/** What merging one source needs: the target and its identity, the options, and what every source adds to. */
interface MergeContext {
  target: Store;
  targetId: string;
  o: MergeOptions;
  report: MergeReport;
  commitsSeen: Set<string>;
  written: Written;
}

/** A conflict found in one source, before it is reported and recorded. */
interface Pending {
  origin: string;
  kept: number;
  sha: string;
  cell: string;
  detail: string;
}

/** Merge one source inside the caller's transaction. */
function mergeOne(ctx: MergeContext, source: CheckedSource): SourceSummary {
  const runs = source.db.prepare(`SELECT * FROM runs ORDER BY id`).all() as SrcRun[];
  const summary = summarizeSource(source, runs);
  const { runMap, added: runsAdded } = mergeRuns(ctx, source, runs);
  const commitsAdded = mergeCommits(ctx.target, source.db);
  const pending = mergeBuilds(ctx, source, summary, runMap);
  recordMerge(ctx, source, summary, pending, runsAdded || commitsAdded || summary.buildsAdded > 0);
  return summary;
}

/** An origin whose store is the target itself names a local row. */
function isLocal(targetId: string, origin: string): boolean {
  return origin.startsWith(`${targetId}:`);
}

/** The source's summary before its builds are merged (counts at zero) (pure). */
function summarizeSource(source: CheckedSource, runs: readonly SrcRun[]): SourceSummary {
  return {
    source: source.path,
    storeId: source.id,
    shards: [...new Set(runs.map((r) => r.shard).filter((x): x is string => x !== null))],
    hosts: [...new Set(runs.map((r) => r.host).filter((x): x is string => x !== null))],
    toolVersions: [...new Set(runs.map((r) => r.tool_version))],
    runs: runs.length,
    buildsAdded: 0,
    buildsKnown: 0,
    logsCopied: 0,
    logsMissing: 0,
    unfinishedRuns: runs.filter((r) => r.finished_at === null).map((r) => ({ id: r.id, shard: r.shard, startedAt: r.started_at })),
  };
}

/** Map each source run to its target run, inserting the runs the target lacks (`added` when any was). */
function mergeRuns(ctx: MergeContext, source: CheckedSource, runs: readonly SrcRun[]): { runMap: Map<number, number>; added: boolean } {
  const { target, targetId } = ctx;
  const runByOrigin = target.prepare(`SELECT id FROM runs WHERE origin = ?`);
  const insRun = target.prepare(
    `INSERT INTO runs (started_at, finished_at, tool_version, command, matrix_name, matrix_hash, tree, shard, host, cells, origin)
     VALUES (@started_at, @finished_at, @tool_version, @command, @matrix_name, @matrix_hash, @tree, @shard, @host, @cells, @origin)`,
  );
  const runMap = new Map<number, number>();
  let added = false;
  const runId = (r: SrcRun): number => {
    const origin = r.origin ?? `${source.id}:${r.id}`;
    if (isLocal(targetId, origin)) return Number(origin.slice(targetId.length + 1));
    const got = runByOrigin.get(origin) as { id: number } | undefined;
    if (got) return got.id;
    added = true;
    return Number(insRun.run({ ...r, origin }).lastInsertRowid);
  };
  for (const r of runs) runMap.set(r.id, runId(r));
  return { runMap, added };
}

/** Copy the source's commits the target lacks; true when any was added. */
function mergeCommits(target: Store, src: Database.Database): boolean {
  const insCommit = target.prepare(
    `INSERT OR IGNORE INTO commits (sha, tree_sha, subject, author, author_date) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM commits WHERE sha = ?)`,
  );
  let added = false;
  for (const c of src.prepare(`SELECT sha, tree_sha, subject, author, author_date FROM commits`).all() as Record<string, string>[]) {
    if (insCommit.run(c['sha'], c['tree_sha'], c['subject'], c['author'], c['author_date'], c['sha']).changes) added = true;
  }
  return added;
}

/** The diagnostic fingerprints of one build. */
function fingerprints(db: Database.Database | Store, id: number): string[] {
  return (db.prepare(`SELECT fingerprint FROM diagnostics WHERE build_id = ?`).all(id) as { fingerprint: string }[]).map((x) => x.fingerprint);
}

/**
 * Add the source's builds the target does not know (by origin), with their logs and diagnostics; a build whose
 * key the target holds with another result is added only when it wins. Returns the conflicts found.
 */
function mergeBuilds(ctx: MergeContext, source: CheckedSource, summary: SourceSummary, runMap: Map<number, number>): Pending[] {
  const { target, targetId } = ctx;
  const insCell = target.prepare(`INSERT OR IGNORE INTO cells (name, config_hash, definition) VALUES (?, ?, ?)`);
  const cellRow = target.prepare(`SELECT id FROM cells WHERE name = ? AND config_hash = ?`);
  const buildByOrigin = target.prepare(`SELECT id FROM builds WHERE origin = ?`);
  const findClash = clashFinder(target, source.db);
  const insertBuild = buildInserter(target, source.db);
  const pending: Pending[] = [];
  const builds = source.db
    .prepare(
      `SELECT b.*, c.name AS cell_name, c.config_hash, c.definition FROM builds b JOIN cells c ON c.id = b.cell_id ORDER BY b.id`,
    )
    .all() as SrcBuild[];
  const logsDir = join(ctx.o.targetDir, 'logs', `from-${source.id}`);
  for (const b of builds) {
    ctx.commitsSeen.add(b.commit_sha);
    const origin = b.origin ?? `${source.id}:${b.id}`;
    if (isLocal(targetId, origin) || buildByOrigin.get(origin)) {
      summary.buildsKnown++;
      continue;
    }
    const { incoming, clash, stored } = findClash(b);
    if (clash && !incomingWins({ status: clash.status, startedAt: clash.started_at }, { status: b.status, startedAt: b.started_at })) {
      pending.push({ origin, kept: clash.id, sha: b.commit_sha, cell: b.cell_name, detail: `kept ${stored}; incoming ${incoming}, started ${b.started_at}` });
      continue;
    }
    insCell.run(b.cell_name, b.config_hash, b.definition);
    const cellId = (cellRow.get(b.cell_name, b.config_hash) as { id: number }).id;
    const logPath = copyLog(ctx, source, b, logsDir, summary);
    const id = insertBuild(b, { run_id: runMap.get(b.run_id)!, cell_id: cellId, log_path: logPath, origin });
    summary.buildsAdded++;
    if (clash) {
      const why = b.status !== 'ERROR' && clash.status === 'ERROR' ? 'a real result outranks an infrastructure ERROR' : 'the newer result';
      pending.push({ origin, kept: id, sha: b.commit_sha, cell: b.cell_name, detail: `kept incoming build ${id} (${incoming}, started ${b.started_at}) over ${stored}: ${why}` });
    }
  }
  return pending;
}

/** A finder of the target's build with the incoming build's key (commit, cell, stage, runtime, image, toolchain) but another result. */
function clashFinder(target: Store, src: Database.Database) {
  const sameKey = target.prepare(
    `SELECT b.id, b.status, b.started_at FROM builds b JOIN cells c ON c.id = b.cell_id
     WHERE b.commit_sha = ? AND c.name = ? AND c.config_hash = ? AND b.stage = ? AND b.runtime = ? AND b.image IS ? AND b.toolchain = ?
     ORDER BY b.id DESC LIMIT 1`,
  );
  return (b: SrcBuild) => {
    const incoming = resultKey(b.status, fingerprints(src, b.id));
    const clash = (sameKey.all(b.commit_sha, b.cell_name, b.config_hash, b.stage, b.runtime, b.image, b.toolchain) as { id: number; status: string; started_at: string }[]).find(
      (k) => resultKey(k.status, fingerprints(target, k.id)) !== incoming,
    );
    const stored = clash && `build ${clash.id} (${resultKey(clash.status, fingerprints(target, clash.id))}, started ${clash.started_at})`;
    return { incoming, clash, stored };
  };
}

/** An inserter of one source build and its diagnostics into the target, returning the new build id. */
function buildInserter(target: Store, src: Database.Database) {
  const srcDiags = src.prepare(DIAGNOSTIC_SELECT);
  const insBuild = target.prepare(
    `INSERT INTO builds (run_id, commit_sha, cell_id, status, stage, exit_code, timed_out, seconds, started_at, log_path, runtime, image, toolchain, origin,
       ${STAGE_COLUMNS.join(', ')})
     VALUES (@run_id, @commit_sha, @cell_id, @status, @stage, @exit_code, @timed_out, @seconds, @started_at, @log_path, @runtime, @image, @toolchain, @origin,
       ${STAGE_COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  // A source at schema 5 has no stage-time or ccache columns: its builds come in with them unknown (NULL).
  const unmeasured = Object.fromEntries(STAGE_COLUMNS.map((c) => [c, null]));
  const insDiag = target.prepare(
    `INSERT INTO diagnostics (build_id, kind, severity, file, line, "column", symbol, module, message, fingerprint)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (b: SrcBuild, row: { run_id: number; cell_id: number; log_path: string | null; origin: string }): number => {
    const id = Number(insBuild.run({ ...unmeasured, ...b, ...row }).lastInsertRowid);
    for (const d of srcDiags.all(b.id) as Diagnostic[]) {
      insDiag.run(id, d.kind, d.severity, d.file, d.line, d.column, d.symbol, d.module, d.message, d.fingerprint);
    }
    return id;
  };
}

/**
 * Copy a build's log into `logsDir` (unless already there), noting it in `written`; the log's path in the target,
 * or null when the build has none or the source lacks it (counted as missing).
 */
function copyLog(ctx: MergeContext, source: CheckedSource, b: SrcBuild, logsDir: string, summary: SourceSummary): string | null {
  if (!b.log_path) return null;
  const found = source.logs.get(b.id);
  if (!found) {
    summary.logsMissing++;
    return null;
  }
  const logPath = join(logsDir, relative('logs', logTail(b.log_path)!));
  if (!logPath.startsWith(logsDir + sep)) throw new Error(`${source.path}: build ${b.id}: log would be written outside ${logsDir}`);
  if (!existsSync(logPath)) {
    ctx.written.dirs.push(...makeParents('--into', logPath));
    copyFileSync(found, logPath, constants.COPYFILE_EXCL);
    ctx.written.files.push(logPath);
    summary.logsCopied++;
  }
  return logPath;
}

/** Report the source's conflicts; when it changed the target, record the merge and the conflicts not recorded before. */
function recordMerge(ctx: MergeContext, source: CheckedSource, summary: SourceSummary, pending: readonly Pending[], changed: boolean): void {
  const { target, o, report } = ctx;
  for (const p of pending) report.conflicts.push({ source: source.path, origin: p.origin, keptBuildId: p.kept, commitSha: p.sha, cell: p.cell, detail: p.detail });
  // A conflict already recorded by an earlier merge of this store is reported again but not stored again.
  const recorded = target.prepare(`SELECT 1 FROM merge_conflicts WHERE origin = ?`);
  const fresh = pending.filter((p) => !recorded.get(p.origin));
  if (!changed && !fresh.length) return;
  report.noop = false;
  const m = target
    .prepare(
      `INSERT INTO merges (merged_at, tool_version, source, source_store, matrix_name, matrix_hash, shards, hosts, builds_added, conflicts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      (o.now ?? new Date()).toISOString(),
      o.toolVersion,
      source.path,
      source.id,
      o.matrix.name,
      o.matrix.hash,
      JSON.stringify(summary.shards),
      JSON.stringify(summary.hosts),
      summary.buildsAdded,
      fresh.length,
    );
  const mid = Number(m.lastInsertRowid);
  const insConf = target.prepare(`INSERT INTO merge_conflicts (merge_id, origin, kept_build_id, commit_sha, cell, detail) VALUES (?, ?, ?, ?, ?, ?)`);
  for (const p of fresh) insConf.run(mid, p.origin, p.kept, p.sha, p.cell, p.detail);
}
