/**
 * One build of one cell at one commit in its persistent O= dir: the Kconfig stage (skipped when its stamp says
 * nothing changed), the make stage through the runtime, ccache's counts, the compressed log. Hands back a RawBuild
 * (exit code, log, Kconfig findings, missing artifacts); classify/ turns it into a verdict.
 */
import {
  appendFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { renderFragment } from '../matrix/fragment.js';
import { kconfigDiagnostics } from '../kconfig/verify.js';
import type { Cell } from '../matrix/load.js';
import { DEFAULT_TOOLCHAIN, makeVariables, toolchainCommands } from '../matrix/toolchain.js';
import { readTail } from '../runtime/log-tail.js';
import { unidentified, type ExecResult, type Runtime, type ToolchainIdentity } from '../runtime/runtime.js';
import { mark, since, timed } from '../timed.js';
import type { CommitInfo } from '../types.js';
import type { BuildStatus, CcacheStats, Diagnostic, RunStage, StageTimes } from '../types.js';
import { isAllConfigTarget, srcArch } from '../matrix/support.js';
import { CCACHE_STATS_LOG, ccacheEnv, ccacheMakeVars, commonDir, pinnedBuildEnv, readStatsLog } from './ccache.js';
import { applyFragment } from './config-file.js';
import { git } from '../workspace/git.js';
import { carriedTreeDigest, clearStamp, configDigest, kconfigKey, kconfigTreeLines, readStamp, stampHit, treeDigest, writeStamp, type KconfigStamp } from './kconfig-stamp.js';

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
  onStage?: (stage: RunStage) => void;
  /** The ccache dir (under the kmatrix cache) and whether to use it (false: --no-ccache); absent = no ccache. */
  ccache?: { dir: string; enabled: boolean };
}

/** The result of one build: its RawBuild classified (status and diagnostics), as the pipeline records it. */
export interface BuildOutcome extends Pick<RawBuild, 'stage' | 'exitCode' | 'timedOut' | 'aborted' | 'seconds' | 'startedAt' | 'logPath'> {
  status: BuildStatus;
  diagnostics: Diagnostic[];
  /** Seconds per stage of this build (empty for a result reused from the store: it did not run now). */
  stages: StageTimes;
  /** ccache's counts of this build; null without ccache (or for a reused result). */
  ccache: CcacheStats | null;
}

