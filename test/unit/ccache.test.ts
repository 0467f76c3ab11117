/** ccache for real: the constant CC, its environment, the pinned build metadata and the stats-log parser (on real ccache 4.7.5 output). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCell } from '../../src/kbuild/build.js';
import { ccacheEnv, ccacheMakeVars, commonDir, parseStatsLog, pinnedBuildEnv } from '../../src/kbuild/ccache.js';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix } from '../../src/matrix/load.js';
import type { ExecSpec, Runtime } from '../../src/runtime/runtime.js';
import { fakeRuntime, fakeTree, gitIn } from '../helpers/fake-tree.js';
import { tempDir } from '../helpers/replay.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ccache');

describe('ccache make variables and environment', () => {
  it('CC and HOSTCC go through ccache: the cross gcc for GNU, clang for LLVM', () => {
    expect(ccacheMakeVars('gcc', 'arm-linux-gnueabi-')).toEqual(['CC=ccache arm-linux-gnueabi-gcc', 'HOSTCC=ccache gcc']);
    expect(ccacheMakeVars('llvm', 'arm-linux-gnueabi-')).toEqual(['CC=ccache clang', 'HOSTCC=ccache clang']);
  });

  it('content compiler check, depend mode, no cwd in the hash, paths relative to the base dir; --no-ccache only disables', () => {
    const on = ccacheEnv({ dir: '/c/ccache', baseDir: '/c/trees/1', statsLog: '/c/trees/1/build/x/.s', enabled: true });
    expect(on).toEqual({
      CCACHE_DIR: '/c/ccache',
      CCACHE_COMPILERCHECK: 'content',
      CCACHE_DEPEND: '1',
      CCACHE_NOHASHDIR: '1',
      CCACHE_BASEDIR: '/c/trees/1',
      CCACHE_STATSLOG: '/c/trees/1/build/x/.s',
    });
    const off = ccacheEnv({ dir: '/c/ccache', baseDir: '/c/trees/1', statsLog: '/s', enabled: false });
    expect(off['CCACHE_DISABLE']).toBe('1');
    expect(ccacheEnv({ dir: '/c', baseDir: '/', statsLog: '/s', enabled: true })).not.toHaveProperty('CCACHE_BASEDIR');
  });

  it('the base dir is the deepest directory holding both the worktree and the build dir', () => {
    expect(commonDir('/c/trees/abc/src', '/c/trees/abc/build/podman/virt-v7__UP')).toBe('/c/trees/abc');
    expect(commonDir('/src/linux', '/build/o')).toBe('/');
    expect(commonDir('/a/bc', '/a/b')).toBe('/a');
  });

  it('build metadata is pinned: a fixed timestamp (not per commit: that relinks vmlinux every commit), user and host', () => {
    expect(pinnedBuildEnv()).toEqual({
      KBUILD_BUILD_TIMESTAMP: '1970-01-01T00:00:00+00:00',
      KBUILD_BUILD_USER: 'kmatrix',
      KBUILD_BUILD_HOST: 'kmatrix',
    });
  });
});

describe('what buildCell passes to make', () => {
  const cell = loadMatrix(DEFAULT_MATRIX).cells.find((c) => c.name === 'virt-v7/UP')!;

  async function calls(runtimeCcache: string | null, enabled: boolean | null): Promise<ExecSpec[]> {
    const { tree } = fakeTree(1);
    const dir = tempDir('kmatrix-ccache-');
    const seen: ExecSpec[] = [];
    const fake = fakeRuntime([cell], (spec) => void seen.push(spec));
    const runtime: Runtime = { ...fake, ccacheVersion: async () => runtimeCcache };
    await buildCell({
      srcDir: tree,
      buildDir: join(dir, 'virt-v7__UP'),
      commit: { sha: gitIn(tree, 'rev-parse', 'HEAD'), treeSha: '', subject: 's', author: 'a', authorDate: '2026-11-29T10:00:00Z' },
      cell,
      runtime,
      toolchain: { runtime: 'host', image: null, compiler: 'fake-gcc 1.0' },
      makeJobs: 2,
      kconfigOnly: false,
      logPath: join(dir, 'log.gz'),
      ...(enabled === null ? {} : { ccache: { dir: join(dir, 'ccache'), enabled } }),
    });
    return seen;
  }

  it('the same CC on the Kconfig stage and the build, ccache on or off', async () => {
    for (const enabled of [true, false]) {
      const seen = await calls('ccache version 4.7.5', enabled);
      expect(seen.length).toBe(2);
      for (const s of seen) {
        expect(s.argv).toContain('CC=ccache arm-linux-gnueabi-gcc');
        expect(s.env?.['KBUILD_BUILD_HOST']).toBe('kmatrix');
        expect(s.env?.['CCACHE_DISABLE']).toBe(enabled ? undefined : '1');
      }
    }
  });

  it('no ccache where the build runs (or none asked for): plain CC, no ccache environment', async () => {
    for (const seen of [await calls(null, true), await calls('ccache version 4.7.5', null)]) {
      for (const s of seen) {
        expect(s.argv.some((a) => a.startsWith('CC='))).toBe(false);
        expect(Object.keys(s.env ?? {}).filter((k) => k.startsWith('CCACHE_'))).toEqual([]);
      }
    }
  });
});

describe('the CCACHE_STATSLOG parser', () => {
  it('counts what `ccache --show-log-stats` counts, on a real log of a kernel build', () => {
    const log = readFileSync(join(FIXTURES, 'kernel-build.statslog'), 'utf8');
    const shown = readFileSync(join(FIXTURES, 'kernel-build.show-log-stats.txt'), 'utf8');
    const field = (name: string) => Number(new RegExp(`^\\s*${name}:\\s+(\\d+)`, 'm').exec(shown)?.[1] ?? NaN);
    const stats = parseStatsLog(log);
    expect(stats).toEqual({ hits: field('Hits'), misses: field('Misses'), uncacheable: field('Uncacheable calls') });
    expect(stats.hits + stats.misses).toBeGreaterThan(0);
  });

  it('an empty log is all zero', () => {
    expect(parseStatsLog('')).toEqual({ hits: 0, misses: 0, uncacheable: 0 });
  });
});
