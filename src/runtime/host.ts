import { closeSync, openSync, writeSync } from 'node:fs';
import { execa } from 'execa';
import type { ExecResult, ExecSpec, Runtime, ToolchainIdentity } from './runtime.js';

/** Grace period between SIGTERM and SIGKILL when stopping a build. */
const KILL_GRACE_MS = 10_000;

/** Run a command in its own process group, output to the log, killing the whole group on timeout or abort. */
export async function execLogged(spec: ExecSpec): Promise<ExecResult> {
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
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const stop = () => {
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
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
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const fd = openSync(spec.logFile, 'a');
  let infraError: string | null = null;
  if (r.failed && r.exitCode === undefined && r.signal === undefined) {
    infraError = r.shortMessage ?? String(r.message);
    writeSync(fd, `kmatrix: could not run ${cmd}: ${infraError}\n`);
  }
  if (timedOut) writeSync(fd, `kmatrix: build timed out after ${Math.round((spec.timeoutMs ?? 0) / 1000)} s\n`);
  if (aborted) writeSync(fd, `kmatrix: build interrupted (Terminated)\n`);
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
  const r = await execa(`${crossCompile}gcc`, ['--version'], { reject: false });
  if (r.failed || r.exitCode !== 0) return `missing: ${crossCompile}gcc (${r.shortMessage ?? 'not found'})`;
  return String(r.stdout).split('\n')[0]?.trim() ?? 'unknown';
}

/** Builds with the toolchain installed on this machine. */
export class HostRuntime implements Runtime {
  readonly name = 'host' as const;
  private readonly versions = new Map<string, Promise<string>>();

  /** The host compiler's version string (cached per cross prefix). */
  async identity(crossCompile: string): Promise<ToolchainIdentity> {
    let v = this.versions.get(crossCompile);
    if (!v) this.versions.set(crossCompile, (v = hostCompilerVersion(crossCompile)));
    return { runtime: 'host', image: null, compiler: await v };
  }

  /** Run on the host; mounts are irrelevant here. */
  exec(spec: ExecSpec): Promise<ExecResult> {
    return execLogged(spec);
  }
}
