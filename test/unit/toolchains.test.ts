/**
 * Toolchains as a matrix axis (no kernel build): the `toolchains:` schema, cell names, hashes, build dirs and shard
 * keys, the make variables on every make call, identity lines and version pins, `--toolchain`.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeArgv } from '../../src/kbuild/build.js';
import { ccacheMakeVars } from '../../src/kbuild/ccache.js';
import { buildDirName, cellSlug, treeSlot } from '../../src/workspace/paths.js';
import { oneCell } from '../../src/cli/bisect.js';
import { selectCells } from '../../src/cli/options.js';
import { InputError } from '../../src/errors.js';
import { selectToolchain } from '../../src/matrix/adhoc.js';
import { loadMatrix, parseMatrix } from '../../src/matrix/load.js';
import { shardKey } from '../../src/matrix/shard.js';
import {
  BUILTIN_TOOLCHAINS,
  DEFAULT_TOOLCHAIN,
  identityLine,
  toolchainCommands,
  versionPinProblem,
  type Toolchain,
} from '../../src/matrix/toolchain.js';
import { runMatrix } from '../../src/pipeline/run.js';
import { ContainerRuntime } from '../../src/runtime/container.js';
import { HostRuntime } from '../../src/runtime/host.js';
import { unidentified } from '../../src/runtime/runtime.js';
import { buildDiagnostics, openStore, runBuilds } from '../../src/store/db.js';
import { fakeRuntime, fakeTree } from '../helpers/fake-tree.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEFAULT = join(ROOT, 'matrix', 'zsmalloc-arm.yaml');
const GCC_CLANG = join(ROOT, 'matrix', 'zsmalloc-arm-gcc-clang.yaml');
const dir = mkdtempSync(join(tmpdir(), 'kmatrix-toolchains-'));

/** The default matrix with YAML text appended (a `toolchains:` section, say), parsed from a file beside its fragments. */
function withSection(extra: string, replace: [string, string][] = []): ReturnType<typeof parseMatrix> {
  let text = `${readDefault()}\n${extra}`;
  for (const [a, b] of replace) text = text.replace(a, b);
  return parseMatrix(text, join(ROOT, 'matrix', 'test-toolchains.yaml'));
}
function readDefault(): string {
  return readFileSync(DEFAULT, 'utf8');
}
function errorOf(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

const CLANG = `toolchains:
  gcc: { family: gcc }
  clang:
    family: llvm
    make: { LLVM: "1" }
`;

describe('the default toolchain changes nothing', () => {
  // Pinned on main before toolchains became an axis (commit 0890378): names, cell hashes and the matrix hash.
  const PINNED = { matrix: '3c14228f054fd7f6', cells: [['virt-v7/UP', 'a447be71022a8fc4'], ['virt-v7/SMP', '5e63ef176d59aebc'], ['virt-v7/UP-on-SMP', 'e10a3196ac1c95ef']] };

  it("keeps every zsmalloc-arm cell's name and hash byte-identical", () => {
    const m = loadMatrix(DEFAULT);
    expect(m.cells.map((c) => [c.name, c.hash])).toEqual(PINNED.cells);
    expect(m.hash).toBe(PINNED.matrix);
    expect(m.cells.every((c) => c.toolchain === DEFAULT_TOOLCHAIN)).toBe(true);
  });

  it('a `toolchains:` section with a single default gcc is the same matrix', () => {
    const m = withSection('toolchains:\n  gcc: { family: gcc }\n');
    expect(m.cells.map((c) => [c.name, c.hash])).toEqual(PINNED.cells);
    expect(m.hash).toBe(PINNED.matrix);
    // Named otherwise, still gcc without make variables: same build (only the name differs, and it is not in the cell name).
    const g12 = withSection('toolchains:\n  gcc-12: { family: gcc, version: "12.2" }\n');
    expect(g12.cells.map((c) => [c.name, c.hash])).toEqual(PINNED.cells);
  });

  it('keeps build dirs, shard keys and make command lines', () => {
    const up = loadMatrix(DEFAULT).cells[0]!;
    expect(buildDirName(up)).toBe('virt-v7/UP');
    expect(treeSlot('/c', 't').buildDir(buildDirName(up), 'podman')).toBe('/c/trees/t/build/podman/virt-v7__UP');
    expect(shardKey(up)).toBe('virt-v7/UP\u0000arm-linux-gnueabi-\u0000container');
    expect(makeArgv({ srcDir: '/s', buildDir: '/b', cell: up }, ['vmlinux'])).toEqual([
      'make', '-C', '/s', 'O=/b', 'ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabi-', 'vmlinux',
    ]);
  });
});

describe('several toolchains', () => {
  it('the shipped gcc+clang matrix: <config>/<variant>@<toolchain>, gcc cells identical to the default matrix', () => {
    const def = loadMatrix(DEFAULT);
    const m = loadMatrix(GCC_CLANG);
    expect(m.cells.map((c) => c.name)).toEqual([
      'virt-v7/UP@gcc', 'virt-v7/UP@clang', 'virt-v7/SMP@gcc', 'virt-v7/SMP@clang', 'virt-v7/UP-on-SMP@gcc', 'virt-v7/UP-on-SMP@clang',
    ]);
    const gcc = m.cells.filter((c) => c.toolchain.name === 'gcc');
    const clang = m.cells.filter((c) => c.toolchain.name === 'clang');
    expect(gcc.map((c) => c.hash)).toEqual(def.cells.map((c) => c.hash));
    expect(gcc.map(buildDirName)).toEqual(def.cells.map((c) => c.name));
    // Same Kconfig lines, another compiler: another hash, another build dir, another shard key.
    for (const [i, c] of clang.entries()) {
      expect(c.fragment.map((l) => [l.symbol, l.value])).toEqual(def.cells[i]!.fragment.map((l) => [l.symbol, l.value]));
      expect(c.hash).not.toBe(def.cells[i]!.hash);
      expect(buildDirName(c)).toMatch(new RegExp(`^${def.cells[i]!.name}@llvm-[0-9a-f]{8}$`));
      expect(shardKey(c)).not.toBe(shardKey({ ...c, toolchain: DEFAULT_TOOLCHAIN }));
    }
    expect(clang[0]!.toolchain).toEqual({ name: 'clang', family: 'llvm', make: { LLVM: '1' }, image: null, version: null });
    // '@' survives in slugs (logs, build dirs) so a clang cell never shares a file with a gcc one.
    expect(cellSlug('virt-v7/UP@clang')).toBe('virt-v7__UP@clang');
  });

  it('make variables go on every make call, after ARCH and CROSS_COMPILE', () => {
    const c = loadMatrix(GCC_CLANG).cells.find((x) => x.name === 'virt-v7/UP@clang')!;
    expect(makeArgv({ srcDir: '/s', buildDir: '/b', cell: c }, ['allnoconfig'])).toEqual([
      'make', '-C', '/s', 'O=/b', 'ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabi-', 'LLVM=1', 'allnoconfig',
    ]);
    const many = withSection(`toolchains:\n  c: { family: llvm, make: { LLVM_IAS: 0, LLVM: "-14" } }\n`).cells[0]!;
    expect(makeArgv({ srcDir: '/s', buildDir: '/b', cell: many }, [])).toEqual([
      'make', '-C', '/s', 'O=/b', 'ARCH=arm', 'CROSS_COMPILE=arm-linux-gnueabi-', 'LLVM=-14', 'LLVM_IAS=0',
    ]);
  });

  it('a single non-default toolchain keeps the names but not the hash nor the build dir', () => {
    const def = loadMatrix(DEFAULT);
    const m = withSection('toolchains:\n  clang: { family: llvm, make: { LLVM: "1" } }\n');
    expect(m.cells.map((c) => c.name)).toEqual(def.cells.map((c) => c.name));
    for (const [i, c] of m.cells.entries()) {
      expect(c.hash).not.toBe(def.cells[i]!.hash);
      expect(buildDirName(c)).not.toBe(buildDirName(def.cells[i]!));
      expect(shardKey(c)).not.toBe(shardKey(def.cells[i]!));
    }
    // The build dir follows what is built, not the name: `llvm` with LLVM=1 shares clang's warm dirs.
    const llvm = withSection('toolchains:\n  llvm: { family: llvm, make: { LLVM: 1 } }\n');
    expect(llvm.cells.map(buildDirName)).toEqual(m.cells.map(buildDirName));
    // A gcc in its own image is not the default build either.
    const img = withSection('toolchains:\n  gcc13: { family: gcc, image: "example/gcc13:1" }\n');
    expect(img.cells[0]!.hash).not.toBe(def.cells[0]!.hash);
    expect(buildDirName(img.cells[0]!)).toMatch(/^virt-v7\/UP@gcc-[0-9a-f]{8}$/);
  });

  it("a config's `toolchains:` narrows the matrix's; names keep the suffix", () => {
    const m = withSection(CLANG, [['    fragments: [v7-minimal, zsmalloc-zram]', '    fragments: [v7-minimal, zsmalloc-zram]\n    toolchains: [clang]']]);
    expect(m.cells.map((c) => c.name)).toEqual(['virt-v7/UP@clang', 'virt-v7/SMP@clang', 'virt-v7/UP-on-SMP@clang']);
  });
});

describe('cell globs select by toolchain', () => {
  it("'*@clang', 'virt-v7/UP@*', alternatives", () => {
    const names = (cells: string) => selectCells({ matrix: GCC_CLANG, cells }).cells.map((c) => c.name);
    expect(names('*@clang')).toEqual(['virt-v7/UP@clang', 'virt-v7/SMP@clang', 'virt-v7/UP-on-SMP@clang']);
    expect(names('virt-v7/UP@*')).toEqual(['virt-v7/UP@gcc', 'virt-v7/UP@clang']);
    expect(names('virt-v7/UP@clang,*/SMP@gcc')).toEqual(['virt-v7/UP@clang', 'virt-v7/SMP@gcc']);
    expect(names('*/UP-on-SMP*')).toEqual(['virt-v7/UP-on-SMP@gcc', 'virt-v7/UP-on-SMP@clang']);
    // bisect's --cell: a glob that must match exactly one cell.
    const all = loadMatrix(GCC_CLANG).cells;
    expect(oneCell(all, 'virt-v7/UP@cl*').name).toBe('virt-v7/UP@clang');
    expect(errorOf(() => oneCell(all, 'virt-v7/UP@*')).message).toMatch(/matches 2 cells/);
  });
});

describe('--toolchain', () => {
  it('a toolchain the matrix defines selects its cells (same names, same matrix)', () => {
    const s = selectCells({ matrix: GCC_CLANG, toolchain: 'clang' });
    expect(s.cells.map((c) => c.name)).toEqual(['virt-v7/UP@clang', 'virt-v7/SMP@clang', 'virt-v7/UP-on-SMP@clang']);
    expect(s.matrix.hash).toBe(loadMatrix(GCC_CLANG).hash);
    expect(selectCells({ matrix: GCC_CLANG, toolchain: 'gcc', cells: '*/UP@*' }).cells.map((c) => c.name)).toEqual(['virt-v7/UP@gcc']);
    // The implicit toolchain of a matrix without `toolchains:` is `gcc`.
    expect(selectCells({ matrix: DEFAULT, toolchain: 'gcc' }).cells).toEqual(loadMatrix(DEFAULT).cells);
  });

  it('a built-in toolchain the matrix lacks: clang and llvm are make LLVM=1, the cells keep their names', () => {
    for (const name of ['clang', 'llvm']) {
      const s = selectCells({ matrix: DEFAULT, toolchain: name });
      expect(s.matrix.name).toBe(`zsmalloc-arm+${name}`);
      expect(s.cells.map((c) => c.name)).toEqual(['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP']);
      expect(s.cells.every((c) => c.toolchain.family === 'llvm' && c.toolchain.make['LLVM'] === '1')).toBe(true);
    }
    // Built the same way as the shipped matrix's clang cells: same hash, same build dir (warm dirs shared).
    const shipped = loadMatrix(GCC_CLANG).cells.find((c) => c.name === 'virt-v7/UP@clang')!;
    const adhoc = selectCells({ matrix: DEFAULT, toolchain: 'clang', cells: 'virt-v7/UP' }).cells[0]!;
    expect([adhoc.hash, buildDirName(adhoc)]).toEqual([shipped.hash, buildDirName(shipped)]);
    // With ad-hoc cells (--kconfig) too.
    const k = selectCells({ matrix: DEFAULT, toolchain: 'clang', kconfig: 'multi_v7_defconfig', variants: 'UP' }).cells;
    expect(k.map((c) => [c.name, c.toolchain.name])).toEqual([['multi_v7_defconfig/UP', 'clang']]);
    expect(BUILTIN_TOOLCHAINS['gcc']).toBe(DEFAULT_TOOLCHAIN);
  });

  it('an unknown name is exit 2 naming the flag and the known names', () => {
    const e = errorOf(() => selectCells({ matrix: GCC_CLANG, toolchain: 'icc' }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("--toolchain: unknown toolchain 'icc' (the matrix defines: gcc, clang; built-in: llvm)");
    expect(errorOf(() => selectToolchain(loadMatrix(DEFAULT), 'gcc-13')).message).toMatch(/defines: gcc; built-in: clang, llvm\)$/);
  });
});

describe('bad `toolchains:` input is located', () => {
  const at = (extra: string, replace: [string, string][] = []) => errorOf(() => withSection(extra, replace)).message.replace(/^.*test-toolchains\.yaml:/, '');
  // The line of the appended `toolchains:` (the default file ends with a newline, then one more).
  const base = readDefault().split('\n').length;

  it('bad family, make variable name, reserved variable, unknown and repeated names, an empty section, the old key', () => {
    expect(at('toolchains:\n  icc: { family: intel }\n')).toMatch(new RegExp(`^${base + 2}:\\d+: toolchains\\.icc\\.family: `));
    expect(at('toolchains:\n  c:\n    family: llvm\n    make: { "LLVM-1": "1" }\n')).toBe(
      `${base + 4}:13: toolchains.c.make: 'LLVM-1' is not a make variable name (letters, digits and _, not starting with a digit)`,
    );
    expect(at('toolchains:\n  c:\n    family: llvm\n    make:\n      CROSS_COMPILE: x-\n')).toBe(
      `${base + 5}:7: toolchains.c.make: 'CROSS_COMPILE' is set by kmatrix on every make call (from the matrix), a toolchain cannot override it`,
    );
    expect(at('toolchains:\n  "c c": { family: llvm }\n')).toBe(`${base + 2}:3: toolchains.c c: bad name 'c c': toolchain names may hold letters, digits, . _ + -`);
    expect(at('toolchains:\n  c: { family: llvm, ld: x }\n')).toMatch(new RegExp(`^${base + 2}:\\d+: unknown key 'ld' in toolchains\\.c$`));
    expect(at('toolchains: {}\n')).toMatch(/toolchains: defines no toolchain/);
    const line = readDefault().split('\n').findIndex((l) => l.includes('fragments: [v7-minimal, zsmalloc-zram]')) + 2;
    expect(at(CLANG, [['    fragments: [v7-minimal, zsmalloc-zram]', '    fragments: [v7-minimal, zsmalloc-zram]\n    toolchains: [clang, icc]']])).toBe(
      `${line}:25: config 'virt-v7' names unknown toolchain 'icc' (known: gcc, clang)`,
    );
    expect(at(CLANG, [['    fragments: [v7-minimal, zsmalloc-zram]', '    fragments: [v7-minimal, zsmalloc-zram]\n    toolchains: [gcc, gcc]']])).toBe(
      `${line}:23: config 'virt-v7' names toolchain 'gcc' twice`,
    );
    expect(at('toolchain: gcc-12\n')).toMatch(/unknown key 'toolchain' in \(top level\) \(the label was replaced by a `toolchains:` section/);
  });
});

describe('what make runs, and its identity line', () => {
  const llvm = (make: Record<string, string>): Toolchain => ({ name: 'x', family: 'llvm', make, image: null, version: null });
  it('picks the programs as the kernel does', () => {
    expect(toolchainCommands(DEFAULT_TOOLCHAIN, 'arm-linux-gnueabi-')).toEqual({ compiler: 'arm-linux-gnueabi-gcc', linker: null });
    expect(toolchainCommands(llvm({ LLVM: '1' }), 'arm-linux-gnueabi-')).toEqual({ compiler: 'clang', linker: 'ld.lld' });
    expect(toolchainCommands(llvm({ LLVM: '-14' }), 'x-')).toEqual({ compiler: 'clang-14', linker: 'ld.lld-14' });
    expect(toolchainCommands(llvm({ LLVM: '/usr/lib/llvm-14/bin/' }), 'x-')).toEqual({ compiler: '/usr/lib/llvm-14/bin/clang', linker: '/usr/lib/llvm-14/bin/ld.lld' });
    expect(toolchainCommands(llvm({ LLVM: '1', CC: 'ccache clang-15', LD: 'ld.lld-15' }), 'x-')).toEqual({ compiler: 'clang-15', linker: 'ld.lld-15' });
    // ccache goes in front of that same compiler (the default ones unchanged: warm dirs stay warm).
    const cc = (tc: Toolchain) => ccacheMakeVars(tc.family, 'arm-linux-gnueabi-', toolchainCommands(tc, 'arm-linux-gnueabi-').compiler);
    expect(cc(DEFAULT_TOOLCHAIN)).toEqual(ccacheMakeVars('gcc', 'arm-linux-gnueabi-'));
    expect(cc(BUILTIN_TOOLCHAINS['clang']!)).toEqual(ccacheMakeVars('llvm', 'arm-linux-gnueabi-'));
    expect(cc(llvm({ LLVM: '-14' }))).toEqual(['CC=ccache clang-14', 'HOSTCC=ccache clang-14']);
  });

  it('joins the compiler and linker first lines (lld’s compatibility tail dropped)', () => {
    expect(identityLine('arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022', null)).toBe('arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0');
    expect(identityLine('Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu\n', 'Debian LLD 14.0.6 (compatible with GNU linkers)\n')).toBe(
      'Debian clang version 14.0.6 + Debian LLD 14.0.6',
    );
  });

  it('a version pin is met when the identity line contains it', () => {
    const pinned = (version: string) => ({ name: 'clang', version });
    expect(versionPinProblem(pinned('14.0'), 'Debian clang version 14.0.6 + Debian LLD 14.0.6')).toBeNull();
    expect(versionPinProblem({ name: 'clang', version: null }, 'anything')).toBeNull();
    expect(versionPinProblem(pinned('17'), 'Debian clang version 14.0.6 + Debian LLD 14.0.6')).toBe(
      'toolchain clang: version "17" expected, found "Debian clang version 14.0.6 + Debian LLD 14.0.6"',
    );
  });

  it('the host runtime asks clang and ld.lld for an LLVM toolchain (real programs on this machine)', async () => {
    const rt = new HostRuntime();
    const clang = (await rt.identity('arm-linux-gnueabi-', BUILTIN_TOOLCHAINS['clang'])).compiler;
    expect(clang).toMatch(/clang version \d+.* \+ .*LLD \d+/);
    expect((await rt.identity('arm-linux-gnueabi-')).compiler).toMatch(/^arm-linux-gnueabi-gcc /);
    expect((await rt.identity('arm-linux-gnueabi-', llvm({ LLVM: '-99' }))).compiler).toMatch(/^missing: clang-99 /);
  });

  it('a compiler whose --version prints nothing is unidentified on the host, as in a container (never an empty identity)', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'kmx-silent-gcc-'));
    writeFileSync(join(bin, 'x-gcc'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'x-gcc'), 0o755);
    const compiler = (await new HostRuntime().identity(`${bin}/x-`)).compiler;
    expect(compiler).toBe('unknown');
    expect(unidentified(compiler)).toBe(true);
  });
});

