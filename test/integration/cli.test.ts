import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

/** CLI contract: exit codes, JSON shapes, bad input, Kconfig-only runs on the replay tree. */
describe('kmatrix CLI', () => {
  let tree: string;
  let tip: string;

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    tip = r.commits.get('tip')!.sha;
  });

  it('prints help and version', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/run \[options\] \[revisions\.\.\.\]/);
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects a bad matrix with file:line:column and exit 2, writing nothing', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nname: x\narch: arm\ncross_compile: arm-linux-gnueabi-\ntargets: [modules]\nvariants: {UP: {}}\nconfigs:\n  a: {base: allnoconfig, colour: red}\n');
    const db = join(dir, 'r', 'k.db');
    const r = cli(['run', '--tree', tree, '--matrix', bad, '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:8:26: unknown key 'colour' in configs.a`);
    expect(existsSync(db)).toBe(false);
  });

  it('rejects a tree that is not a git repository (exit 2)', () => {
    const dir = tempDir();
    const r = cli(['run', '--tree', dir, '--db', join(dir, 'k.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a git repository/);
  });

  it('rejects an unknown revision and a bad flag (exit 2)', () => {
    const dir = tempDir();
    expect(cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), 'no-such-rev']).stderr).toMatch(/unknown revision 'no-such-rev'/);
    expect(cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--jobs', 'zero']).code).toBe(2);
    expect(cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--cells', 'nope/*']).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
  });

  it('classifies a saved log with the documented JSON fields', () => {
    const r = cli(['classify', '--json', join(ROOT, 'test/fixtures/logs/modpost-undefined-up.log')]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { status: string; diagnostics: Record<string, unknown>[] };
    expect(Object.keys(j)).toEqual(['status', 'diagnostics']);
    expect(j.status).toBe('FAIL');
    const d = j.diagnostics.find((x) => x['kind'] === 'modpost-undefined')!;
    expect(Object.keys(d).sort()).toEqual(['column', 'file', 'fingerprint', 'kind', 'line', 'message', 'module', 'severity', 'symbol'].sort());
    expect(d).toMatchObject({ symbol: 'v7wbi_flush_kern_tlb_range', module: 'mm/zsmalloc.ko', severity: 'error' });
    expect(cli(['classify', '/no/such.log']).code).toBe(2);
  });

  it('run --json gives the documented fields for a real build', () => {
    const dir = tempDir();
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--cells', 'virt-v7/UP', '--json', tip]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { builds: Record<string, unknown>[] };
    expect(j.builds).toHaveLength(1);
    expect(j.builds[0]).toMatchObject({ commit: tip, cell: 'virt-v7/UP', status: 'PASS', diagnostics: [] });
    expect(typeof j.builds[0]!['seconds']).toBe('number');
  });

  it('explains a symbol that did not stick (ZRAM without BLK_DEV) in a Kconfig-only ad-hoc run', () => {
    const dir = tempDir();
    const frag = join(dir, 'noblk.config');
    writeFileSync(frag, 'CONFIG_MMU=y\nCONFIG_ARCH_MULTIPLATFORM=y\nCONFIG_ARCH_MULTI_V7=y\nCONFIG_ARCH_VIRT=y\nCONFIG_MODULES=y\nCONFIG_BLOCK=y\nCONFIG_SYSFS=y\nCONFIG_CRYPTO=y\nCONFIG_CRYPTO_LZO=y\nCONFIG_ZRAM=m\n');
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--kconfig-only', '--kconfig', 'allnoconfig', '--kconfig-add', frag, '--variants', 'UP', '--json', tip]);
    expect(r.code).toBe(1);
    const b = (JSON.parse(r.stdout) as { builds: { status: string; stage: string; diagnostics: { kind: string; symbol: string; message: string }[] }[] }).builds[0]!;
    expect(b.status).toBe('FAIL');
    expect(b.stage).toBe('kconfig');
    const d = b.diagnostics.find((x) => x.kind === 'kconfig-unmet')!;
    expect(d.symbol).toBe('CONFIG_ZRAM');
    expect(d.message).toMatch(/^CONFIG_ZRAM=m requested but is not set: depends on BLK_DEV \[=n\]/);
    expect(d.message).toMatch(/unmet: BLK_DEV$/);
  });

  it('explains a symbol forced on by select (omap2plus: CPU_V6 && SMP selects SMP_ON_UP)', () => {
    const dir = tempDir();
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--kconfig-only', '--kconfig', 'omap2plus_defconfig', '--kconfig-add', 'CONFIG_ZRAM=m', '--variants', 'UP,SMP', '--json', tip]);
    expect(r.code).toBe(1);
    const builds = (JSON.parse(r.stdout) as { builds: { cell: string; status: string; diagnostics: { kind: string; symbol: string; message: string }[] }[] }).builds;
    expect(builds.map((b) => [b.cell, b.status])).toEqual([
      ['omap2plus_defconfig/UP', 'PASS'],
      ['omap2plus_defconfig/SMP', 'FAIL'],
    ]);
    expect(builds[1]!.diagnostics).toEqual([
      expect.objectContaining({
        kind: 'kconfig-unmet',
        symbol: 'CONFIG_SMP_ON_UP',
        message: 'CONFIG_SMP_ON_UP=n requested but =y: selected by CPU_V6 [=y] && SMP [=y]',
      }),
    ]);
  });

  it('a missing cross toolchain is an infrastructure ERROR (exit 3), never FAIL', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'fragments'));
    const m = join(dir, 'm.yaml');
    writeFileSync(m, 'version: 1\nname: nocc\narch: arm\ncross_compile: arm-nonexistent-linux-\ntargets: [modules]\nvariants: {UP: {config: ["# CONFIG_SMP is not set"]}}\nconfigs:\n  nocc: {base: allnoconfig}\n');
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--matrix', m, '--json', tip]);
    expect(r.code).toBe(3);
    const b = (JSON.parse(r.stdout) as { builds: { status: string; diagnostics: { kind: string }[] }[] }).builds[0]!;
    expect(b.status).toBe('ERROR');
    expect(b.diagnostics.map((d) => d.kind)).toContain('toolchain-missing');
  });

  it('a build past its timeout is killed and recorded as ERROR (exit 3)', () => {
    const dir = tempDir();
    const m = join(dir, 'm.yaml');
    writeFileSync(m, `version: 1\nname: slow\narch: arm\ncross_compile: arm-linux-gnueabi-\ntargets: [vmlinux]\ntimeout: 2\nfragments: {v7: {file: ${join(ROOT, 'matrix/fragments/v7-minimal.config')}}}\nvariants: {UP: {config: ["# CONFIG_SMP is not set"]}}\nconfigs:\n  slow: {base: allnoconfig, fragments: [v7]}\n`);
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--matrix', m, '--json', tip]);
    expect(r.code).toBe(3);
    const b = (JSON.parse(r.stdout) as { builds: { status: string; diagnostics: { kind: string; message: string }[] }[] }).builds[0]!;
    expect(b.status).toBe('ERROR');
    // make's own "Terminated" lines are killed diagnostics too; the timeout marker must be among them.
    expect(b.diagnostics.filter((d) => d.kind === 'killed').map((d) => d.message)).toContainEqual(expect.stringMatching(/timed out after 2 s/));
  });
});
