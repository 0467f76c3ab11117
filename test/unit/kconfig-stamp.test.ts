/** The Kconfig stage is skipped exactly when none of its inputs changed since the build dir's .config was made. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCell, type RawBuild } from '../../src/kbuild/build.js';
import { carriedTreeDigest, isKconfigInput, KCONFIG_STAMP, kconfigKey, kconfigTreeLines, readStamp, treeDigest, type KconfigInputs, type KconfigStamp } from '../../src/kbuild/kconfig-stamp.js';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix, type Cell } from '../../src/matrix/load.js';
import type { ExecSpec, Runtime, ToolchainIdentity } from '../../src/runtime/runtime.js';
import { fakeRuntime, fakeTree, gitIn } from '../helpers/fake-tree.js';

const matrix = loadMatrix(DEFAULT_MATRIX);
const UP = matrix.cells.find((c) => c.name === 'virt-v7/UP')!;
const TC: ToolchainIdentity = { runtime: 'host', image: null, compiler: 'fake-gcc 1.0' };

const TREE = ['1111 Kconfig', '2222 arch/arm/Kconfig', '3333 scripts/kconfig/conf.c'];
const inputs: KconfigInputs = {
  base: 'allnoconfig',
  fragment: 'CONFIG_MMU=y\n',
  make: ['make', 'ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabi-', 'CC=ccache arm-linux-gnueabi-gcc'],
  compiler: 'podman sha256:1 arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0',
  tree: treeDigest(TREE),
};

describe('the Kconfig stamp key', () => {
  it('changes with the base, the fragment, the make variables, the compiler and any Kconfig file; not otherwise', () => {
    const k = kconfigKey(inputs);
    expect(kconfigKey({ ...inputs })).toBe(k);
    expect(kconfigKey({ ...inputs, base: 'tinyconfig' })).not.toBe(k);
    expect(kconfigKey({ ...inputs, base: 'CONFIG_A=y\n' })).not.toBe(k);
    expect(kconfigKey({ ...inputs, fragment: 'CONFIG_MMU=y\nCONFIG_SMP=y\n' })).not.toBe(k);
    expect(kconfigKey({ ...inputs, make: [...inputs.make, 'LLVM=1'] })).not.toBe(k);
    expect(kconfigKey({ ...inputs, compiler: 'podman sha256:1 arm-linux-gnueabi-gcc (Debian 12.3.0-1) 12.3.0' })).not.toBe(k);
    expect(kconfigKey({ ...inputs, compiler: 'podman sha256:2 arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0' })).not.toBe(k);
    expect(kconfigKey({ ...inputs, tree: treeDigest(['1111 Kconfig', '2223 arch/arm/Kconfig', '3333 scripts/kconfig/conf.c']) })).not.toBe(k);
    expect(kconfigKey({ ...inputs, tree: treeDigest([...TREE, '4444 drivers/block/zram/Kconfig']) })).not.toBe(k);
    // Parts are length-prefixed: moving text from one part to the next is a different key.
    expect(kconfigKey({ ...inputs, base: 'allnoconfigC', fragment: 'ONFIG_MMU=y\n' })).not.toBe(k);
  });

  it('takes every Kconfig*, scripts/kconfig and the config targets\' files from ls-tree, nothing else', () => {
    expect(['Kconfig', 'mm/Kconfig', 'arch/arm/Kconfig.debug', 'scripts/Kconfig.include', 'scripts/kconfig/conf.c', 'scripts/cc-version.sh',
      'arch/arm/configs/multi_v7_defconfig', 'kernel/configs/tiny.config', 'Makefile', 'arch/arm/Makefile'].every(isKconfigInput)).toBe(true);
    expect(['mm/zsmalloc.c', 'drivers/block/zram/zram_drv.c', 'Documentation/admin-guide/blockdev/zram.rst', 'mm/Makefile', 'scripts/Makefile.build']
      .some(isKconfigInput)).toBe(false);
    const ls = [
      '100644 blob aaaa\tmm/zsmalloc.c',
      '100644 blob bbbb\tmm/Kconfig',
      '100644 blob cccc\tKconfig',
      '100644 blob dddd\tscripts/kconfig/confdata.c',
    ].join('\n');
    expect(kconfigTreeLines(ls)).toEqual(['bbbb mm/Kconfig', 'cccc Kconfig', 'dddd scripts/kconfig/confdata.c']);
  });

  it('carries the stamp\'s tree digest over only when no Kconfig input changed since the stamp\'s tree', () => {
    const stamp: KconfigStamp = { version: 1, key: 'k', config: 'c', unmet: [], treeId: 'tree-a', treeDigest: 'digest-a' };
    expect(carriedTreeDigest(stamp, 'tree-a', null)).toBe('digest-a');
    expect(carriedTreeDigest(stamp, 'tree-b', ['mm/zsmalloc.c', 'Documentation/mm/zsmalloc.rst'])).toBe('digest-a');
    expect(carriedTreeDigest(stamp, 'tree-b', [])).toBe('digest-a');
    expect(carriedTreeDigest(stamp, 'tree-b', ['mm/zsmalloc.c', 'mm/Kconfig'])).toBeNull();
    expect(carriedTreeDigest(stamp, 'tree-b', ['arch/arm/configs/multi_v7_defconfig'])).toBeNull();
    // Unknown change set (the stamp's tree is gone), or a stamp from before tree ids were kept: list the tree.
    expect(carriedTreeDigest(stamp, 'tree-b', null)).toBeNull();
    expect(carriedTreeDigest({ version: 1, key: 'k', config: 'c', unmet: [] }, 'tree-a', [])).toBeNull();
    expect(carriedTreeDigest(null, 'tree-a', [])).toBeNull();
  });
});

/** A build of `cell` at the worktree's HEAD in `buildDir` with a fake runtime; returns the RawBuild and the Kconfig-stage commands run. */
async function build(srcDir: string, buildDir: string, cell: Cell, toolchain = TC, drop?: string) {
  const results = mkdtempSync(join(tmpdir(), 'kmatrix-stamp-log-'));
  const kconfigCalls: ExecSpec[] = [];
  const fake = fakeRuntime([cell], (spec) => {
    if (spec.argv.some((a) => a.startsWith('KCONFIG_CONFIG='))) kconfigCalls.push(spec);
  });
  // `drop`: the Kconfig stage leaves this requested line out of the config (a symbol that does not stick).
  const runtime: Runtime = {
    ...fake,
    async exec(spec) {
      const r = await fake.exec(spec);
      const kc = spec.argv.find((a) => a.startsWith('KCONFIG_CONFIG='));
      if (kc && drop) {
        const p = join(spec.cwd, kc.slice('KCONFIG_CONFIG='.length));
        writeFileSync(p, readFileSync(p, 'utf8').split('\n').filter((l) => l !== drop).join('\n'));
      }
      return r;
    },
  };
  const sha = gitIn(srcDir, 'rev-parse', 'HEAD');
  const raw: RawBuild = await buildCell({
    srcDir,
    buildDir,
    commit: { sha, treeSha: '', subject: 's', author: 'a', authorDate: '2026-01-01T00:00:00Z' },
    cell,
    runtime,
    toolchain,
    makeJobs: 1,
    kconfigOnly: false,
    logPath: join(results, 'b.log.gz'),
  });
  return { raw, kconfigCalls };
}

