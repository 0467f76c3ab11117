import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/workspace/lock.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** src/workspace/lock.ts as plain JS in `dir` (child processes run the real module, not a copy of its logic). */
function compiledLock(dir: string): string {
  const sqlite = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('better-sqlite3')).href;
  for (const f of ['workspace/lock', 'runtime/process']) {
    const src = readFileSync(join(ROOT, 'src', `${f}.ts`), 'utf8');
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    writeFileSync(join(dir, `${f}.js`), js.replace(`from 'better-sqlite3'`, `from '${sqlite}'`));
  }
  return join(dir, 'workspace/lock.js');
}

/** A child that takes the lock `rounds` times, marking entry and exit in `log`; with hold=true it keeps the lock until killed. */
function acquirer(lockJs: string, lock: string, log: string, rounds: number, hold = false) {
  const code = `
    import { appendFileSync } from 'node:fs';
    const { acquireLock } = await import(${JSON.stringify(pathToFileURL(lockJs).href)});
    for (let i = 0; i < ${rounds}; i++) {
      const release = await acquireLock(${JSON.stringify(lock)}, { onWait: () => appendFileSync(${JSON.stringify(log)}, 'w' + process.pid + '\\n') });
      appendFileSync(${JSON.stringify(log)}, '+' + process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 15));
      if (${hold}) { appendFileSync(${JSON.stringify(log)}, 'holding\\n'); await new Promise(() => setInterval(() => {}, 1000)); }
      appendFileSync(${JSON.stringify(log)}, '-' + process.pid + '\\n');
      release();
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; err: string }>((r) => child.on('exit', (c) => r({ code: c, err })));
  return { child, done };
}

/** Entry/exit marks must strictly alternate with the same pid: nobody was inside while another was. */
function assertExclusive(log: string): number {
  const marks = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('+') || l.startsWith('-'));
  let inside: string | null = null;
  let entries = 0;
  for (const m of marks) {
    if (m.startsWith('+')) {
      expect(inside, `${m} entered while ${inside} held the lock`).toBeNull();
      inside = m.slice(1);
      entries++;
    } else {
      expect(m.slice(1)).toBe(inside);
      inside = null;
    }
  }
  return entries;
}

async function waitFor(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('acquireLock (real processes)', () => {
  it('12 processes × 4 rounds: never two holders at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-lock-'));
    const lockJs = compiledLock(dir);
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const procs = Array.from({ length: 12 }, () => acquirer(lockJs, join(dir, 'lock'), log, 4));
    const results = await Promise.all(procs.map((p) => p.done));
    for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
    expect(assertExclusive(log)).toBe(48);
    expect(readFileSync(log, 'utf8')).toMatch(/^w\d+$/m); // some really waited
    expect(existsSync(join(dir, 'lock'))).toBe(false); // the last holder removed its pid file
  });

  it('a holder killed with SIGKILL leaves no stale lock: 8 racing waiters all get it, one at a time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-lock-'));
    const lockJs = compiledLock(dir);
    const lock = join(dir, 'lock');
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const holder = acquirer(lockJs, lock, log, 1, true);
    await waitFor(() => readFileSync(log, 'utf8').includes('holding'));
    expect(readFileSync(lock, 'utf8')).toBe(String(holder.child.pid)); // the pid file names the holder
    const waiters = Array.from({ length: 8 }, () => acquirer(lockJs, lock, log, 2));
    await waitFor(() => (readFileSync(log, 'utf8').match(/^w/gm) ?? []).length >= 8);
    expect(readFileSync(log, 'utf8')).not.toMatch(/^\+(?!\d+\n(holding))/m); // nobody entered while the holder lived
    holder.child.kill('SIGKILL');
    await holder.done;
    appendFileSync(log, `-${holder.child.pid}\n`); // close the dead holder's section for the checker
    const results = await Promise.all(waiters.map((w) => w.done));
    for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
    expect(assertExclusive(log)).toBe(1 + 16);
  });

  it('waits for a live pid in an old-style pid-file lock, breaks a dead one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-lock-'));
    const lock = join(dir, 'lock');
    const sleeper = spawn('sleep', ['30']);
    writeFileSync(lock, String(sleeper.pid));
    const waited: number[] = [];
    const p = acquireLock(lock, { onWait: (h) => waited.push(h) });
    await new Promise((r) => setTimeout(r, 600));
    expect(waited).toEqual([sleeper.pid]);
    sleeper.kill('SIGKILL');
    const release = await p;
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(lock)).toBe(false);
    // A dead pid from an old crash does not block.
    const dead = spawnSync('true').pid;
    writeFileSync(lock, String(dead));
    const r2 = await acquireLock(lock, { waitMs: 0 });
    r2();
  });
});
