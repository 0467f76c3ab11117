/**
 * The container runtime (podman and docker, their differences as data): the `run` command line, what an engine
 * failure means and its fix, orphan cleanup, and ContainerRuntime, which runs each command in a fresh container.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, appendFileSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { BaseRuntime, factsFile, type Place, type VersionAnswer } from './base.js';
import { execLogged, ProcessGroups } from './host.js';
import { readTail } from './log-tail.js';
import { alive } from './process.js';
import type { ExecResult, ExecSpec, Mount } from './runtime.js';

/** The container engines kmatrix drives. */
export type EngineName = 'podman' | 'docker';

/** How the two engines differ, as data (everything else is the same command line). */
export interface EngineTraits {
  /** `--runtime X` goes before `run` (podman: a global flag) or after it (docker: a run flag). */
  ociRuntimeAt: 'global' | 'run';
  /** Run flags that make files written in mounts belong to the invoking user. */
  userFlags(user: { uid: number; gid: number }): string[];
  /** Force-remove a container without waiting for a stop timeout (after the name). */
  forceRemove: string[];
}

/** podman and docker, side by side. */
export const ENGINES: Record<EngineName, EngineTraits> = {
  podman: {
    ociRuntimeAt: 'global',
    // Rootful podman already maps root to root; rootless needs keep-id to keep the user's uid.
    userFlags: (u) => (u.uid === 0 ? [] : ['--userns=keep-id']),
    forceRemove: ['rm', '-f', '-t', '0'],
  },
  docker: {
    ociRuntimeAt: 'run',
    userFlags: (u) => ['--user', `${u.uid}:${u.gid}`],
    forceRemove: ['rm', '-f'],
  },
};

/** Everything that defines how containers are run. */
export interface ContainerSettings {
  engine: EngineName;
  image: string;
  /** OCI runtime (`runc`, `crun`…); null = the engine's default. */
  ociRuntime: string | null;
  /** Extra `run` flags, e.g. `--ulimit nofile=20000:20000`. */
  runFlags: string[];
  /** Shared ccache directory, mounted read-write at the same path (CCACHE_DIR); null = none. */
  ccacheDir: string | null;
  /**
   * Directory where facts asked of an image (compiler version lines, ccache's version) are remembered per image ID;
   * an image ID names the image's content, so they never go stale. null = ask the image every time.
   */
  factsDir?: string | null;
  /** The invoking user (outputs in mounts are owned by it). */
  user: { uid: number; gid: number };
}

/** What one `run` needs besides the settings. */
export interface RunRequest {
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
  mounts: Mount[];
}

/** Engine flags that precede the subcommand (podman's `--runtime X`). */
export function globalArgs(s: Pick<ContainerSettings, 'engine' | 'ociRuntime'>): string[] {
  return s.ociRuntime && ENGINES[s.engine].ociRuntimeAt === 'global' ? ['--runtime', s.ociRuntime] : [];
}

/** Merge mounts by path (read-write wins) in a stable order; paths must be absolute and free of ':'. */
export function normalizeMounts(mounts: Mount[]): Mount[] {
  const byPath = new Map<string, boolean>();
  for (const m of mounts) {
    const p = resolve(m.path);
    if (p.includes(':') || p.includes(',')) throw new Error(`cannot mount a path containing ':' or ',': ${p}`);
    byPath.set(p, (byPath.get(p) ?? true) && m.readOnly);
  }
  return [...byPath.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, readOnly]) => ({ path, readOnly }));
}

/** The full command line (engine binary first) that runs `req` in a fresh, named, network-less container. */
export function runArgv(s: ContainerSettings, name: string, req: RunRequest): string[] {
  const t = ENGINES[s.engine];
  const mounts = normalizeMounts(s.ccacheDir ? [...req.mounts, { path: s.ccacheDir, readOnly: false }] : req.mounts);
  const env = { ...(s.ccacheDir ? { CCACHE_DIR: s.ccacheDir } : {}), ...req.env };
  return [
    s.engine,
    ...globalArgs(s),
    'run',
    '--rm',
    '--name',
    name,
    '--pull=never',
    '--network=none',
    ...(s.ociRuntime && t.ociRuntimeAt === 'run' ? ['--runtime', s.ociRuntime] : []),
    ...t.userFlags(s.user),
    ...s.runFlags,
    ...mounts.flatMap((m) => ['-v', `${m.path}:${m.path}:${m.readOnly ? 'ro' : 'rw'}`]),
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    '-w',
    req.cwd,
    s.image,
    ...req.argv,
  ];
}

