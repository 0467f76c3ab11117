/**
 * Toolchains as a matrix axis through the real CLI and podman, on the replay tree: a clang cell of the shipped
 * gcc+clang matrix builds with `make LLVM=1` and records clang's and ld.lld's identity; doctor finds a toolchain
 * missing from the image, a missing linker and an unmet version pin; a run with an unmet pin records ERROR without
 * building. The clang build runs in the warm build dir of `virt-v7/UP@clang` under the default cache (shared with
 * the other clang tests and CI); cold it takes 5-15 min on 2 cores.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

const GCC_CLANG = join(ROOT, 'matrix', 'zsmalloc-arm-gcc-clang.yaml');

/** The shipped gcc+clang matrix, saved elsewhere with more toolchains (fragment paths made absolute). */
function variant(dir: string, extra: string): string {
  const yaml = readFileSync(GCC_CLANG, 'utf8').replace(/file: fragments\//g, `file: ${join(ROOT, 'matrix', 'fragments')}/`);
  const withMore = yaml.replace(/^toolchains:\n/m, `toolchains:\n${extra}`);
  expect(withMore).not.toBe(yaml);
  const f = join(dir, 'toolchains.yaml');
  writeFileSync(f, withMore);
  return f;
}

describe('toolchains as a matrix axis (real podman builds)', () => {
  const dir = tempDir('kmatrix-toolchain-axis-');
  let tree: string;
  let tip: string;

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    tip = r.commits.get('tip')!.sha;
  });

  it("builds virt-v7/UP@clang with make LLVM=1 at the tip: PASS, identity names clang and LLD, .config says clang", () => {
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'k.db'), '--matrix', GCC_CLANG, '--cells', 'virt-v7/UP@clang', '--json', tip]);
    const doc = JSON.parse(r.stdout) as { builds: { cell: string; status: string; toolchain: string; log: string }[]; missing: unknown[] };
    expect(doc.builds.map((b) => [b.cell, b.status]), r.stderr).toEqual([['virt-v7/UP@clang', 'PASS']]);
    expect(r.code).toBe(0);
    expect(doc.missing).toEqual([]);
    const b = doc.builds[0]!;
    expect(b.toolchain).toMatch(/^.*clang version \d+\.\d+\.\d+.* \+ .*LLD \d+\.\d+\.\d+/);
    // Every make call carried LLVM=1, in the clang cell's own build dir; the configured kernel is a clang one.
    const log = gunzipSync(readFileSync(b.log)).toString('utf8');
    const makes = log.split('\n').filter((l) => l.startsWith('$ make '));
    // The Kconfig stage's make, unless a warm build dir let it be skipped (then only the build's make).
    expect(makes.length).toBeGreaterThanOrEqual(log.includes('kmatrix: Kconfig stage skipped') ? 1 : 2);
    expect(makes.every((l) => / ARCH=arm CROSS_COMPILE=arm-linux-gnueabi- LLVM=1 /.test(l))).toBe(true);
    const out = /O=(\S+)/.exec(makes[0]!)![1]!;
    expect(out).toMatch(/\/virt-v7__UP@llvm-[0-9a-f]{8}$/);
    const config = readFileSync(join(out, '.config'), 'utf8');
    expect(config).toMatch(/^CONFIG_CC_IS_CLANG=y$/m);
    expect(config).toMatch(/^CONFIG_LD_IS_LLD=y$/m);
    expect(config).toMatch(/^CONFIG_ZSMALLOC=m$/m);
  });

  it('doctor: a toolchain missing from the image, a missing linker and an unmet pin fail it (exit 3); gcc and clang pass', () => {
    const m = variant(
      dir,
      `  clang99:\n    family: llvm\n    make: { LLVM: "-99" }\n  lld99:\n    family: llvm\n    make: { LLVM: "1", LD: ld.lld-99 }\n  clang-pin:\n    family: llvm\n    make: { LLVM: "1" }\n    version: "99.9"\n`,
    );
    const d = cli(['doctor', '--matrix', m, '--tree', tree]);
    expect(d.code, d.stdout).toBe(3);
    const line = (name: string) => d.stdout.split('\n').find((l) => new RegExp(`^. toolchain ${name} `).test(l)) ?? '';
    expect(line('gcc')).toMatch(/^✔ toolchain gcc +arm-linux-gnueabi-gcc .*12\.2/);
    expect(line('clang')).toMatch(/^✔ toolchain clang +.*clang version 14\.\d+\.\d+ \+ .*LLD 14/);
    expect(line('clang99')).toMatch(/^✘ toolchain clang99 +llvm \(clang-99 \+ ld\.lld-99\) not runnable: clang-99 in kmatrix\/arm-linux-gnueabi:bookworm/);
    expect(line('lld99')).toMatch(/^✘ toolchain lld99 +llvm \(clang \+ ld\.lld-99\) not runnable: ld\.lld-99 in /);
    expect(line('clang-pin')).toMatch(/^✘ toolchain clang-pin +toolchain clang-pin: version "99\.9" expected, found ".*clang version 14.* \+ .*LLD 14.*"$/);
    // The shipped matrix itself is healthy.
    const ok = cli(['doctor', '--matrix', GCC_CLANG, '--tree', tree]);
    expect(ok.code, ok.stdout).toBe(0);
  });

  it('run: a cell whose toolchain misses its pin is ERROR toolchain-missing, never built (exit 3)', () => {
    const m = variant(dir, `  clang-pin:\n    family: llvm\n    make: { LLVM: "1" }\n    version: "99.9"\n`);
    const r = cli(['run', '--tree', tree, '--db', join(dir, 'pin.db'), '--matrix', m, '--cells', 'virt-v7/UP@clang-pin', '--json', tip]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as { builds: { cell: string; status: string; log: string | null; diagnostics: { kind: string; message: string }[] }[] };
    expect(doc.builds.map((b) => [b.cell, b.status])).toEqual([['virt-v7/UP@clang-pin', 'ERROR']]);
    expect(doc.builds[0]!.diagnostics.map((x) => x.kind)).toEqual(['toolchain-missing']);
    expect(doc.builds[0]!.diagnostics[0]!.message).toMatch(/toolchain clang-pin: version "99\.9" expected, found ".*clang version 14/);
    expect(doc.builds[0]!.log || null).toBeNull(); // nothing ran: no log
  });
});
