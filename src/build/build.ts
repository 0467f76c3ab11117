import {
  appendFileSync,
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { renderFragment } from '../matrix/fragment.js';
import { kconfigDiagnostics } from '../kconfig/verify.js';
import type { Cell } from '../matrix/load.js';
import { DEFAULT_TOOLCHAIN, makeVariables } from '../matrix/toolchain.js';
import type { Runtime, ToolchainIdentity } from '../runtime/runtime.js';
import type { CommitInfo } from '../types.js';
import type { BuildStatus, CcacheStats, Diagnostic, StageTimes } from '../types.js';
import { isAllConfigTarget, srcArch } from '../matrix/support.js';
import { applyFragment } from './config-file.js';

/** The last `bytes` of a file as text ('' if unreadable). */
function tail(file: string, bytes = 256 * 1024): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, bytes));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Everything one build of one cell at one commit needs. */
export interface BuildJob {
  /** Source worktree, already at `commit`. */
  srcDir: string;
  /** Persistent O= dir of this (tree, cell). */
  buildDir: string;
  commit: CommitInfo;
  cell: Cell;
  runtime: Runtime;
  toolchain: ToolchainIdentity;
  /** make -j value. */
  makeJobs: number;
  /** Stop after the Kconfig stage. */
  kconfigOnly: boolean;
  /** Where the (compressed) log ends up. */
  logPath: string;
  signal?: AbortSignal;
  /** Called when the build enters a stage (for progress). */
  onStage?: (stage: 'kconfig' | 'build') => void;
}

/** The result of one build. */
export interface BuildOutcome {
  status: BuildStatus;
  stage: 'kconfig' | 'build';
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  seconds: number;
  startedAt: string;
  logPath: string;
  diagnostics: Diagnostic[];
  /** Seconds per stage of this build (empty for a result reused from the store: it did not run now). */
  stages: StageTimes;
  /** ccache's counts of this build; null without ccache (or for a reused result). */
  ccache: CcacheStats | null;
}

/** How one build ended, before its log is classified (classify/outcome.ts turns it into a BuildOutcome). */
export interface RawBuild {
  stage: 'kconfig' | 'build';
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** Why the runtime could not run a command, if so. */
  infraError: string | null;
  /** The abort reason (signal name) when aborted. */
  abortReason: unknown;
  /** Diagnostics the Kconfig stage found (requested symbols that did not stick). */
  kconfig: Diagnostic[];
  missingArtifacts: string[];
  /** Seconds spent configuring and building. */
  seconds: number;
  startedAt: string;
  /** The compressed log. */
  logPath: string;
  /** Source tree and O= dir: stripped from paths in the log. */
  roots: string[];
  /** Where a full disk would show (the build dir and the log dir). */
  dirs: string[];
  /** The last 256 KiB of the log (where make's final errors are). */
  logTail: string;
  /** Seconds per stage (kconfig, kconfigSkipped, make, compress); absent until the build side measures them. */
  stages?: StageTimes;
  /** ccache's counts of this build; null or absent without ccache. */
  ccache?: CcacheStats | null;
}

/**
 * The make command line for a build dir: ARCH and CROSS_COMPILE always (a bare make in O= reconfigures for x86),
 * then the toolchain's make variables (`LLVM=1`) on every call, Kconfig stage included (it records the compiler).
 */
export function makeArgv(job: Pick<BuildJob, 'srcDir' | 'buildDir' | 'cell'>, extra: string[]): string[] {
  return [
    'make',
    '-C',
    job.srcDir,
    `O=${job.buildDir}`,
    `ARCH=${job.cell.arch}`,
    `CROSS_COMPILE=${job.cell.crossCompile}`,
    ...makeVariables(job.cell.toolchain ?? DEFAULT_TOOLCHAIN),
    ...extra,
  ];
}

/** Gzip a finished log next to itself and remove the plain file; returns the .gz path. */
async function compressLog(plain: string, gz: string): Promise<string> {
  await pipeline(createReadStream(plain), createGzip(), createWriteStream(gz));
  rmSync(plain, { force: true });
  return gz;
}