/** A container name unique to this process and call: `kmatrix-<pid>-<random>`. */
export function containerName(pid = process.pid): string {
  return `kmatrix-${pid}-${randomBytes(4).toString('hex')}`;
}

/** Of these container names, the kmatrix ones whose process is dead (left by a kmatrix killed with SIGKILL). */
export function orphanContainers(names: string[], isAlive: (pid: number) => boolean = alive): string[] {
  return names.filter((n) => {
    const m = /^kmatrix-(\d+)-[0-9a-f]+$/.exec(n);
    return m !== null && !isAlive(Number(m[1]));
  });
}

const ULIMIT_HINT =
  'add `runtime_flags: [--ulimit, nofile=20000:20000, --ulimit, nproc=4096:4096]` to the matrix ' +
  '(or pass `--runtime-flag=--ulimit=nofile=20000:20000 --runtime-flag=--ulimit=nproc=4096:4096`)';
const RUNC_HINT = 'set `oci_runtime: runc` in the matrix or pass `--oci-runtime runc`';

/** The settings that fix an OCI-runtime failure (crun, rlimits), given what is already configured; '' if none applies. */
export function ociHint(s: Pick<ContainerSettings, 'ociRuntime' | 'runFlags'>, msg: string): string {
  const crun = /crun|hybrid mode/i.test(msg);
  const rlimit = /rlimit/i.test(msg);
  const oci = /OCI runtime|OCI permission denied|runc create failed/i.test(msg);
  const hints: string[] = [];
  if (s.ociRuntime !== 'runc' && (crun || rlimit || oci)) hints.push(RUNC_HINT);
  if (rlimit && !s.runFlags.some((f) => f === '--ulimit' || f.startsWith('--ulimit='))) hints.push(ULIMIT_HINT);
  if (hints.length === 0 && /runtime "?runc"? not found/i.test(msg)) hints.push('install runc (`apt-get install runc`)');
  return hints.join(' and ');
}

/** The engine's own error line in its output (`Error: …`, `docker: …`), if any. */
export function engineErrorLine(output: string): string | null {
  const lines = output.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (/^(Error:|docker: |Error response from daemon|Cannot connect to the Docker daemon)/.test(l)) return l.replace(/^docker: /, '');
  }
  return null;
}

/** An infrastructure problem of the container engine and the one-line fix. */
export interface EngineFailure {
  problem: string;
  fix: string;
}

/** `problem; fix: …` — how an EngineFailure reads in logs and infra diagnostics. */
export function formatFailure(f: EngineFailure): string {
  return `${f.problem}; fix: ${f.fix}`;
}

/**
 * Why a container run failed for infrastructure reasons, with the fix; null when the exit code is the
 * command's own. 125 = the engine failed, 126/127 = the command could not be started, 137 = SIGKILL/OOM.
 */
export function diagnoseEngineFailure(
  s: Pick<ContainerSettings, 'engine' | 'image' | 'ociRuntime' | 'runFlags'>,
  exitCode: number | null,
  output: string,
): EngineFailure | null {
  const rebuild = `kmatrix image build --runtime ${s.engine} --image ${s.image}`;
  if (exitCode === 137) {
    return {
      problem: `container killed (exit 137: out of memory (OOMKilled) or SIGKILL from outside)`,
      fix: `give ${s.engine} more memory or use fewer --make-jobs`,
    };
  }
  const line = engineErrorLine(output);
  if (exitCode === null || (exitCode !== 125 && !((exitCode === 126 || exitCode === 127) && line))) return null;
  const msg = line ?? `${s.engine} exited ${exitCode}`;
  if (/Cannot connect to the Docker daemon|Is the docker daemon running/i.test(msg)) {
    return { problem: `${s.engine}: no Docker daemon is running (${msg})`, fix: 'start the Docker daemon, or use --runtime podman' };
  }
  if (/image not known|No such image|Unable to find image|pinging container registry|manifest unknown/i.test(msg)) {
    return { problem: `${s.engine}: image ${s.image} not found (${msg})`, fix: rebuild };
  }
  if (/executable file not found|command not found/i.test(msg)) {
    return { problem: `${s.engine}: command not found in image ${s.image} (${msg})`, fix: `add its package to docker/packages.txt, then ${rebuild}` };
  }
  const hint = ociHint(s, msg);
  if (hint) return { problem: `${s.engine}: the OCI runtime cannot start containers here (${msg})`, fix: hint };
  return { problem: `${s.engine}: container failed to start (exit ${exitCode}): ${msg}`, fix: `run \`kmatrix doctor --runtime ${s.engine}\`` };
}

