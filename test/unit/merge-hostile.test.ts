import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { cellId, finishRun, openStore, recordBuild, startRun, upsertCommit } from '../../src/store/db.js';
import { mergeCommand } from '../../src/cli/merge.js';

const A = 'a'.repeat(40);
const real = loadMatrix(DEFAULT_MATRIX);

/** A one-build shard store run with the default matrix, its log beside it under logs/. */
function shard(dir: string, name: string): string {
  const path = join(dir, name, 'kmatrix.db');
  const db = openStore(path);
  const cell = real.cells[0]!;
  const runId = startRun(db, { command: 'run', toolVersion: '0.1.0', matrixName: real.name, matrixHash: real.hash, tree: '/t', shard: '1/1', host: 'h', cells: [cell.name] });
  upsertCommit(db, { sha: A, treeSha: 'b'.repeat(40), subject: 's', author: 'kmatrix demo <demo@kmatrix.invalid>', authorDate: '2024-01-01T00:00:00Z' });
  const log = join(dir, name, 'logs', `run-${runId}`, 'x.log');
  mkdirSync(join(log, '..'), { recursive: true });
  writeFileSync(log, 'a log');
  recordBuild(db, {
    runId, commitSha: A, cellId: cellId(db, cell.name, cell.hash, { cell: cell.name }), status: 'PASS', stage: 'build', exitCode: 0,
    timedOut: false, seconds: 1, startedAt: '2024-01-01T00:00:00Z', logPath: log, runtime: 'podman', image: null,
    toolchain: 'gcc', diagnostics: [], stages: { kconfigSkipped: true, make: 1, classify: 0 }, ccache: null,
  });
  finishRun(db, runId);
  db.close();
  return path;
}

describe('a shard store whose identity is a path, or missing', () => {
  for (const id of ['/../../../../escape', '../../../escape', 'a/../../../../x', '..', null]) {
    it(`refuses store_id '${id}' (exit 2) and writes nothing outside --into's folder`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-id-'));
      const s = shard(dir, 's1');
      const db = new Database(s);
      if (id === null) db.prepare(`DELETE FROM store_meta WHERE key = 'store_id'`).run();
      else db.prepare(`UPDATE store_meta SET value = ? WHERE key = 'store_id'`).run(id);
      db.close();
      const before = readdirSync(dir).sort();
      const r = mergeCommand([s], { into: join(dir, 'out', 'deep', 'kmatrix.db') });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/s1\/kmatrix\.db: .*store id/);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    });
  }
});

describe('two shard stores whose ids share their first 12 hex digits', () => {
  it("keep their logs apart: each build points at its own shard's log", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-prefix-'));
    const ids = [`${'1'.repeat(12)}${'a'.repeat(20)}`, `${'1'.repeat(12)}${'b'.repeat(20)}`];
    const stores = ['s1', 's2'].map((name, i) => {
      const s = shard(dir, name);
      writeFileSync(join(dir, name, 'logs', 'run-1', 'x.log'), `the log of ${name}`);
      const db = new Database(s);
      db.prepare(`UPDATE store_meta SET value = ? WHERE key = 'store_id'`).run(ids[i]);
      db.prepare(`UPDATE builds SET status = 'FAIL'`).run(); // two results for one key: the second is a conflict
      if (i === 1) db.prepare(`UPDATE builds SET status = 'PASS', started_at = '2024-01-02T00:00:00Z'`).run();
      db.close();
      return s;
    });
    const into = join(dir, 'out', 'kmatrix.db');
    mergeCommand(stores, { into });
    const out = new Database(into, { readonly: true });
    const logs = (out.prepare(`SELECT log_path FROM builds ORDER BY id`).all() as { log_path: string }[]).map((r) => readFileSync(r.log_path, 'utf8'));
    out.close();
    expect(logs).toEqual(['the log of s1', 'the log of s2']);
  });
});

describe('a bad --into', () => {
  it('is named as --into (not --db) in the refusal, exit 2, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-into-'));
    const s = shard(dir, 's1');
    writeFileSync(join(dir, 'afile'), 'x');
    expect(() => mergeCommand([s], { into: join(dir, 'afile', 'sub', 'k.db') })).toThrow(/^--into: .*afile is a file, not a directory/);
    expect(() => mergeCommand([s], { into: join(s, '..', 'logs', 'run-1', 'x.log') })).toThrow(/^--into: .*not a kmatrix result store/);
    expect(readdirSync(dir).sort()).toEqual(['afile', 's1']);
  });
});
