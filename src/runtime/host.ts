/**
 * The host runtime and the process plumbing both runtimes use: running a command in its own process group with
 * its output appended to a log, killing the group on timeout, abort or exit, and reaping groups a killed kmatrix left.
 */
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_TOOLCHAIN } from '../matrix/toolchain.js';
import { BaseRuntime, type Place, type VersionAnswer } from './base.js';
import { alive, killGroup } from './process.js';
import type { ExecResult, ExecSpec } from './runtime.js';

/** Grace period between SIGTERM and SIGKILL when stopping a build. */
const KILL_GRACE_MS = 10_000;

/** File in a command's cwd naming the process group kmatrix started there (`<kmatrix pid> <pgid>`), for cleanup after a SIGKILL. */
export const GROUP_FILE = '.kmatrix-pgid';

/**
 * The process groups one runtime has running. If kmatrix exits while some are (a second Ctrl-C, a crash),
 * the process `exit` hook SIGKILLs them synchronously: a detached group never outlives kmatrix.
 */
export class ProcessGroups {
  private readonly live = new Set<number>();
  private readonly hook = () => {
    for (const pgid of this.live) killGroup(pgid, 'SIGKILL');
  };

  /** Track a group (its leader's pid); the exit hook is installed while any is live. */
  add(pgid: number): void {
    if (this.live.size === 0) process.on('exit', this.hook);
    this.live.add(pgid);
  }

  /** The group has ended. */
  delete(pgid: number): void {
    this.live.delete(pgid);
    if (this.live.size === 0) process.off('exit', this.hook);
  }
}

/**
 * Kill what a kmatrix process killed with SIGKILL left running in these dirs: the process group named in
 * a dir's GROUP_FILE when its owner is dead and its leader still runs in that dir. Returns the groups killed.
 */
export function reapOrphanGroups(dirs: string[]): number[] {
  const killed: number[] = [];
  for (const dir of dirs) {
    const file = join(dir, GROUP_FILE);
    let owner: number;
    let pgid: number;
    try {
      [owner = NaN, pgid = NaN] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    } catch {
      continue;
    }
    if (Number.isFinite(owner) && alive(owner)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pgid}/cmdline`, 'utf8');
    } catch {
      /* gone */
    }
    // The pid may have been reused since: only a leader whose command line names this dir is ours.
    if (Number.isFinite(pgid) && cmdline.includes(dir) && killGroup(pgid, 'SIGKILL')) killed.push(pgid);
    rmSync(file, { force: true });
  }
  return killed;
}

/** Subdirectories of `dir` (none if it does not exist). */
export function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

/** Run a command in its own process group, output to the log, killing the whole group on timeout or abort. */
export async function execLogged(spec: ExecSpec, groups?: ProcessGroups): Promise<ExecResult> {
  const start = process.hrtime.bigint();
  let timedOut = false;
  let aborted = false;
  const [cmd, ...args] = spec.argv;
  if (!cmd) throw new Error('empty command');
  const child = execa(cmd, args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: true,
    stdin: 'ignore',
    // Two O_APPEND descriptors on one file: make's and gcc's lines interleave as they happen.
    stdout: { file: spec.logFile, append: true },
    stderr: { file: spec.logFile, append: true },
    detached: true,
    reject: false,
  });
  const pgid = child.pid;
  const groupFile = join(spec.cwd, GROUP_FILE);
  if (pgid !== undefined) {
    groups?.add(pgid);
    try {
      writeFileSync(groupFile, `${process.pid} ${pgid}\n`);
    } catch {
      /* cwd not writable: only the in-process cleanup applies */
    }
  }
  const stop = () => {
    if (pgid === undefined) return;
    killGroup(pgid, 'SIGTERM');
    setTimeout(() => killGroup(pgid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const timer = spec.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, spec.timeoutMs)
    : null;
  const onAbort = () => {
    aborted = true;
    stop();
  };
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();
  const r = await child;
  if (timer) clearTimeout(timer);
  spec.signal?.removeEventListener('abort', onAbort);
  if (pgid !== undefined) {
    // The leader is gone; anything left in its group (a make child that ignored SIGTERM) goes too.
    killGroup(pgid, 'SIGKILL');
    groups?.delete(pgid);
    rmSync(groupFile, { force: true });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const fd = openSync(spec.logFile, 'a');
  let infraError: string | null = null;
  if (r.failed && r.exitCode === undefined && r.signal === undefined) {
    infraError = r.shortMessage ?? String(r.message);
    writeSync(fd, `kmatrix: could not run ${cmd}: ${infraError}\n`);
  }
  if (timedOut) writeSync(fd, `kmatrix: build timed out after ${Math.round((spec.timeoutMs ?? 0) / 1000)} s\n`);
  if (aborted) writeSync(fd, `kmatrix: build interrupted (${typeof spec.signal?.reason === 'string' ? spec.signal.reason : 'aborted'})\n`);
  closeSync(fd);
  return {
    exitCode: r.exitCode ?? null,
    signal: r.signal ?? null,
    timedOut,
    aborted,
    seconds,
    infraError,
  };
}

/** The host toolchain's identity line for the GNU cross compiler of the prefix, or a `missing: …` marker. */
export async function hostCompilerVersion(crossCompile: string): Promise<string> {
  return (await new HostRuntime().identity(crossCompile, DEFAULT_TOOLCHAIN)).compiler;
}

/** Builds with the toolchain installed on this machine. */
export class HostRuntime extends BaseRuntime {
  readonly name = 'host' as const;
  private readonly groups = new ProcessGroups();

  /** The host: no image, nothing remembered across runs, always there. */
  protected place(): Promise<Place> {
    return Promise.resolve({ image: null, factsFile: null, error: null });
  }

  /** `<program> --version`'s output on the host, or why not. */
  protected async askVersion(program: string): Promise<VersionAnswer> {
    const r = await execa(program, ['--version'], { reject: false });
    if (r.failed || r.exitCode !== 0) return { missing: `${program} (${(r.shortMessage ?? 'not found').split('\n')[0]})` };
    return { out: String(r.stdout) };
  }

  /** Run on the host; mounts are irrelevant here. */
  exec(spec: ExecSpec): Promise<ExecResult> {
    return execLogged(spec, this.groups);
  }
}