describe('container identity per toolchain and image (fake engine)', () => {
  let bin: string;
  let oldPath: string | undefined;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'kmx-fake-engine-'));
    // Images: `full` has gcc, clang and lld; `gcc-only` has no clang. The program is the argument before --version.
    writeFileSync(
      join(bin, 'podman'),
      `#!/bin/sh
case " $* " in
  *" image inspect "*) for a; do img=$a; done; echo "id-$img"; exit 0;;
esac
prev=; img=; for a; do
  case "$a" in --version) prog=$prev;; esac
  case "$a" in full|gcc-only) img=$a;; esac
  prev=$a
done
case "$img:$prog" in
  *:arm-linux-gnueabi-gcc) echo 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0';;
  full:clang) printf 'Debian clang version 14.0.6\\nTarget: x86_64-pc-linux-gnu\\n';;
  full:ld.lld) echo 'Debian LLD 14.0.6 (compatible with GNU linkers)';;
  *) echo "Error: crun: executable file \\\`$prog\\\` not found in \\$PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found" >&2; exit 127;;
esac
`,
    );
    chmodSync(join(bin, 'podman'), 0o755);
    oldPath = process.env['PATH'];
    process.env['PATH'] = `${bin}:${oldPath}`;
  });
  afterEach(() => {
    process.env['PATH'] = oldPath;
  });
  const rt = (image: string) =>
    new ContainerRuntime({ engine: 'podman', image, ociRuntime: null, runFlags: [], ccacheDir: null, user: { uid: 0, gid: 0 } });

  it('gcc and clang+lld in one image; a toolchain image of its own is asked there', async () => {
    const full = rt('full');
    expect(await full.identity('arm-linux-gnueabi-')).toEqual({ runtime: 'podman', image: 'sha256:id-full', compiler: 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0' });
    expect((await full.identity('arm-linux-gnueabi-', BUILTIN_TOOLCHAINS['clang'])).compiler).toBe('Debian clang version 14.0.6 + Debian LLD 14.0.6');
    const other = full.withImage('gcc-only');
    expect(other).toBe(full.withImage('gcc-only'));
    expect(full.withImage('full')).toBe(full);
    const id = await other.identity('arm-linux-gnueabi-', BUILTIN_TOOLCHAINS['clang']);
    expect(id.image).toBe('sha256:id-gcc-only');
    expect(id.compiler).toMatch(/^missing: clang in gcc-only \(.*clang.*not found/);
  });
});

describe('the pipeline keys identities per toolchain and enforces pins', () => {
  it('gcc and clang cells get their own identity; a pin that does not match is ERROR toolchain-missing, never built', async () => {
    const m = withSection(`toolchains:
  gcc: { family: gcc }
  clang: { family: llvm, make: { LLVM: "1" } }
  clang17: { family: llvm, make: { LLVM: "1" }, version: "17." }
`);
    const cells = m.cells.filter((c) => c.variant === 'UP');
    const asked: string[] = [];
    const built: string[] = [];
    const runtime = fakeRuntime(
      cells,
      (spec, cell) => void (cell && spec.argv.some((a) => a.includes('vmlinux')) && built.push(cell.name)),
      async (cc: string, tc: Toolchain = DEFAULT_TOOLCHAIN) => {
        asked.push(`${cc} ${tc.family} ${JSON.stringify(tc.make)}`);
        return { runtime: 'host', image: null, compiler: tc.family === 'llvm' ? 'Debian clang version 14.0.6 + Debian LLD 14.0.6' : 'arm-linux-gnueabi-gcc 12.2.0' };
      },
    );
    const { tree } = fakeTree(1);
    const results = mkdtempSync(join(dir, 'run-'));
    const store = openStore(join(results, 'kmatrix.db'));
    const r = await runMatrix({ tree, matrix: m, cells, revisions: ['HEAD'], store, cache: join(results, 'cache'), resultsDir: results, runtime, command: 'test', progress: 'silent' });
    // clang and clang17 run the same programs: asked once; gcc once.
    expect(asked.sort()).toEqual(['arm-linux-gnueabi- gcc {}', 'arm-linux-gnueabi- llvm {"LLVM":"1"}']);
    const by = new Map(r.builds.map((b) => [b.cell.name, b]));
    expect(by.get('virt-v7/UP@gcc')!.status).toBe('PASS');
    expect(by.get('virt-v7/UP@gcc')!.toolchain).toBe('arm-linux-gnueabi-gcc 12.2.0');
    expect(by.get('virt-v7/UP@clang')!.status).toBe('PASS');
    expect(by.get('virt-v7/UP@clang')!.toolchain).toBe('Debian clang version 14.0.6 + Debian LLD 14.0.6');
    const pinned = by.get('virt-v7/UP@clang17')!;
    expect(pinned.status).toBe('ERROR');
    expect(pinned.diagnostics.map((d) => [d.kind, d.message])).toEqual([
      ['toolchain-missing', 'kmatrix: toolchain clang17: version "17." expected, found "Debian clang version 14.0.6 + Debian LLD 14.0.6"'],
    ]);
    expect(built.sort()).toEqual(['virt-v7/UP@clang', 'virt-v7/UP@gcc']);
    // Stored as such (a later run with the pin met builds it: an ERROR is never reused).
    const rows = runBuilds(store, r.runId);
    const row = rows.find((x) => x.cell === 'virt-v7/UP@clang17')!;
    expect(row.status).toBe('ERROR');
    expect(buildDiagnostics(store, row.id)[0]!.kind).toBe('toolchain-missing');
    store.close();
  });
});
