import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../src/errors.js';
import { loadMatrix, parseMatrix, type Cell } from '../../src/matrix/load.js';
import { parseFragment } from '../../src/matrix/fragment.js';
import { cellMatcher } from '../../src/matrix/glob.js';
import { selectCells } from '../../src/cli/options.js';
import { adhocMatrix } from '../../src/matrix/adhoc.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'kmatrix-matrix-'));

/** Write a matrix next to a fragment file and parse it; returns the thrown InputError or the matrix. */
function load(yaml: string) {
  writeFileSync(join(dir, 'frag.config'), 'CONFIG_ZRAM=m\n# CONFIG_SMP is not set\n');
  writeFileSync(join(dir, 'bad-frag.config'), 'CONFIG_ZRAM=m\nCONFIG_BROKEN y\n');
  const file = join(dir, 'm.yaml');
  writeFileSync(file, yaml);
  return parseMatrix(yaml, file);
}

function errorOf(yaml: string): InputError {
  try {
    load(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

const GOOD = `version: 1
name: t
arch: arm
cross_compile: arm-linux-gnueabi-
targets: [vmlinux, modules]
artifacts: [mm/zsmalloc.ko]
fragments:
  f:
    file: frag.config
variants:
  UP: { config: ["# CONFIG_SMP is not set"] }
  SMP: { config: ["CONFIG_SMP=y", "# CONFIG_SMP_ON_UP is not set"] }
configs:
  a:
    base: allnoconfig
    fragments: [f]
    config: ["CONFIG_MMU=y"]
`;

describe('matrix files', () => {
  it('expands the default matrix to the three SMP flavours of virt-v7', () => {
    const m = loadMatrix(join(root, 'matrix/zsmalloc-arm.yaml'));
    expect(m.cells.map((c) => c.name)).toEqual(['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP']);
    const up = m.cells[0]!;
    expect(up.base).toBe('allnoconfig');
    expect(up.artifacts).toEqual(['mm/zsmalloc.ko', 'drivers/block/zram/zram.ko']);
    const vals = Object.fromEntries(up.fragment.map((l) => [l.symbol, l.value]));
    expect(vals).toMatchObject({ SMP: 'n', ZRAM: 'm', ZSMALLOC: 'm', BLK_DEV: 'y', MMU: 'y' });
    const uos = Object.fromEntries(m.cells[2]!.fragment.map((l) => [l.symbol, l.value]));
    expect(uos).toMatchObject({ SMP: 'y', SMP_ON_UP: 'y' });
    // Each cell's definition hash differs; the same file hashes the same twice.
    expect(new Set(m.cells.map((c) => c.hash)).size).toBe(3);
    expect(loadMatrix(join(root, 'matrix/zsmalloc-arm.yaml')).hash).toBe(m.hash);
  });

  it('expands the in-tree defconfig matrix, honouring exclude', () => {
    const m = loadMatrix(join(root, 'matrix/arm-defconfigs.yaml'));
    const names = m.cells.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['multi_v7/UP', 'multi_v7/SMP', 'multi_v7/UP-on-SMP']));
    // ARMv6 CPUs force SMP_ON_UP on SMP kernels: those configs exclude the plain SMP variant.
    for (const c of ['omap2plus', 'imx_v6_v7']) expect(names.filter((n) => n.startsWith(`${c}/`))).toEqual([`${c}/UP`, `${c}/UP-on-SMP`]);
    expect(names.filter((n) => n.startsWith('versatile/'))).toEqual(['versatile/UP']);
    expect(m.cells.find((c) => c.name === 'multi_v7/SMP')!.base).toBe('multi_v7_defconfig');
  });

  it('later lines win: variant over config over fragment', () => {
    const m = load(GOOD);
    const smp = Object.fromEntries(m.cells.find((c) => c.name === 'a/SMP')!.fragment.map((l) => [l.symbol, l.value]));
    expect(smp).toMatchObject({ SMP: 'y', ZRAM: 'm', MMU: 'y', SMP_ON_UP: 'n' });
  });

  it('reports an unknown key at its line and column', () => {
    const e = errorOf(GOOD.replace('    base: allnoconfig', '    base: allnoconfig\n    basse: x'));
    expect(e.file).toBe(join(dir, 'm.yaml'));
    expect([e.line, e.column]).toEqual([16, 5]);
    expect(e.message).toMatch(/unknown key 'basse' in configs\.a/);
    expect(e.exitCode).toBe(2);
  });

  it('reports a wrong type at the offending value', () => {
    const e = errorOf(GOOD.replace('targets: [vmlinux, modules]', 'targets: vmlinux'));
    expect([e.line, e.column]).toEqual([5, 10]);
    expect(e.message).toMatch(/targets/);
  });

  it('reports a duplicate config (duplicate cell) at the second key', () => {
    const e = errorOf(`${GOOD}  a:\n    base: allnoconfig\n`);
    expect(e.line).toBe(18);
    expect(e.message).toMatch(/duplicate/);
  });

  it('reports a variant listed twice as a duplicate cell', () => {
    const e = errorOf(GOOD.replace('    base: allnoconfig', '    base: allnoconfig\n    variants: [UP, SMP, UP]'));
    expect(e.message).toMatch(/duplicate cell 'a\/UP'/);
    expect([e.line, e.column]).toEqual([16, 25]);
  });

  it('reports a malformed inline Kconfig line at its sequence item', () => {
    const e = errorOf(GOOD.replace('config: ["CONFIG_MMU=y"]', 'config: ["CONFIG_MMU=y", "CONFIG_X is y"]'));
    expect([e.line, e.column]).toEqual([17, 30]);
    expect(e.message).toMatch(/malformed Kconfig line "CONFIG_X is y"/);
  });

  it('reports a malformed line inside a fragment file at that file:line:column', () => {
    const e = errorOf(GOOD.replace('file: frag.config', 'file: bad-frag.config'));
    expect(e.file).toBe(join(dir, 'bad-frag.config'));
    expect([e.line, e.column]).toEqual([2, 1]);
  });

  it('reports a missing fragment file where it is named', () => {
    const e = errorOf(GOOD.replace('file: frag.config', 'file: nope.config'));
    expect([e.line, e.column]).toEqual([9, 11]);
    expect(e.message).toMatch(/fragment file not found: nope\.config/);
  });

  it('reports unknown variants and fragments by name', () => {
    expect(errorOf(GOOD.replace('fragments: [f]', 'fragments: [g]')).message).toMatch(/unknown fragment 'g'/);
    expect(errorOf(GOOD.replace('    base: allnoconfig', '    base: allnoconfig\n    exclude: [UPP]')).message).toMatch(
      /unknown variant 'UPP'/,
    );
  });

  it('reports YAML syntax errors with a position', () => {
    const e = errorOf('version: 1\nname: [unclosed\n');
    expect(e.line).not.toBeNull();
  });
});

describe('cell selection', () => {
  it('globs cells, comma separates alternatives', () => {
    const m = cellMatcher('virt-v7/*');
    expect(m('virt-v7/UP')).toBe(true);
    expect(m('omap2plus/UP')).toBe(false);
    expect(cellMatcher('*/UP,*/SMP')('x/SMP')).toBe(true);
    expect(cellMatcher('*/UP')('x/UP-on-SMP')).toBe(false);
  });

  it('builds ad-hoc cells from TuxMake-style flags', () => {
    const { cells } = selectCells({ kconfig: 'omap2plus_defconfig', kconfigAdd: ['CONFIG_ZRAM=m'], variants: 'UP,SMP' });
    expect(cells.map((c) => c.name)).toEqual(['omap2plus_defconfig/UP', 'omap2plus_defconfig/SMP']);
    expect(cells[0]!.base).toBe('omap2plus_defconfig');
    expect(cells[0]!.fragment.map((l) => `${l.symbol}=${l.value}`)).toEqual(['ZRAM=m', 'SMP=n']);
  });

  it('ad-hoc cells get the variant fragments (files and named) like matrix cells, the same cell as the matrix would give', () => {
    writeFileSync(join(dir, 'smp.config'), 'CONFIG_SMP=y\nCONFIG_NR_CPUS=4\n');
    const yaml = `version: 1\nname: v\narch: arm\ncross_compile: arm-linux-gnueabi-\ntargets: [vmlinux]\nfragments:\n  four: {lines: ["CONFIG_HOTPLUG_CPU=y"]}\nvariants:\n  SMP: {fragments: [smp.config, four], config: ["CONFIG_ZRAM=m"]}\nconfigs:\n  allnoconfig: {base: allnoconfig, config: ["CONFIG_MODULES=y"]}\n`;
    const template = load(yaml);
    const adhoc = adhocMatrix(template, 'allnoconfig', parseFragment('CONFIG_MODULES=y', '--kconfig-add'));
    const lines = (c: Cell) => c.fragment.map((l) => `${l.symbol}=${l.value}`);
    expect(lines(adhoc.cells[0]!)).toEqual(['MODULES=y', 'SMP=y', 'NR_CPUS=4', 'HOTPLUG_CPU=y', 'ZRAM=m']);
    // Same definition as the matrix's own cell: same hash, so stored results are shared.
    expect(adhoc.cells[0]!.hash).toBe(template.cells[0]!.hash);
  });

  it('rejects bad flags with exit code 2 and the flag named', () => {
    const fails = (f: () => unknown, re: RegExp) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).message).toMatch(re);
        return;
      }
      throw new Error('expected failure');
    };
    fails(() => selectCells({ cells: 'nope/*' }), /^--cells: 'nope\/\*' matches no cell/);
    fails(() => selectCells({ variants: 'UP,QUAD' }), /^--variants: unknown variant 'QUAD'/);
    fails(() => selectCells({ kconfig: 'omap2plus_defconfig', kconfigAdd: ['CONFIG_ZRAM m'] }), /^--kconfig-add/);
    fails(() => adhocMatrix(loadMatrix(join(root, 'matrix/zsmalloc-arm.yaml')), '/no/such.config', []), /^--kconfig: config file not found/);
  });
});
