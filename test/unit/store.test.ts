import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  buildDiagnostics,
  cellId,
  finishRun,
  latestBuild,
  openStore,
  recordBuild,
  runBuilds,
  startRun,
  unfinishedRuns,
  upsertCommit,
} from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Diagnostic } from '../../src/types.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';

const diag: Diagnostic = v7wbiDiagnostic({
  message: 'modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!',
  fingerprint: '0123456789abcdef',
});

function fresh() {
  const path = join(mkdtempSync(join(tmpdir(), 'kmatrix-store-')), 'r', 'kmatrix.db');
  return { path, db: openStore(path) };
}

describe('result store', () => {
  it('unfinishedRuns lists the runs without finished_at, oldest first (what recovery walks)', () => {
    const { db } = fresh();
    const run = () => startRun(db, { command: 'run', toolVersion: '0', matrixName: 'm', matrixHash: 'h', tree: '/t' });
    const [a, b, c] = [run(), run(), run()];
    finishRun(db, b);
    expect(unfinishedRuns(db)).toEqual([a, c]);
  });

  it('creates a WAL database at the latest schema version', () => {
    const { db } = fresh();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const idx = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).all() as { name: string }[];
    expect(idx.map((i) => i.name)).toEqual(expect.arrayContaining(['builds_cell_commit', 'diagnostics_fingerprint']));
  });

  it('waits for another process writing a new store before switching it to WAL (SQLite does not apply busy_timeout there)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'kmatrix-store-')), 'r');
    mkdirSync(dir);
    const path = join(dir, 'kmatrix.db');
    // Another process holds the write lock of the new (rollback-journal) file for 600 ms, as a second kmatrix
    // creating the same store does. Measured without the retry: SQLITE_BUSY 'database is locked' after 4 ms.
    const holder = `const { default: Database } = await import(${JSON.stringify(import.meta.resolve('better-sqlite3'))});
      const d = new Database(${JSON.stringify(path)}); d.exec('BEGIN IMMEDIATE; CREATE TABLE held(x)'); console.log('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600); d.exec('COMMIT'); d.close();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    const t = Date.now();
    const db = openStore(path);
    expect(Date.now() - t).toBeGreaterThan(100); // it did wait for the holder
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
    expect(await exited).toBe(0);
  });

  it('round-trips a run, commit, cell, build and its diagnostics', () => {
    const { path, db } = fresh();
    const runId = startRun(db, { command: 'run', toolVersion: '0.1.0', matrixName: 'm', matrixHash: 'h', tree: '/t' });
    upsertCommit(db, { sha: 'a'.repeat(40), treeSha: 'b'.repeat(40), subject: 's', author: 'A <a@x>', authorDate: '2024-01-01' });
    const cid = cellId(db, 'virt-v7/UP', 'cfg1', { base: 'allnoconfig' });
    expect(cellId(db, 'virt-v7/UP', 'cfg1', {})).toBe(cid);
    expect(cellId(db, 'virt-v7/UP', 'cfg2', {})).not.toBe(cid);
    const id = recordBuild(db, {
      runId,
      commitSha: 'a'.repeat(40),
      cellId: cid,
      status: 'FAIL',
      stage: 'build',
      exitCode: 2,
      timedOut: false,
      seconds: 4.2,
      startedAt: '2024-01-01T00:00:00Z',
      logPath: '/l.log.gz',
      runtime: 'host',
      image: null,
      toolchain: 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0',
      diagnostics: [diag],
    });
    finishRun(db, runId);
    db.close();
    // Reopen: nothing lost, migrations are not re-applied.
    const again = openStore(path);
    const b = latestBuild(again, 'a'.repeat(40), 'virt-v7/UP')!;
    expect(b).toMatchObject({ id, status: 'FAIL', cell: 'virt-v7/UP', configHash: 'cfg1', seconds: 4.2, timedOut: false, exitCode: 2 });
    expect(latestBuild(again, 'a'.repeat(40), 'virt-v7/UP', { configHash: 'cfg2' })).toBeNull();
    expect(buildDiagnostics(again, id)).toEqual([diag]);
    expect(runBuilds(again, runId).map((x) => x.id)).toEqual([id]);
  });

  it('refuses a database from a newer kmatrix instead of corrupting it', () => {
    const { path, db } = fresh();
    db.close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openStore(path)).toThrow(/was written by a newer kmatrix/);
  });

  it('rejects an invalid status (schema CHECK)', () => {
    const { db } = fresh();
    const runId = startRun(db, { command: 'run', toolVersion: '0', matrixName: 'm', matrixHash: 'h', tree: '/t' });
    upsertCommit(db, { sha: 'c', treeSha: 't', subject: 's', author: 'a', authorDate: 'd' });
    const cid = cellId(db, 'x/UP', 'h', {});
    expect(() =>
      recordBuild(db, {
        runId,
        commitSha: 'c',
        cellId: cid,
        status: 'MAYBE' as never,
        stage: 'build',
        exitCode: 0,
        timedOut: false,
        seconds: 1,
        startedAt: 'now',
        logPath: null,
        runtime: 'host',
        image: null,
        toolchain: 'gcc',
        diagnostics: [diag],
      }),
    ).toThrow(/CHECK/);
    // The transaction rolled back: no half-written diagnostics.
    expect((db.prepare('SELECT count(*) AS n FROM diagnostics').get() as { n: number }).n).toBe(0);
  });
});
