import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_TOOLCHAIN, firstLine, identityKey, identityLine, toolchainCommands, type Toolchain } from '../matrix/toolchain.js';
import { alive, killGroup } from './process.js';
import type { ExecResult, ExecSpec, Runtime, ToolchainIdentity } from './runtime.js';

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

/** First line of `<cross>gcc --version` on the host, or a `missing: …` marker. */
export async function hostCompilerVersion(crossCompile: string): Promise<string> {
  return hostToolchainVersion(crossCompile, DEFAULT_TOOLCHAIN);
}

/** `<program> --version`'s output on the host, or why not. */
async function hostVersion(program: string): Promise<{ out: string } | { missing: string }> {
  const r = await execa(program, ['--version'], { reject: false });
  if (r.failed || r.exitCode !== 0) return { missing: `${program} (${(r.shortMessage ?? 'not found').split('\n')[0]})` };
  return { out: String(r.stdout) };
}

/** The host toolchain's identity line (compiler, and the linker for LLVM; see identityLine), or a `missing: …` marker. */
export async function hostToolchainVersion(crossCompile: string, tc: Toolchain): Promise<string> {
  const cmds = toolchainCommands(tc, crossCompile);
  const cc = await hostVersion(cmds.compiler);
  if ('missing' in cc) return `missing: ${cc.missing}`;
  if (cmds.linker === null) return identityLine(cc.out, null);
  const ld = await hostVersion(cmds.linker);
  if ('missing' in ld) return `missing: ${ld.missing}`;
  return identityLine(cc.out, ld.out);
}

/** Builds with the toolchain installed on this machine. */
export class HostRuntime implements Runtime {
  readonly name = 'host' as const;
  private readonly versions = new Map<string, Promise<string>>();
  private readonly groups = new ProcessGroups();
  private ccache: Promise<string | null> | null = null;

  /** The host compiler's version string (cached per cross prefix and toolchain). */
  async identity(crossCompile: string, toolchain: Toolchain = DEFAULT_TOOLCHAIN): Promise<ToolchainIdentity> {
    const key = identityKey(crossCompile, toolchain);
    let v = this.versions.get(key);
    if (!v) this.versions.set(key, (v = hostToolchainVersion(crossCompile, toolchain)));
    return { runtime: 'host', image: null, compiler: await v };
  }

  /** The host's ccache version (cached), null if it has none. */
  ccacheVersion(): Promise<string | null> {
    this.ccache ??= hostVersion('ccache').then((v) => ('out' in v ? firstLine(v.out) || null : null));
    return this.ccache;
  }

  /** Run on the host; mounts are irrelevant here. */
  exec(spec: ExecSpec): Promise<ExecResult> {
    return execLogged(spec, this.groups);
  }
}
