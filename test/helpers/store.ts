import Database from 'better-sqlite3';

/** One stored build as sharded and unsharded runs must agree on it. */
export interface BuildRow {
  sha: string;
  cell: string;
  hash: string;
  status: string;
  stage: string | null;
  exitCode: number | null;
  runtime: string;
  image: string | null;
  toolchain: string | null;
  fps: string | null;
}

/** Per (commit, cell) of a store: status, stage, toolchain identity and fingerprints (optionally of one commit). */
export function storeResults(path: string, sha?: string): BuildRow[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT b.commit_sha AS sha, c.name AS cell, c.config_hash AS hash, b.status, b.stage, b.exit_code AS exitCode,
                b.runtime, b.image, b.toolchain,
                (SELECT group_concat(fingerprint, ' ') FROM (SELECT fingerprint FROM diagnostics d WHERE d.build_id = b.id ORDER BY fingerprint)) AS fps
         FROM builds b JOIN cells c ON c.id = b.cell_id WHERE ? IS NULL OR b.commit_sha = ? ORDER BY b.commit_sha, c.name`,
      )
      .all(sha ?? null, sha ?? null) as BuildRow[];
  } finally {
    db.close();
  }
}