/** Configure (base + fragments → .config, verified) and build one cell; the log is compressed, not yet classified. */
export async function buildCell(job: BuildJob): Promise<RawBuild> {
  const startedAt = new Date().toISOString();
  const t0 = process.hrtime.bigint();
  const { cell, srcDir, buildDir } = job;
  mkdirSync(buildDir, { recursive: true });
  mkdirSync(dirname(job.logPath), { recursive: true });
  const plainLog = job.logPath.replace(/\.gz$/, '');
  writeFileSync(
    plainLog,
    `kmatrix: cell ${cell.name} at ${job.commit.sha} (${job.commit.subject})\n` +
      `kmatrix: toolchain ${job.toolchain.compiler} [${job.toolchain.runtime}${job.toolchain.image ? ` ${job.toolchain.image}` : ''}]\n`,
  );
  const mounts = [
    { path: srcDir, readOnly: true },
    { path: buildDir, readOnly: false },
  ];
  const timeoutMs = cell.timeout * 1000;
  const exec = (argv: string[]) => {
    appendFileSync(plainLog, `$ ${argv.join(' ')}\n`);
    return job.runtime.exec({ argv, cwd: buildDir, mounts, logFile: plainLog, timeoutMs, signal: job.signal });
  };
  const finish = async (
    stage: 'kconfig' | 'build',
    r: { exitCode: number | null; timedOut: boolean; aborted: boolean; infraError: string | null },
    kconfig: Diagnostic[],
    missingArtifacts: string[],
  ): Promise<RawBuild> => ({
    stage,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    aborted: r.aborted,
    infraError: r.infraError,
    abortReason: job.signal?.reason,
    kconfig,
    missingArtifacts,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    startedAt,
    logTail: tail(plainLog),
    logPath: await compressLog(plainLog, job.logPath),
    roots: [srcDir, buildDir],
    dirs: [buildDir, dirname(job.logPath)],
  });

  // --- Kconfig stage: write a candidate config, keep the old .config (and its mtime) when unchanged.
  job.onStage?.('kconfig');
  const candidate = '.config.kmatrix';
  const candidatePath = join(buildDir, candidate);
  const fragmentPath = join(buildDir, 'kmatrix.fragment');
  writeFileSync(fragmentPath, renderFragment(cell.fragment));
  rmSync(candidatePath, { force: true });
  const kc = [`KCONFIG_CONFIG=${candidate}`];
  let r;
  if (isAllConfigTarget(cell.base)) {
    r = await exec(makeArgv(job, [...kc, `KCONFIG_ALLCONFIG=${fragmentPath}`, cell.base]));
  } else {
    if (cell.base.startsWith('/')) {
      writeFileSync(candidatePath, readFileSync(cell.base));
      r = { exitCode: 0, timedOut: false, aborted: false, infraError: null };
    } else {
      r = await exec(makeArgv(job, [...kc, cell.base]));
    }
    if (r.exitCode === 0 && existsSync(candidatePath)) {
      writeFileSync(candidatePath, applyFragment(readFileSync(candidatePath, 'utf8'), cell.fragment));
      r = await exec(makeArgv(job, [...kc, 'olddefconfig']));
    }
  }
  if (r.exitCode !== 0 || !existsSync(candidatePath)) return finish('kconfig', r, [], []);
  const dotConfig = join(buildDir, '.config');
  const fresh = readFileSync(candidatePath, 'utf8');
  if (!existsSync(dotConfig) || readFileSync(dotConfig, 'utf8') !== fresh) renameSync(candidatePath, dotConfig);
  else rmSync(candidatePath);
  const unmet = kconfigDiagnostics(srcDir, srcArch(cell.arch), fresh, cell.fragment);
  if (job.kconfigOnly) return finish('kconfig', r, unmet, []);

  // --- Build stage.
  job.onStage?.('build');
  r = await exec(makeArgv(job, ['-k', `-j${job.makeJobs}`, ...cell.targets]));
  const missing = cell.artifacts.filter((a) => !existsSync(join(buildDir, a)));
  return finish('build', r, unmet, missing);
}
