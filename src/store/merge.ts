/**
 * Merging shard stores into one (`kmatrix merge`): runs, commits, cells, builds, diagnostics and logs,
 * each imported build keeping where it came from. Idempotent: a build is known by its origin
 * (`<store_id>:<build id>`), so merging the same store again adds nothing.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { MIGRATIONS } from './migrations.js';
import type { Diagnostic } from '../types.js';
import { STAGE_COLUMNS, storeId, type Store } from './db.js';

/** A store that cannot be merged (not a kmatrix store, another matrix, itself): exit 2, nothing written. */
export class MergeRefused extends Error {
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

/** Open a source store read-only and check it is a kmatrix store this version can read. */
function openSource(path: string): Database.Database {
  if (!existsSync(path)) throw new MergeRefused(path, 'no such file');
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

/** The result of a build that must agree between two stores: status and its fingerprints. */
function resultKey(status: string, fps: readonly string[]): string {
  return `${status} ${[...fps].sort().join(',')}`;
}

/** Where a source's log is: its recorded path, else the same `logs/...` tail beside the source store. */
function findLog(sourcePath: string, logPath: string): { file: string; tail: string } | null {
  const at = logPath.lastIndexOf(`${sep}logs${sep}`);
  const tail = at >= 0 ? logPath.slice(at + 1) : join('logs', logPath.split(sep).slice(-3).join(sep));
  for (const f of [logPath, join(dirname(resolve(sourcePath)), tail)]) {
    if (existsSync(f) && statSync(f).isFile()) return { file: f, tail };
  }
  return null;
}

/**
 * Merge the source stores into `target` (whose logs live under `targetDir/logs`). Every source must have
 * been run with the expected matrix (else MergeRefused, nothing written). One transaction for everything.
 */
export function mergeStores(
  target: Store,
  sourcePaths: readonly string[],
  o: { targetDir: string; matrix: ExpectedMatrix; toolVersion: string; now?: Date },
): MergeReport {
  const targetId = storeId(target);
  const sources = sourcePaths.map((p) => ({ path: p, db: openSource(p) }));
  try {
    // Refuse before writing anything.
    const ids = new Map<string, string>();
    for (const s of sources) {
      const id = storeId(s.db as unknown as Store);
      if (id === targetId) throw new MergeRefused(s.path, 'is the target store itself');
      if (ids.has(id)) throw new MergeRefused(s.path, `is the same store as ${ids.get(id)}`);
      ids.set(id, s.path);
      const other = s.db
        .prepare(`SELECT DISTINCT matrix_name AS name, matrix_hash AS hash FROM runs WHERE matrix_hash != ? OR matrix_name != ?`)
        .all(o.matrix.hash, o.matrix.name) as { name: string; hash: string }[];
      if (other.length) {
        throw new MergeRefused(
          s.path,
          `was run with another matrix (${other.map((m) => `${m.name} ${m.hash}`).join(', ')}; expected ${o.matrix.name} ${o.matrix.hash}): refusing to mix matrices`,
        );
      }
    }
    const report: MergeReport = { sources: [], conflicts: [], missing: [], absentShards: [], noop: true };
    const commitsSeen = new Set<string>();
    target.transaction(() => {
      for (const s of sources) report.sources.push(mergeOne(target, s.path, s.db, ids, targetId, o, report, commitsSeen));
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

/** Merge one source inside the caller's transaction. */
function mergeOne(
  target: Store,
  path: string,
  src: Database.Database,
  ids: Map<string, string>,
  targetId: string,
  o: { targetDir: string; matrix: ExpectedMatrix; toolVersion: string; now?: Date },
  report: MergeReport,
  commitsSeen: Set<string>,
): SourceSummary {
  const sid = [...ids].find(([, p]) => p === path)![0];
  const runs = src.prepare(`SELECT * FROM runs ORDER BY id`).all() as SrcRun[];
  const summary: SourceSummary = {
    source: path,
    storeId: sid,
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
  /** An origin whose store is the target itself names a local row. */
  const local = (origin: string) => origin.startsWith(`${targetId}:`);
  const runByOrigin = target.prepare(`SELECT id FROM runs WHERE origin = ?`);
  const insRun = target.prepare(
    `INSERT INTO runs (started_at, finished_at, tool_version, command, matrix_name, matrix_hash, tree, shard, host, cells, origin)
     VALUES (@started_at, @finished_at, @tool_version, @command, @matrix_name, @matrix_hash, @tree, @shard, @host, @cells, @origin)`,
  );
  const runMap = new Map<number, number>();
  const runId = (r: SrcRun): number => {
    const origin = r.origin ?? `${sid}:${r.id}`;
    if (local(origin)) return Number(origin.slice(targetId.length + 1));
    const got = runByOrigin.get(origin) as { id: number } | undefined;
    if (got) return got.id;
    changed = true;
    return Number(insRun.run({ ...r, origin }).lastInsertRowid);
  };
  let changed = false;
  for (const r of runs) runMap.set(r.id, runId(r));

  const insCommit = target.prepare(
    `INSERT OR IGNORE INTO commits (sha, tree_sha, subject, author, author_date) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM commits WHERE sha = ?)`,
  );
  for (const c of src.prepare(`SELECT sha, tree_sha, subject, author, author_date FROM commits`).all() as Record<string, string>[]) {
    if (insCommit.run(c['sha'], c['tree_sha'], c['subject'], c['author'], c['author_date'], c['sha']).changes) changed = true;
  }
  const insCell = target.prepare(`INSERT OR IGNORE INTO cells (name, config_hash, definition) VALUES (?, ?, ?)`);
  const cellRow = target.prepare(`SELECT id FROM cells WHERE name = ? AND config_hash = ?`);
  const buildByOrigin = target.prepare(`SELECT id FROM builds WHERE origin = ?`);
  const sameKey = target.prepare(
    `SELECT b.id, b.status FROM builds b JOIN cells c ON c.id = b.cell_id
     WHERE b.commit_sha = ? AND c.name = ? AND c.config_hash = ? AND b.stage = ? AND b.runtime = ? AND b.image IS ? AND b.toolchain = ?
     ORDER BY b.id DESC LIMIT 1`,
  );
  const fps = (db: Database.Database | Store, id: number) =>
    (db.prepare(`SELECT fingerprint FROM diagnostics WHERE build_id = ?`).all(id) as { fingerprint: string }[]).map((x) => x.fingerprint);
  const srcDiags = src.prepare(
    `SELECT kind, severity, file, line, "column" AS "column", symbol, module, message, fingerprint FROM diagnostics WHERE build_id = ? ORDER BY id`,
  );
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
  const pending: { origin: string; kept: number; sha: string; cell: string; detail: string }[] = [];
  const builds = src
    .prepare(
      `SELECT b.*, c.name AS cell_name, c.config_hash, c.definition FROM builds b JOIN cells c ON c.id = b.cell_id ORDER BY b.id`,
    )
    .all() as SrcBuild[];
  const logsDir = join(o.targetDir, 'logs', `from-${sid.slice(0, 12)}`);
  for (const b of builds) {
    commitsSeen.add(b.commit_sha);
    const origin = b.origin ?? `${sid}:${b.id}`;
    if (local(origin) || buildByOrigin.get(origin)) {
      summary.buildsKnown++;
      continue;
    }
    const incoming = resultKey(b.status, fps(src, b.id));
    const clash = (sameKey.all(b.commit_sha, b.cell_name, b.config_hash, b.stage, b.runtime, b.image, b.toolchain) as { id: number; status: string }[]).find(
      (k) => resultKey(k.status, fps(target, k.id)) !== incoming,
    );
    if (clash) {
      pending.push({
        origin,
        kept: clash.id,
        sha: b.commit_sha,
        cell: b.cell_name,
        detail: `kept build ${clash.id} (${resultKey(clash.status, fps(target, clash.id))}); incoming ${incoming}`,
      });
      continue;
    }
    insCell.run(b.cell_name, b.config_hash, b.definition);
    const cellId = (cellRow.get(b.cell_name, b.config_hash) as { id: number }).id;
    let logPath: string | null = null;
    if (b.log_path) {
      const found = findLog(path, b.log_path);
      if (found) {
        logPath = join(logsDir, relative('logs', found.tail));
        if (!existsSync(logPath)) {
          mkdirSync(dirname(logPath), { recursive: true });
          copyFileSync(found.file, logPath);
          summary.logsCopied++;
        }
      } else summary.logsMissing++;
    }
    const id = Number(
      insBuild.run({ ...unmeasured, ...b, run_id: runMap.get(b.run_id)!, cell_id: cellId, log_path: logPath, origin }).lastInsertRowid,
    );
    for (const d of srcDiags.all(b.id) as Diagnostic[]) {
      insDiag.run(id, d.kind, d.severity, d.file, d.line, d.column, d.symbol, d.module, d.message, d.fingerprint);
    }
    summary.buildsAdded++;
    changed = true;
  }
  for (const p of pending) report.conflicts.push({ source: path, origin: p.origin, keptBuildId: p.kept, commitSha: p.sha, cell: p.cell, detail: p.detail });
  // A conflict already recorded by an earlier merge of this store is reported again but not stored again.
  const recorded = target.prepare(`SELECT 1 FROM merge_conflicts WHERE origin = ?`);
  const fresh = pending.filter((p) => !recorded.get(p.origin));
  if (changed || fresh.length) {
    report.noop = false;
    const m = target
      .prepare(
        `INSERT INTO merges (merged_at, tool_version, source, source_store, matrix_name, matrix_hash, shards, hosts, builds_added, conflicts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        (o.now ?? new Date()).toISOString(),
        o.toolVersion,
        path,
        sid,
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
  return summary;
}