describe('buildCell skips the Kconfig stage only when nothing it depends on changed', () => {
  it('next commit without Kconfig changes: skipped with the same diagnostics; a Kconfig change, the fragment, the toolchain, a changed .config: run', async () => {
    const { tree } = fakeTree(1);
    const buildDir = join(mkdtempSync(join(tmpdir(), 'kmatrix-stamp-')), 'virt-v7__UP');
    mkdirSync(buildDir, { recursive: true });

    const first = await build(tree, buildDir, UP);
    expect(first.kconfigCalls.length).toBeGreaterThan(0);
    expect(first.raw.stages?.kconfigSkipped).toBe(false);
    expect(first.raw.exitCode).toBe(0);

    // A commit that changes only a C file.
    writeFileSync(join(tree, 'file.c'), 'int x = 42;\n');
    gitIn(tree, 'commit', '--quiet', '-am', 'c only');
    const second = await build(tree, buildDir, UP);
    expect(second.kconfigCalls).toEqual([]);
    expect(second.raw.stages?.kconfigSkipped).toBe(true);
    expect(second.raw.kconfig).toEqual(first.raw.kconfig);
    // The stamp moved on to this tree, so the next build diffs from here.
    const headTree = gitIn(tree, 'rev-parse', 'HEAD^{tree}').trim();
    expect(readStamp(buildDir)?.treeId).toBe(headTree);

    // The stamp's tree unknown to git (another repository, gc): the tree is listed instead, and nothing changed.
    const stampFile = join(buildDir, KCONFIG_STAMP);
    const good = readFileSync(stampFile, 'utf8');
    writeFileSync(stampFile, good.replace(headTree, '0123456789abcdef0123456789abcdef01234567'));
    expect((await build(tree, buildDir, UP)).raw.stages?.kconfigSkipped).toBe(true);
    // A stamp whose digest is wrong never skips wrongly: the key no longer matches, the stage runs.
    writeFileSync(join(tree, 'file.c'), 'int x = 43;\n');
    gitIn(tree, 'commit', '--quiet', '-am', 'c only, again');
    const wrong = JSON.parse(readFileSync(stampFile, 'utf8')) as KconfigStamp;
    writeFileSync(stampFile, JSON.stringify({ ...wrong, treeDigest: 'f'.repeat(64) }));
    expect((await build(tree, buildDir, UP)).raw.stages?.kconfigSkipped).toBe(false);

    // A commit that changes a Kconfig file.
    writeFileSync(join(tree, 'arch', 'arm', 'Kconfig'), 'config ARM\n\tdef_bool y\n\nconfig NEW\n\tbool\n');
    gitIn(tree, 'commit', '--quiet', '-am', 'kconfig');
    const third = await build(tree, buildDir, UP);
    expect(third.kconfigCalls.length).toBeGreaterThan(0);
    expect(third.raw.stages?.kconfigSkipped).toBe(false);
    expect((await build(tree, buildDir, UP)).raw.stages?.kconfigSkipped).toBe(true);

    // Another fragment in the same build dir.
    const smpish: Cell = { ...UP, fragment: [...UP.fragment, { symbol: 'SMP', value: 'y', quoted: false } as Cell['fragment'][number]] };
    expect((await build(tree, buildDir, smpish)).raw.stages?.kconfigSkipped).toBe(false);
    expect((await build(tree, buildDir, smpish)).raw.stages?.kconfigSkipped).toBe(true);

    // Another compiler.
    expect((await build(tree, buildDir, smpish, { ...TC, compiler: 'fake-gcc 2.0' })).raw.stages?.kconfigSkipped).toBe(false);

    // .config changed behind kmatrix's back: the stamp no longer describes it.
    writeFileSync(join(buildDir, '.config'), readFileSync(join(buildDir, '.config'), 'utf8') + 'CONFIG_EDITED=y\n');
    const edited = await build(tree, buildDir, smpish, { ...TC, compiler: 'fake-gcc 2.0' });
    expect(edited.raw.stages?.kconfigSkipped).toBe(false);
    expect(readFileSync(join(buildDir, '.config'), 'utf8')).not.toContain('CONFIG_EDITED');
  });

  it('a skipped stage still reports the unmet-symbol diagnostics the stage found', async () => {
    const { tree } = fakeTree(1);
    const buildDir = join(mkdtempSync(join(tmpdir(), 'kmatrix-stamp-')), 'virt-v7__UP');
    mkdirSync(buildDir, { recursive: true });
    const first = await build(tree, buildDir, UP, TC, 'CONFIG_ZRAM=m');
    expect(first.raw.stages?.kconfigSkipped).toBe(false);
    expect(first.raw.kconfig.map((d) => d.symbol)).toEqual(['CONFIG_ZRAM']);
    writeFileSync(join(tree, 'file.c'), 'int x = 7;\n');
    gitIn(tree, 'commit', '--quiet', '-am', 'c only');
    const second = await build(tree, buildDir, UP, TC, 'CONFIG_ZRAM=m');
    expect(second.kconfigCalls).toEqual([]);
    expect(second.raw.stages?.kconfigSkipped).toBe(true);
    expect(second.raw.kconfig).toEqual(first.raw.kconfig);
  });
});
