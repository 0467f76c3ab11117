import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive } from '../runtime/process.js';

/** The pid written in a lock's holder file, or NaN. */
function holderOf(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return NaN;
  }
}

/** Try the kernel lock once: an open SQLite EXCLUSIVE transaction on `<path>.db` (fcntl; the kernel drops it when the holder dies). */
function tryKernelLock(path: string): Database.Database | null {
  const db = new Database(`${path}.db`, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw e;
  }
}

/**
 * Take an exclusive lock; resolves to a release function. The lock is an EXCLUSIVE SQLite transaction
 * (an fcntl lock held by the kernel): atomic, never stale (a killed holder's lock vanishes with it), and
 * exclusive between connections of one process too. `path` itself holds the holder's pid, for messages
 * and for kmatrix versions that used a pid file as the lock (a live pid there is waited for).
 */
export async function acquireLock(path: string, opts: { waitMs?: number; onWait?: (holder: number) => void; signal?: AbortSignal } = {}): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (opts.waitMs ?? 6 * 3600_000);
  let told = false;
  for (;;) {
    const db = tryKernelLock(path);
    let holder = NaN;
    if (db) {
      // Older kmatrix: the pid file was the lock. A dead pid there is stale: only a kernel-lock holder may break it.
      holder = holderOf(path);
      if (!Number.isFinite(holder) || holder === process.pid || !alive(holder)) {
        writeFileSync(path, String(process.pid));
        let released = false;
        return () => {
          if (released) return;
          released = true;
          if (holderOf(path) === process.pid) rmSync(path, { force: true });
          db.exec('ROLLBACK');
          db.close();
        };
      }
      db.exec('ROLLBACK');
      db.close();
    } else {
      holder = holderOf(path);
    }
    if (opts.signal?.aborted) throw new Error(`interrupted while waiting for ${path} (held by process ${holder})`);
    if (Date.now() > deadline) throw new Error(`${path} is held by process ${Number.isFinite(holder) ? holder : '(unknown)'}`);
    if (!told) opts.onWait?.(holder);
    told = true;
    await sleep(250 + Math.floor(Math.random() * 250));
  }
}

