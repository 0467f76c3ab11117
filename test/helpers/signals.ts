import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { CLI, ROOT } from './replay.js';

/** A kmatrix process started as the leader of its own process group, like a job in a terminal. */
export interface Job {
  child: ChildProcess;
  pid: number;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ctrl-C in a terminal: the signal goes to the whole foreground process group. */
  terminal: (sig: NodeJS.Signals) => void;
  /** `kill -SIG <pid>`: the kmatrix process alone. */
  kill: (sig: NodeJS.Signals) => void;
}

/** Start `kmatrix args…` in its own process group. */
export function startJob(args: string[], env: Record<string, string> = {}): Job {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const pid = child.pid!;
  return {
    child,
    pid,
    stderr: () => err,
    stdout: () => out,
    exited,
    terminal: (sig) => process.kill(-pid, sig),
    kill: (sig) => process.kill(pid, sig),
  };
}

/** Poll until `pred` holds (or throw after `ms`, naming what was awaited). */
export async function until(what: string, pred: () => boolean, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** All files under `dir` (recursively) whose name matches. */
export function findFiles(dir: string, re: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, re));
    else if (re.test(e.name)) out.push(p);
  }
  return out;
}

/** The plain (in-flight) log of a build whose make has reached the build stage (`make … -k -jN`), if any. */
export function buildStageLog(resultsDir: string): string | null {
  for (const f of findFiles(join(resultsDir, 'logs'), /\.log$/)) {
    try {
      if (/^\$ make .* -k -j\d+/m.test(readFileSync(f, 'utf8')) && statSync(f).size > 0) return f;
    } catch {
      /* compressed and removed meanwhile */
    }
  }
  return null;
}

/** The process group kmatrix recorded in a build dir (`<owner pid> <pgid>`), if any. */
export function recordedGroup(buildDir: string): number | null {
  try {
    return Number(readFileSync(join(buildDir, '.kmatrix-pgid'), 'utf8').trim().split(/\s+/)[1]);
  } catch {
    return null;
  }
}

/** Whether any process of a group is alive (zombies, dead and waiting to be reaped, do not count). */
export function groupAlive(pgid: number): boolean {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      /* gone meanwhile */
    }
  }
  return false;
}

/** Names of the podman containers started by process `pid` (any state). */
export async function containersOf(pid: number): Promise<string[]> {
  const r = await execa('podman', ['--runtime', 'runc', 'ps', '-a', '--format', '{{.Names}}'], { reject: false });
  return String(r.stdout)
    .split('\n')
    .filter((n) => n.startsWith(`kmatrix-${pid}-`));
}

/** Rows of a database (read-only), e.g. builds with their cell and first diagnostic. */
export function query<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** One build row as the signal tests check it. */
export interface BuildRow {
  id: number;
  run_id: number;
  commit_sha: string;
  cell: string;
  status: string;
  messages: string | null;
}

/** Every build of a database with its cell name and its diagnostics' messages. */
export function buildRows(dbPath: string): BuildRow[] {
  return query<BuildRow>(
    dbPath,
    `SELECT b.id, b.run_id, b.commit_sha, c.name AS cell, b.status,
            (SELECT group_concat(message, ' | ') FROM diagnostics d WHERE d.build_id = b.id) AS messages
       FROM builds b JOIN cells c ON c.id = b.cell_id ORDER BY b.id`,
  );
}