/** The failure when the engine binary is not installed. */
export function engineMissing(engine: EngineName): EngineFailure {
  return { problem: `${engine} not found on PATH`, fix: 'install podman and runc (docker/setup.sh does), or use --runtime host' };
}

/** The failure when the image is not there. */
export function imageMissing(s: Pick<ContainerSettings, 'engine' | 'image'>): EngineFailure {
  return { problem: `${s.engine}: image ${s.image} not found`, fix: `kmatrix image build --runtime ${s.engine} --image ${s.image}` };
}

/** Whether an executable named `bin` is on PATH. */
export function onPath(bin: string, path = process.env['PATH'] ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return statSync(join(dir, bin)).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * For a linked git worktree (`.git` is a file), the git dir it points to (the repository's common dir), read from
 * that file and mounted read-only so `git` in the kernel's setlocalversion sees the same repo; null otherwise.
 * (workspace/git.ts's commonGitDir is another question: a tree's identity, asked of git, for any checkout.)
 */
export function linkedWorktreeGitDir(worktree: string): string | null {
  const dotGit = join(worktree, '.git');
  try {
    if (!statSync(dotGit).isFile()) return null;
    const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (!gitdir) return null;
    const wtGit = resolve(worktree, gitdir);
    const commondir = join(wtGit, 'commondir');
    return existsSync(commondir) ? resolve(wtGit, readFileSync(commondir, 'utf8').trim()) : dirname(dirname(wtGit));
  } catch {
    return null;
  }
}

/** Builds in a podman or docker container: same absolute paths inside, no network, output owned by the user. */
export class ContainerRuntime extends BaseRuntime {
  readonly name: EngineName;
  private ready: Promise<{ id: string | null; error: string | null }> | null = null;
  /** The runtimes of other images (toolchains with their own `image:`). */
  private readonly others = new Map<string, ContainerRuntime>();
  /** Containers started and not yet known to be gone. */
  private readonly live = new Set<string>();
  private exitHook: (() => void) | null = null;
  /** The engine clients' process groups (killed with kmatrix; the containers are removed by exitHook). */
  private readonly groups = new ProcessGroups();

  /** A runtime for these settings; the engine and image are first checked when it is first asked something. */
  constructor(readonly settings: ContainerSettings) {
    super();
    this.name = settings.engine;
  }

  /** If kmatrix exits abruptly (a second Ctrl-C → process.exit), remove what is still running, synchronously. */
  private track(name: string): void {
    this.live.add(name);
    if (!this.exitHook) {
      const s = this.settings;
      this.exitHook = () => {
        if (this.live.size === 0) return;
        spawnSync(s.engine, [...globalArgs(s), ...ENGINES[s.engine].forceRemove, ...this.live], { stdio: 'ignore', timeout: 30_000 });
      };
      process.on('exit', this.exitHook);
    }
  }

  /** Engine and image present? The image ID, or why not (checked once per instance). */
  private preflight(): Promise<{ id: string | null; error: string | null }> {
    this.ready ??= (async () => {
      const s = this.settings;
      if (s.ccacheDir) mkdirSync(s.ccacheDir, { recursive: true });
      if (!onPath(s.engine)) return { id: null, error: formatFailure(engineMissing(s.engine)) };
      await this.removeOrphans();
      const r = await execa(s.engine, [...globalArgs(s), 'image', 'inspect', '--format', '{{.Id}}', s.image], { reject: false, all: true });
      if (r.exitCode === 0) {
        const id = String(r.stdout).trim().split('\n')[0] ?? '';
        return { id: id.startsWith('sha256:') ? id : `sha256:${id}`, error: null };
      }
      const out = String(r.all ?? '');
      // The engine's own error says which: image not known, no daemon, a broken OCI runtime…
      const why = engineErrorLine(out) ? diagnoseEngineFailure(s, 125, out) : null;
      return { id: null, error: formatFailure(why ?? imageMissing(s)) };
    })();
    return this.ready;
  }

  /** The image by ID (its name while the engine cannot say), its facts file, or why no container can run. */
  protected async place(): Promise<Place> {
    const pre = await this.preflight();
    return { image: pre.id ?? this.settings.image, factsFile: factsFile(this.settings.factsDir, pre.id), error: pre.error };
  }

  /** `<program> --version`'s output in a fresh container of the image, or why it could not run. */
  protected async askVersion(program: string): Promise<VersionAnswer> {
    const argv = runArgv(this.settings, containerName(), { argv: [program, '--version'], cwd: '/', mounts: [] });
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, all: true });
    if (r.exitCode === 0) return { out: String(r.stdout) };
    const f = diagnoseEngineFailure(this.settings, r.exitCode ?? null, String(r.all ?? ''));
    const why = f ? formatFailure(f) : String(r.all ?? '').trim().split('\n').pop();
    return { missing: `${program} in ${this.settings.image} (${why})` };
  }

  /** The same engine and settings in another image (cached: one preflight and identity cache per image). */
  withImage(image: string): ContainerRuntime {
    if (image === this.settings.image) return this;
    let rt = this.others.get(image);
    if (!rt) this.others.set(image, (rt = new ContainerRuntime({ ...this.settings, image })));
    return rt;
  }

  /** Remove the `kmatrix-<pid>-*` containers whose kmatrix process died without removing them (SIGKILL, power loss). */
  async removeOrphans(): Promise<string[]> {
    const s = this.settings;
    const r = await execa(s.engine, [...globalArgs(s), 'ps', '-a', '--filter', 'name=^kmatrix-', '--format', '{{.Names}}'], { reject: false, timeout: 60_000 });
    if (r.exitCode !== 0) return [];
    const orphans = orphanContainers(String(r.stdout).split('\n').map((l) => l.trim()).filter(Boolean));
    if (orphans.length > 0) {
      process.stderr.write(`kmatrix: removing ${orphans.length} container(s) left by a kmatrix process that died: ${orphans.join(' ')}\n`);
      await execa(s.engine, [...globalArgs(s), ...ENGINES[s.engine].forceRemove, ...orphans], { reject: false, timeout: 120_000 });
    }
    return orphans;
  }

  /** Kill and force-remove a container (idempotent; errors ignored: it may be gone already). */
  async remove(name: string): Promise<void> {
    const s = this.settings;
    const opts = { reject: false, timeout: 60_000 } as const;
    await execa(s.engine, [...globalArgs(s), 'kill', name], opts);
    await execa(s.engine, [...globalArgs(s), ...ENGINES[s.engine].forceRemove, name], opts);
  }

  /** Run one command in a fresh container; timeout / abort kill and remove it; engine failures become infraError. */
  async exec(spec: ExecSpec): Promise<ExecResult> {
    const pre = await this.preflight();
    if (pre.error) {
      appendFileSync(spec.logFile, `kmatrix: ${pre.error}\n`);
      return { exitCode: null, signal: null, timedOut: false, aborted: spec.signal?.aborted ?? false, seconds: 0, infraError: pre.error };
    }
    if (spec.signal?.aborted) {
      appendFileSync(spec.logFile, 'kmatrix: build interrupted (Terminated)\n');
      return { exitCode: null, signal: null, timedOut: false, aborted: true, seconds: 0, infraError: null };
    }
    const name = containerName();
    const git = spec.mounts.map((m) => linkedWorktreeGitDir(m.path)).filter((p): p is string => p !== null);
    const argv = runArgv(this.settings, name, { ...spec, mounts: [...spec.mounts, ...git.map((path) => ({ path, readOnly: true }))] });
    const from = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0;
    this.track(name);
    let stopping: Promise<void> | null = null;
    const stop = () => (stopping ??= this.remove(name));
    // Registered before execLogged's own listeners: the container is killed first, then the client.
    const timer = spec.timeoutMs ? setTimeout(stop, spec.timeoutMs) : null;
    spec.signal?.addEventListener('abort', stop, { once: true });
    let r: ExecResult;
    try {
      r = await execLogged({ argv, cwd: spec.cwd, mounts: [], logFile: spec.logFile, timeoutMs: spec.timeoutMs, signal: spec.signal }, this.groups);
    } finally {
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener('abort', stop);
    }
    if (r.timedOut || r.aborted || r.exitCode === null) {
      // Also covers an abort that came before the container existed: the client is gone now, so remove again.
      await stop();
      stopping = null;
      await stop();
      appendFileSync(spec.logFile, `kmatrix: container ${name} stopped and removed\n`);
      this.live.delete(name);
      return r;
    }
    this.live.delete(name); // `run --rm` removed it
    if (r.infraError) return r;
    const f = diagnoseEngineFailure(this.settings, r.exitCode, readTail(spec.logFile, 65536, from));
    const infraError = f ? formatFailure(f) : null;
    if (infraError) appendFileSync(spec.logFile, `kmatrix: ${infraError}\n`);
    return { ...r, infraError };
  }
}
