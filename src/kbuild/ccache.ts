import { readFileSync } from 'node:fs';
import { sep } from 'node:path';
import type { ToolchainFamily } from '../matrix/toolchain.js';
import type { CcacheStats } from '../types.js';

/** File in a build dir that ccache appends one record per compiler call to (CCACHE_STATSLOG), one build's worth. */
export const CCACHE_STATS_LOG = '.kmatrix-ccache-stats.log';

/**
 * The make variables that put ccache in front of the compilers. They are the same on every make call of a
 * build dir (Kconfig stage and build, ccache on or off), so kbuild never sees a changed command line.
 */
export function ccacheMakeVars(family: ToolchainFamily, crossCompile: string, compiler?: string): string[] {
  // `compiler`: the toolchain's own (toolchainCommands: `LLVM=-14` → clang-14, a `CC=` make variable), else the family's default.
  if (family === 'llvm') {
    const cc = compiler ?? 'clang';
    return [`CC=ccache ${cc}`, `HOSTCC=ccache ${cc}`];
  }
  return [`CC=ccache ${compiler ?? `${crossCompile}gcc`}`, 'HOSTCC=ccache gcc'];
}

/** How ccache runs for one build. */
export interface CcacheSetup {
  /** The cache (CCACHE_DIR), under the kmatrix cache dir. */
  dir: string;
  /** Paths under it are hashed relative to the build dir: the source tree and the O= dir may move (another cache dir, a CI runner). */
  baseDir: string | null;
  /** CCACHE_STATSLOG file. */
  statsLog: string;
  /** false = `--no-ccache`: ccache only runs the compiler (CCACHE_DISABLE), the command line stays the same. */
  enabled: boolean;
}

/** The longest directory both absolute paths are in ('/' if only the root). */
export function commonDir(a: string, b: string): string {
  const pa = a.split(sep);
  const pb = b.split(sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(sep) || sep;
}

/**
 * ccache's environment. COMPILERCHECK=content: the compiler driver's bytes are hashed, so a rebuilt image with the
 * same compiler keeps its hits (mtime would depend on how the image was unpacked, the image digest changes with any
 * package) and a changed compiler never reuses old objects. NOHASHDIR + BASEDIR: the cwd and absolute paths do not
 * enter the hash (the kernel already maps __FILE__ with -fmacro-prefix-map). DEPEND: a miss costs the compile and
 * no second preprocessor run (the includes come from kbuild's own `-Wp,-MMD` file). Measured on a cold SMP build
 * (bench/RESULTS.md): 138 s against 165 s in the default mode and about 120 s without ccache; a fresh build dir
 * still hits (756 of 761). What it gives up, preprocessor-mode hits between cells whose headers differ only in
 * unused config (UP-on-SMP after SMP), saved less than the miss cost.
 */
export function ccacheEnv(s: CcacheSetup): Record<string, string> {
  return {
    CCACHE_DIR: s.dir,
    CCACHE_COMPILERCHECK: 'content',
    CCACHE_DEPEND: '1',
    CCACHE_NOHASHDIR: '1',
    ...(s.baseDir && s.baseDir !== sep ? { CCACHE_BASEDIR: s.baseDir } : {}),
    CCACHE_STATSLOG: s.statsLog,
    ...(s.enabled ? {} : { CCACHE_DISABLE: '1' }),
  };
}

/** The build timestamp every build gets (see pinnedBuildEnv). */
export const BUILD_TIMESTAMP = '1970-01-01T00:00:00+00:00';

/**
 * Build metadata pinned so the same sources give the same objects (and ccache hits): a fixed user and host (the
 * container's random hostname changed compile.h on every build: init/version.o and a 3-pass vmlinux link each time)
 * and a fixed timestamp. Not the commit's date: Linux 6.1 puts KBUILD_BUILD_TIMESTAMP into init/utsversion-tmp.h,
 * so a per-commit date recompiles init/version.o and relinks vmlinux at every commit, even one that changed only
 * a module or the documentation (measured: about half of an incremental build).
 */
export function pinnedBuildEnv(): Record<string, string> {
  return { KBUILD_BUILD_TIMESTAMP: BUILD_TIMESTAMP, KBUILD_BUILD_USER: 'kmatrix', KBUILD_BUILD_HOST: 'kmatrix' };
}

/**
 * Hits, misses and uncacheable calls from a CCACHE_STATSLOG file (ccache 4.x: `# <input>` then one counter per
 * line): the same counts `ccache --show-log-stats` prints as Hits, Misses and Uncacheable calls.
 */
export function parseStatsLog(text: string): CcacheStats {
  const stats: CcacheStats = { hits: 0, misses: 0, uncacheable: 0 };
  let counters: string[] | null = null;
  const flush = () => {
    if (!counters) return;
    if (counters.includes('direct_cache_hit') || counters.includes('preprocessed_cache_hit')) stats.hits++;
    else if (counters.includes('cache_miss')) stats.misses++;
    else stats.uncacheable++;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      flush();
      counters = [];
    } else if (line.trim() && counters) counters.push(line.trim());
  }
  flush();
  return stats;
}

/** The stats of a build's CCACHE_STATSLOG file (no file: nothing was compiled, all zero). */
export function readStatsLog(file: string): CcacheStats {
  try {
    return parseStatsLog(readFileSync(file, 'utf8'));
  } catch {
    return { hits: 0, misses: 0, uncacheable: 0 };
  }
}