/** How one build ended, before its log is classified (classify/outcome.ts turns it into a BuildOutcome). */
export interface RawBuild {
  stage: RunStage;
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
  /** Seconds per stage (kconfig, make, compress) and whether the Kconfig stage was skipped (buildCell always sets it). */
  stages?: StageTimes;
  /** ccache's hits and misses in this build; null when it did not use ccache (buildCell always sets it). */
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

/**
 * The worktree HEAD's tree and the digest of its Kconfig input lines; null if git cannot tell (then the stage always runs).
 * From the stamp's tree a `git diff-tree` of the changed paths (milliseconds) usually shows no Kconfig input changed;
 * only then is the whole tree listed (`git ls-tree -r`, 0.1–0.4 s on Linux).
 */
async function kconfigTree(srcDir: string, stamp: KconfigStamp | null): Promise<{ id: string; digest: string } | null> {
  try {
    const id = await git(srcDir, ['rev-parse', 'HEAD^{tree}']);
    let changed: string[] | null = null;
    if (stamp?.treeId && stamp.treeId !== id) {
      changed = await git(srcDir, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', stamp.treeId, id]).then(
        (out) => out.split('\0').filter(Boolean),
        () => null, // the stamp's tree is gone (another repository, gc): list the tree
      );
    }
    const carried = carriedTreeDigest(stamp, id, changed);
    if (carried) return { id, digest: carried };
    return { id, digest: treeDigest(kconfigTreeLines(await git(srcDir, ['ls-tree', '-r', '--full-tree', id]))) };
  } catch {
    return null;
  }
}

/** How a command of the build ended (what finish records of it). */
type Ended = Pick<ExecResult, 'exitCode' | 'timedOut' | 'aborted' | 'infraError'>;

/** A command that was not run (a skipped or file-based Kconfig step). */
const NOT_RUN: Ended = { exitCode: 0, timedOut: false, aborted: false, infraError: null };

/** What the stages of one build share: the job, its plain log, its make command line and runner, its stage times. */
interface Building {
  job: BuildJob;
  startedAt: string;
  t0: bigint;
  plainLog: string;
  stages: StageTimes;
  /** The ccache setup when this build goes through ccache (asked for, and present where the build runs). */
  cc: { dir: string; enabled: boolean } | null;
  statsLog: string;
  mk(extra: string[]): string[];
  exec(argv: string[]): Promise<ExecResult>;
}

/**
 * ccache: the same CC on every make of this build dir, on or off (off = CCACHE_DISABLE), so kbuild never rebuilds for
 * it. A missing compiler is not wrapped: kbuild then names the compiler it cannot find (`ccache <missing gcc>` passes
 * its `command -v` check and the first complaint would be about the linker). Says in the log what it chose.
 */
async function ccacheSetup(job: BuildJob, plainLog: string): Promise<{ cc: Building['cc']; statsLog: string; ccVars: string[]; env: Record<string, string> }> {
  const { cell, srcDir, buildDir } = job;
  const compilerMissing = unidentified(job.toolchain.compiler);
  const ccacheVersion = job.ccache && !compilerMissing ? ((await job.runtime.ccacheVersion?.()) ?? null) : null;
  const cc = job.ccache && ccacheVersion ? job.ccache : null;
  const statsLog = join(buildDir, CCACHE_STATS_LOG);
  rmSync(statsLog, { force: true });
  const ccVars = cc ? ccacheMakeVars(cell.toolchain.family, cell.crossCompile, toolchainCommands(cell.toolchain, cell.crossCompile).compiler) : [];
  if (cc) mkdirSync(cc.dir, { recursive: true });
  const env = { ...pinnedBuildEnv(), ...(cc ? ccacheEnv({ dir: cc.dir, baseDir: commonDir(srcDir, buildDir), statsLog, enabled: cc.enabled }) : {}) };
  if (job.ccache) {
    appendFileSync(
      plainLog,
      ccacheVersion
        ? `kmatrix: ${ccacheVersion}${job.ccache.enabled ? ` (cache ${job.ccache.dir})` : ' (disabled: --no-ccache)'}\n`
        : compilerMissing
          ? `kmatrix: the compiler is missing (${job.toolchain.compiler}): not wrapped in ccache\n`
          : `kmatrix: no ccache where this build runs: compiling without it\n`,
    );
  }
  return { cc, statsLog, ccVars, env };
}

/** Create the build and log dirs, start the log, set up ccache: everything the stages share. */
async function startBuilding(job: BuildJob): Promise<Building> {
  const startedAt = new Date().toISOString();
  const t0 = mark();
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
  const { cc, statsLog, ccVars, env } = await ccacheSetup(job, plainLog);
  return {
    job,
    startedAt,
    t0,
    plainLog,
    stages: {},
    cc,
    statsLog,
    mk: (extra) => makeArgv(job, [...ccVars, ...extra]),
    exec: (argv) => {
      appendFileSync(plainLog, `$ ${argv.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
      return job.runtime.exec({ argv, cwd: buildDir, env, mounts, logFile: plainLog, timeoutMs: cell.timeout * 1000, signal: job.signal });
    },
  };
}

/** End a build: ccache's counts, the log's tail, the log compressed; the RawBuild of what happened. */
async function finish(b: Building, stage: RunStage, r: Ended, kconfig: Diagnostic[], missingArtifacts: string[]): Promise<RawBuild> {
  const { job, plainLog, stages } = b;
  const ccache = b.cc?.enabled ? readStatsLog(b.statsLog) : null;
  if (ccache) appendFileSync(plainLog, `kmatrix: ccache: ${ccache.hits} hits, ${ccache.misses} misses, ${ccache.uncacheable} uncacheable\n`);
  const seconds = since(b.t0);
  const logTail = readTail(plainLog, 256 * 1024);
  const logPath = await timed(stages, 'compress', () => compressLog(plainLog, job.logPath));
  const { exitCode, timedOut, aborted, infraError } = r;
  return {
    stage,
    exitCode,
    timedOut,
    aborted,
    infraError,
    abortReason: job.signal?.reason,
    kconfig,
    missingArtifacts,
    seconds,
    startedAt: b.startedAt,
    logTail,
    logPath,
    roots: [job.srcDir, job.buildDir],
    dirs: [job.buildDir, dirname(job.logPath)],
    stages,
    ccache,
  };
}

/**
 * The Kconfig stage: skipped when its inputs are those that made the current .config; else write a candidate config
 * and keep the old .config (and its mtime) when unchanged. Returns the requested symbols that did not stick, or null
 * with how the failing command ended.
 */
async function kconfigStage(b: Building): Promise<{ r: Ended; unmet: Diagnostic[] | null }> {
  const { job, stages, plainLog } = b;
  const { cell, srcDir, buildDir } = job;
  const dotConfig = join(buildDir, '.config');
  const fragmentText = renderFragment(cell.fragment);
  const stamp = readStamp(buildDir);
  const tree = await kconfigTree(srcDir, stamp);
  const key = tree
    ? kconfigKey({
        base: cell.base.startsWith('/') ? readFileSync(cell.base, 'utf8') : cell.base,
        fragment: fragmentText,
        make: b.mk([]),
        compiler: `${job.toolchain.runtime} ${job.toolchain.image ?? ''} ${job.toolchain.compiler}`,
        tree: tree.digest,
      })
    : null;
  /** The build dir's .config before this build (read once: the stamp check and the comparison with a new candidate). */
  const current = existsSync(dotConfig) ? readFileSync(dotConfig, 'utf8') : null;
  const cached = key ? stampHit(stamp, key, current) : null;
  if (cached) {
    appendFileSync(plainLog, `kmatrix: Kconfig stage skipped: base, fragment, toolchain and Kconfig files unchanged since .config was made (${key!.slice(0, 12)})\n`);
    stages.kconfigSkipped = true;
    // Same inputs at this tree: remember it, so the next build's diff-tree starts here.
    if (tree && stamp && stamp.treeId !== tree.id) writeStamp(buildDir, { key: stamp.key, config: stamp.config, unmet: stamp.unmet, treeId: tree.id, treeDigest: tree.digest });
    return { r: NOT_RUN, unmet: cached };
  }
  clearStamp(buildDir);
  const candidatePath = join(buildDir, CANDIDATE);
  const r = await makeCandidate(b, candidatePath);
  if (r.exitCode !== 0 || !existsSync(candidatePath)) return { r, unmet: null };
  const fresh = readFileSync(candidatePath, 'utf8');
  if (current !== fresh) renameSync(candidatePath, dotConfig);
  else rmSync(candidatePath);
  const unmet = kconfigDiagnostics(srcDir, srcArch(cell.arch), fresh, cell.fragment);
  if (key) writeStamp(buildDir, { key, config: configDigest(fresh), unmet, ...(tree ? { treeId: tree.id, treeDigest: tree.digest } : {}) });
  stages.kconfigSkipped = false;
  return { r, unmet };
}

/** The candidate .config a Kconfig stage writes before it replaces .config. */
const CANDIDATE = '.config.kmatrix';

/** Write the candidate config: an all*config target with the fragment as KCONFIG_ALLCONFIG, else the base (a target or a file) + fragment + olddefconfig. */
async function makeCandidate(b: Building, candidatePath: string): Promise<Ended> {
  const { cell, buildDir } = b.job;
  const fragmentPath = join(buildDir, 'kmatrix.fragment');
  writeFileSync(fragmentPath, renderFragment(cell.fragment));
  rmSync(candidatePath, { force: true });
  const kc = [`KCONFIG_CONFIG=${CANDIDATE}`];
  if (isAllConfigTarget(cell.base)) return b.exec(b.mk([...kc, `KCONFIG_ALLCONFIG=${fragmentPath}`, cell.base]));
  let r: Ended = NOT_RUN;
  if (cell.base.startsWith('/')) writeFileSync(candidatePath, readFileSync(cell.base));
  else r = await b.exec(b.mk([...kc, cell.base]));
  if (r.exitCode === 0 && existsSync(candidatePath)) {
    writeFileSync(candidatePath, applyFragment(readFileSync(candidatePath, 'utf8'), cell.fragment));
    r = await b.exec(b.mk([...kc, 'olddefconfig']));
  }
  return r;
}

/**
 * Configure (base + fragments → .config, verified) and build one cell; the log is compressed, not yet classified.
 * The Kconfig stage is skipped when the build dir's stamp shows the same inputs produced its current .config.
 */
export async function buildCell(job: BuildJob): Promise<RawBuild> {
  const b = await startBuilding(job);
  job.onStage?.('kconfig');
  const k = await timed(b.stages, 'kconfig', () => kconfigStage(b));
  if (k.unmet === null) {
    b.stages.kconfigSkipped = false;
    return finish(b, 'kconfig', k.r, [], []);
  }
  if (job.kconfigOnly) return finish(b, 'kconfig', k.r, k.unmet, []);
  job.onStage?.('build');
  const r = await timed(b.stages, 'make', () => b.exec(b.mk(['-k', `-j${job.makeJobs}`, ...job.cell.targets])));
  const missing = job.cell.artifacts.filter((a) => !existsSync(join(job.buildDir, a)));
  return finish(b, 'build', r, k.unmet, missing);
}
