import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/types.js';
import { buildStatus, classifyFile, classifyStream, classifyText, relativePath } from '../../src/classify/index.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/logs');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const classifyFixture = (name: string): Diagnostic[] => classifyText(fixture(name));
/** Every field but the fingerprint. */
const fields = (ds: Diagnostic[]) => ds.map(({ fingerprint: _f, ...rest }) => rest);
const none = { file: null, line: null, column: null, symbol: null, module: null };

describe('real logs: every kind with exact fields', () => {
  it('compile-error (replay tree: zram uses a removed stats member)', () => {
    expect(fields(classifyFixture('compile-error-zram.log'))).toEqual([
      {
        kind: 'compile-error',
        severity: 'error',
        file: 'drivers/block/zram/zram_drv.c',
        line: 1245,
        column: 43,
        symbol: 'zram_free_page',
        module: null,
        message: '‘struct zram_stats’ has no member named ‘same_pages’; did you mean ‘huge_pages’?',
      },
    ]);
  });

  it('compile-error incl. fatal error; notes are not diagnostics', () => {
    expect(fields(classifyFixture('compile-error-fatal.log'))).toEqual([
      {
        ...none,
        kind: 'compile-error',
        severity: 'error',
        file: 'mm/zsmalloc.c',
        line: 1235,
        column: 9,
        symbol: 'zs_map_object',
        message: '‘kmx_undeclared’ undeclared (first use in this function)',
      },
      {
        ...none,
        kind: 'compile-error',
        severity: 'error',
        file: 'drivers/block/zram/zram_drv.c',
        line: 19,
        column: 10,
        message: 'fatal error: linux/kmx_missing.h: No such file or directory',
      },
    ]);
  });

  it('compile-warning keeps [-Wflag] and the enclosing function', () => {
    expect(fields(classifyFixture('compile-warning.log'))).toEqual([
      {
        ...none,
        kind: 'compile-warning',
        severity: 'warning',
        file: 'mm/zsmalloc.c',
        line: 1234,
        column: 13,
        symbol: 'zs_map_object',
        message: 'unused variable ‘kmx_unused’ [-Wunused-variable]',
      },
    ]);
  });

  it('link-undefined in vmlinux: ld names util.c, the directory comes from mm/util.o', () => {
    expect(fields(classifyFixture('link-undefined.log'))).toEqual([
      {
        ...none,
        kind: 'link-undefined',
        severity: 'error',
        file: 'mm/util.c',
        symbol: 'kmx_not_defined_anywhere',
        message: "undefined reference to `kmx_not_defined_anywhere' (referenced in kmx_calls_missing)",
      },
    ]);
  });

  it('modpost-undefined (replay tree, UP: zsmalloc needs v7wbi_flush_kern_tlb_range)', () => {
    expect(fields(classifyFixture('modpost-undefined-up.log'))).toEqual(
      fields([v7wbiDiagnostic({ message: '"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!' })]),
    );
  });

  it('modpost-undefined (replay tree, SMP: zsmalloc needs flush_tlb_kernel_range)', () => {
    expect(fields(classifyFixture('modpost-undefined-smp.log'))).toEqual([
      {
        ...none,
        kind: 'modpost-undefined',
        severity: 'error',
        symbol: 'flush_tlb_kernel_range',
        module: 'mm/zsmalloc.ko',
        message: '"flush_tlb_kernel_range" [mm/zsmalloc.ko] undefined!',
      },
    ]);
  });

  it('modpost-missing-license', () => {
    expect(fields(classifyFixture('modpost-missing-license.log'))).toEqual([
      {
        ...none,
        kind: 'modpost-missing-license',
        severity: 'error',
        file: 'drivers/block/zram/zram.o',
        module: 'drivers/block/zram/zram.ko',
        message: 'missing MODULE_LICENSE() in drivers/block/zram/zram.o',
      },
    ]);
  });

  const mismatch = {
    ...none,
    kind: 'section-mismatch',
    symbol: 'kmx_init_helper',
    module: 'vmlinux.o',
    message:
      'vmlinux.o: section mismatch in reference: kmx_uses_init (section: .text.unlikely) -> kmx_init_helper (section: .init.text)',
  };
  it('section-mismatch (6.1 format) is a warning with CONFIG_SECTION_MISMATCH_WARN_ONLY=y', () => {
    expect(fields(classifyFixture('section-mismatch.log'))).toEqual([{ ...mismatch, severity: 'warning' }]);
  });
  it('section-mismatch is an error when modpost made it fatal; make lines stay suppressed', () => {
    expect(fields(classifyFixture('section-mismatch-fatal.log'))).toEqual([{ ...mismatch, severity: 'error' }]);
  });

  it('compiler-crash: cc1 got SIGSEGV, gcc reports an ICE at the line it was compiling', () => {
    expect(fields(classifyFixture('compiler-crash.log'))).toEqual([
      {
        ...none,
        kind: 'compiler-crash',
        severity: 'error',
        file: 'include/linux/moduleparam.h',
        line: 428,
        column: 1,
        message: 'internal compiler error: Segmentation fault',
      },
    ]);
  });

  it('killed: cc1 SIGKILLed (OOM-killer style); file from make target', () => {
    expect(fields(classifyFixture('killed-cc1.log'))).toEqual([
      {
        ...none,
        kind: 'killed',
        severity: 'error',
        file: 'mm/zsmalloc.o',
        message: 'fatal error: Killed signal terminated program cc1',
      },
    ]);
  });

  it('killed: SIGTERM to the make process group collapses into one diagnostic', () => {
    const ds = classifyFixture('killed-term.log');
    expect(ds.map((d) => d.kind)).toEqual(['killed']);
    expect(ds[0]!.message).toMatch(/Terminated$/);
  });

  it('toolchain-missing (CROSS_COMPILE=arm-nonexistent-) at build and at config time', () => {
    expect(fields(classifyFixture('toolchain-missing.log'))).toEqual([
      {
        ...none,
        kind: 'toolchain-missing',
        severity: 'error',
        symbol: 'arm-nonexistent-gcc',
        message: "C compiler 'arm-nonexistent-gcc' not found",
      },
      { ...none, kind: 'toolchain-missing', severity: 'error', symbol: 'arm-nonexistent-ld', message: 'arm-nonexistent-ld: not found' },
    ]);
    expect(classifyFixture('toolchain-missing-config.log').map((d) => [d.kind, d.symbol])).toEqual([
      ['toolchain-missing', 'arm-nonexistent-gcc'],
    ]);
  });

  it('make-error when nothing more specific explains it (make -k: no "Stop.")', () => {
    expect(fields(classifyFixture('make-error-no-rule.log'))).toEqual([
      {
        ...none,
        kind: 'make-error',
        severity: 'error',
        file: 'mm/kmx_nothing.o',
        message: "*** No rule to make target 'mm/kmx_nothing.o'.",
      },
    ]);
  });

  it('clean baseline build has no diagnostics', () => {
    expect(classifyFixture('clean-baseline-up.log')).toEqual([]);
  });
});

describe('make-error suppression', () => {
  it('make lines are not reported next to a compile error, link error or modpost error', () => {
    for (const f of ['compile-error-zram.log', 'link-undefined.log', 'modpost-undefined-up.log', 'modpost-missing-license.log']) {
      expect(fixture(f)).toMatch(/\] Error 1$/m);
      expect(classifyFixture(f).filter((d) => d.kind === 'make-error')).toEqual([]);
    }
  });
  it('alone, the innermost make failures are reported, not their recursive `Error 2` echoes', () => {
    // compile-error-zram.log with the compiler's own lines removed: only make's lines remain.
    const makeOnly = fixture('compile-error-zram.log')
      .split('\n')
      .filter((l) => l.startsWith('make') || l.startsWith('  '))
      .join('\n');
    const ds = classifyText(makeOnly);
    expect(ds.map((d) => [d.kind, d.file])).toEqual([['make-error', 'drivers/block/zram/zram_drv.o']]);
    expect(ds[0]!.message).toBe(
      '*** [/work/scratch/replay-dev/linux-source-6.1/scripts/Makefile.build:255: drivers/block/zram/zram_drv.o] Error 1',
    );
  });
  it('a warning does not suppress make errors', () => {
    const log = `${fixture('compile-warning.log')}\nmake[1]: *** [Makefile:1296: vmlinux] Error 1\n`;
    expect(classifyText(log).map((d) => d.kind)).toEqual(['compile-warning', 'make-error']);
  });
});

/** The same log as if built elsewhere: other worktree, shifted lines/offsets, C-locale quotes. */
function rewrite(log: string): string {
  return log
    .replaceAll('/work/scratch/replay-dev/linux-source-6.1', '/home/ci/worktrees/k-3f2a9c/linux')
    .replaceAll('/work/scratch/classify-tree', '/home/ci/worktrees/k-3f2a9c/linux')
    .replaceAll('/work/scratch/classify-bd', '/home/ci/cache/bd/up')
    .replace(/(\.[ch]):(\d+):(\d+):/g, (_m, ext: string, l: string, c: string) => `${ext}:${Number(l) + 37}:${Number(c) + 4}:`)
    .replace(/^( *)(\d+) \|/gm, (_m, sp: string, l: string) => `${sp}${Number(l) + 37} |`)
    .replace(/\+0x[0-9a-f]+\)/g, '+0x4f8)')
    .replace(/[‘’]/g, "'")
    .replace(/`(\w+)'/g, '‘$1’');
}

describe('fingerprints', () => {
  const files = [
    'compile-error-zram.log',
    'compile-error-fatal.log',
    'compile-warning.log',
    'link-undefined.log',
    'modpost-undefined-up.log',
    'modpost-missing-license.log',
    'section-mismatch.log',
    'compiler-crash.log',
    'killed-cc1.log',
    'toolchain-missing.log',
    'make-error-no-rule.log',
  ];
  it.each(files)('%s: stable across line shifts, another worktree and quote style', (f) => {
    const a = classifyFixture(f);
    const b = classifyText(rewrite(fixture(f)));
    expect(a.length).toBeGreaterThan(0);
    expect(b.map((d) => d.fingerprint)).toEqual(a.map((d) => d.fingerprint));
    expect(b.map((d) => d.file)).toEqual(a.map((d) => d.file));
    for (const d of a) expect(d.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('real logs of the same patch in two worktrees (UP tree, SMP worktree) share the fingerprint', () => {
    expect(fixture('compile-error-zram-smp.log')).toContain('/work/scratch/replay-dev/wt/');
    const up = classifyFixture('compile-error-zram.log');
    const smp = classifyFixture('compile-error-zram-smp.log');
    expect(fields(smp)).toEqual(fields(up));
    expect(smp.map((d) => d.fingerprint)).toEqual(up.map((d) => d.fingerprint));
  });

  it('the rewrite really shifted lines and changed paths and quotes', () => {
    const b = classifyText(rewrite(fixture('compile-error-zram.log')));
    expect(b[0]).toMatchObject({ line: 1282, column: 47, message: expect.stringContaining("'same_pages'") });
  });

  it('unknown roots (no "Entering directory" lines, no opts.roots) are stripped heuristically', () => {
    const log = rewrite(fixture('compile-error-fatal.log'))
      .split('\n')
      .filter((l) => !l.includes('Entering directory'))
      .join('\n');
    const a = classifyFixture('compile-error-fatal.log');
    const b = classifyText(log);
    expect(b.map((d) => [d.file, d.fingerprint])).toEqual(a.map((d) => [d.file, d.fingerprint]));
    expect(classifyText(log, { roots: ['/home/ci/worktrees/k-3f2a9c/linux/'] }).map((d) => d.file)).toEqual(
      a.map((d) => d.file),
    );
  });

  it('differ for different symbols, modules and files', () => {
    const up = classifyFixture('modpost-undefined-up.log')[0]!;
    const line = (s: string, m: string) => `ERROR: modpost: "${s}" [${m}] undefined!`;
    const other = classifyFixture('modpost-undefined-smp.log')[0]!;
    expect(other.symbol).toBe('flush_tlb_kernel_range');
    const otherModule = classifyText(line('v7wbi_flush_kern_tlb_range', 'drivers/block/zram/zram.ko'))[0]!;
    expect(new Set([up.fingerprint, other.fingerprint, otherModule.fingerprint]).size).toBe(3);
    const w = fixture('compile-warning.log');
    const moved = classifyText(w.replaceAll('mm/zsmalloc.c', 'mm/zpool.c'));
    expect(moved[0]!.file).toBe('mm/zpool.c');
    expect(moved[0]!.fingerprint).not.toBe(classifyText(w)[0]!.fingerprint);
    expect(classifyText(w.replaceAll('kmx_unused', 'kmx_other'))[0]!.fingerprint).not.toBe(classifyText(w)[0]!.fingerprint);
  });

  it('repeated lines (make -k, parallel output) are deduplicated, first kept', () => {
    const twice = fixture('compile-error-fatal.log') + rewrite(fixture('compile-error-fatal.log'));
    const ds = classifyText(twice);
    expect(ds.map((d) => d.line)).toEqual([1235, 19]);
  });
});

describe('buildStatus', () => {
  const d = (kind: Diagnostic['kind'], severity: Diagnostic['severity'] = 'error') => ({ kind, severity });
  it('PASS / FAIL / ERROR from the real fixtures', () => {
    const status = (f: string, exitCode: number, missing: string[] = []) =>
      buildStatus({ diagnostics: classifyFixture(f), exitCode, missingArtifacts: missing });
    expect(status('clean-baseline-up.log', 0)).toBe('PASS');
    expect(status('section-mismatch.log', 0)).toBe('PASS');
    expect(status('compile-warning.log', 0)).toBe('PASS');
    expect(status('section-mismatch-fatal.log', 2, ['vmlinux'])).toBe('FAIL');
    expect(status('compile-error-zram.log', 2, ['drivers/block/zram/zram.ko'])).toBe('FAIL');
    expect(status('modpost-undefined-up.log', 2)).toBe('FAIL');
    expect(status('compiler-crash.log', 2)).toBe('FAIL'); // an ICE is not infrastructure
    expect(status('killed-cc1.log', 2)).toBe('ERROR');
    expect(status('killed-term.log', 2)).toBe('ERROR');
    expect(status('toolchain-missing.log', 2)).toBe('ERROR');
  });
  it('ERROR wins over FAIL', () => {
    expect(
      buildStatus({ diagnostics: [d('compile-error'), d('killed')], exitCode: 2, missingArtifacts: ['vmlinux'] }),
    ).toBe('ERROR');
    expect(buildStatus({ diagnostics: [d('compile-error'), d('infra')], exitCode: 2, missingArtifacts: [] })).toBe('ERROR');
    expect(buildStatus({ diagnostics: [d('compile-error')], exitCode: 2, missingArtifacts: [], timedOut: true })).toBe('ERROR');
  });
  it('FAIL on nonzero exit or missing artifacts even without diagnostics; a signal exit is ERROR', () => {
    expect(buildStatus({ diagnostics: [], exitCode: 2, missingArtifacts: [] })).toBe('FAIL');
    expect(buildStatus({ diagnostics: [], exitCode: 0, missingArtifacts: ['arch/arm/boot/zImage'] })).toBe('FAIL');
    expect(buildStatus({ diagnostics: [d('compile-error')], exitCode: 0, missingArtifacts: [] })).toBe('FAIL');
    expect(buildStatus({ diagnostics: [d('compile-warning', 'warning')], exitCode: 0, missingArtifacts: [] })).toBe('PASS');
    expect(buildStatus({ diagnostics: [], exitCode: null, missingArtifacts: [] })).toBe('ERROR');
  });
});

describe('other formats the kernel/toolchain print (from their sources; not producible with 6.1 + gcc)', () => {
  const one = (line: string) => fields(classifyText(line));
  it('modpost ≤ 5.6 and WARNING variants', () => {
    expect(one('ERROR: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!')).toEqual([
      { ...none, kind: 'modpost-undefined', severity: 'error', symbol: 'v7wbi_flush_kern_tlb_range', module: 'mm/zsmalloc.ko', message: '"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!' },
    ]);
    expect(one('WARNING: modpost: "foo" [drivers/x.ko] undefined!')[0]).toMatchObject({ kind: 'modpost-undefined', severity: 'warning' });
    expect(one('WARNING: modpost: missing MODULE_LICENSE() in drivers/x.o')[0]).toMatchObject({
      kind: 'modpost-missing-license', severity: 'warning', file: 'drivers/x.o', module: 'drivers/x.ko',
    });
  });
  it('old section mismatch format (multi-line explanation ignored) and fatal summary', () => {
    const log = [
      'WARNING: modpost: vmlinux.o(.text+0x1234): Section mismatch in reference from the function foo() to the function .init.text:bar()',
      'The function foo() references',
      'the function __init bar().',
      'This is often because foo lacks a __init',
      'annotation or the annotation of bar is wrong.',
      'WARNING: modpost: Found 1 section mismatch(es).',
      "To see full details build your kernel with:",
      "'make CONFIG_DEBUG_SECTION_MISMATCH=y'",
      'FATAL: modpost: Section mismatches detected.',
    ].join('\n');
    expect(fields(classifyText(log))).toEqual([
      { ...none, kind: 'section-mismatch', severity: 'error', symbol: 'bar', module: 'vmlinux.o', message: 'vmlinux.o(.text+0x1234): Section mismatch in reference from the function foo() to the function .init.text:bar()' },
    ]);
    expect(one('WARNING: modpost: vmlinux: section mismatch in reference: foo+0x10 (section: .text) -> bar (section: .init.text)')[0]).toMatchObject({ symbol: 'bar', module: 'vmlinux' });
  });
  it('modpost-other, ld.lld, ld with path:line, driver-level ICE, timeout, OOM, missing compiler forms', () => {
    expect(one('ERROR: modpost: module zram uses symbol zs_malloc from namespace ZS, but does not import it.')[0]).toMatchObject({ kind: 'modpost-other', severity: 'error' });
    expect(fields(classifyText('ld.lld: error: undefined symbol: foo\n>>> referenced by util.c:12 (/abs/tree/mm/util.c:12)\n>>>               mm/util.o:(bar) in archive vmlinux.a'))).toEqual([
      { ...none, kind: 'link-undefined', severity: 'error', file: 'mm/util.c', line: 12, symbol: 'foo', message: 'undefined symbol: foo (referenced in bar)' },
    ]);
    expect(one("arm-linux-gnueabi-ld: /t/linux/mm/util.c:57:(.text+0x1c): undefined reference to `foo'")[0]).toMatchObject({ file: 'mm/util.c', line: 57, symbol: 'foo' });
    const ice = 'arm-linux-gnueabi-gcc: internal compiler error: Segmentation fault signal terminated program cc1\nPlease submit a full bug report, with preprocessed source (by using -freport-bug).\nmake[3]: *** [scripts/Makefile.build:255: mm/zsmalloc.o] Error 4';
    expect(fields(classifyText(ice))).toEqual([
      { ...none, kind: 'compiler-crash', severity: 'error', file: 'mm/zsmalloc.o', message: 'internal compiler error: Segmentation fault signal terminated program cc1' },
    ]);
    expect(one('kmatrix: build timed out after 1800 s')[0]).toMatchObject({ kind: 'killed' });
    expect(one('cc1: out of memory allocating 65536 bytes after a total of 1234567 bytes')[0]).toMatchObject({ kind: 'killed' });
    expect(one('make[2]: *** [scripts/Makefile.build:255: mm/zsmalloc.o] Error 137')[0]).toMatchObject({ kind: 'killed', file: 'mm/zsmalloc.o' });
    expect(one('make: arm-linux-gnueabi-gcc: Command not found')[0]).toMatchObject({ kind: 'toolchain-missing', symbol: 'arm-linux-gnueabi-gcc' });
    expect(one('/bin/sh: 1: arm-linux-gnueabi-gcc: not found')[0]).toMatchObject({ kind: 'toolchain-missing' });
    expect(one("arm-linux-gnueabi-gcc: fatal error: cannot execute 'cc1': execvp: No such file or directory")[0]).toMatchObject({ kind: 'toolchain-missing', symbol: 'cc1' });
    expect(one('make: *** No rule to make target \'foo\', needed by \'bar\'.  Stop.')[0]).toMatchObject({ kind: 'make-error', file: 'foo' });
  });
  it('ppc64 ELFv1 dot-symbols, GNU ld without a file (vmlinux.o), newer objtool errors (formats from their sources)', () => {
    expect(one('WARNING: ".zs_malloc" [drivers/block/zram/zram.ko] undefined!')).toEqual([
      { ...none, kind: 'modpost-undefined', severity: 'warning', symbol: 'zs_malloc', module: 'drivers/block/zram/zram.ko', message: '".zs_malloc" [drivers/block/zram/zram.ko] undefined!' },
    ]);
    const ld = [
      "ld: vmlinux.o: in function `start_kernel':",
      "(.init.text+0x1a): undefined reference to `kmx_a'",
      "ld: vmlinux.o: in function `rest_init':",
      "(.text+0x2c): undefined reference to `kmx_a'",
      "(.text+0x30): undefined reference to `kmx_b'",
    ].join('\n');
    expect(fields(classifyText(ld))).toEqual([
      { ...none, kind: 'link-undefined', severity: 'error', file: 'vmlinux.o', symbol: 'kmx_a', message: "undefined reference to `kmx_a' (referenced in start_kernel, rest_init)" },
      { ...none, kind: 'link-undefined', severity: 'error', file: 'vmlinux.o', symbol: 'kmx_b', message: "undefined reference to `kmx_b' (referenced in rest_init)" },
    ]);
    expect(one('vmlinux.o: error: objtool: do_idle+0x2c: call to foo() leaves .noinstr.text section')).toEqual([
      { ...none, kind: 'objtool', severity: 'error', file: 'vmlinux.o', symbol: 'do_idle', message: 'do_idle+0x2c: call to foo() leaves .noinstr.text section' },
    ]);
  });
  it('relativePath', () => {
    expect(relativePath('./mm/x.c', [])).toBe('mm/x.c');
    expect(relativePath('../mm/x.c', [])).toBe('mm/x.c');
    expect(relativePath('/home/me/src/kernel/linux/mm/x.c', [])).toBe('mm/x.c');
    expect(relativePath('/usr/src/linux/kernel/fork.c', [])).toBe('kernel/fork.c');
    expect(relativePath('/w/t/arch/arm/mm/tlb.c', ['/w/t'])).toBe('arch/arm/mm/tlb.c');
    // Relative to the O= dir and leaving it (ccache's base_dir makes gcc print these): the source tree's own path is cut.
    expect(relativePath('../../../src/drivers/block/zram/zram_drv.c', [])).toBe('drivers/block/zram/zram_drv.c');
    expect(relativePath('../../src/include/linux/mm.h', [])).toBe('include/linux/mm.h');
    expect(relativePath('../../mm/x.c', [])).toBe('mm/x.c');
  });

  it("a compile error printed with an O=-relative path (ccache base_dir) has the tree path and the absolute form's fingerprint", () => {
    // Real line: kmatrix run of virt-v7/UP@gcc at the replay tree's zram-break commit, CCACHE_BASEDIR set (podman).
    const relLine = "../../../src/drivers/block/zram/zram_drv.c:1245:43: error: 'struct zram_stats' has no member named 'same_pages'; did you mean 'huge_pages'?";
    const absLine = relLine.replace('../../../src/', '/root/.cache/kmatrix/trees/7aaac5fd41bf/src/');
    const roots = ['/root/.cache/kmatrix/trees/7aaac5fd41bf/src', '/root/.cache/kmatrix/trees/7aaac5fd41bf/build/podman/virt-v7__UP'];
    const [rel] = classifyText(relLine, { roots });
    const [abs] = classifyText(absLine, { roots });
    expect(rel?.file).toBe('drivers/block/zram/zram_drv.c');
    expect(rel?.line).toBe(1245);
    expect(rel?.fingerprint).toBe(abs?.fingerprint);
  });
});

describe('inputs', () => {
  it('.gz logs are decompressed transparently; plain files too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-classify-'));
    const gz = join(dir, 'build.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'compile-error-zram.log'))));
    const expected = classifyFixture('compile-error-zram.log');
    expect(await classifyFile(gz)).toEqual(expected);
    expect(await classifyFile(join(FIXTURES, 'compile-error-zram.log'))).toEqual(expected);
    writeFileSync(join(dir, 'bad.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    await expect(classifyFile(join(dir, 'bad.gz'))).rejects.toThrow();
  });

  it('AsyncIterable<string> of text pieces (lines with their newlines)', async () => {
    async function* lines() {
      for (const l of fixture('modpost-undefined-up.log').split('\n')) yield `${l}\n`;
    }
    expect(await classifyStream(lines())).toEqual(classifyFixture('modpost-undefined-up.log'));
  });

  it('a 5 MB line (cut at MAX_LINE) neither throws nor hides the diagnostics after it (speed and memory: bench/classify-scale.mjs)', async () => {
    function* generate(): Generator<string> {
      yield 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 4; i++) yield 'y'.repeat(1024 * 1024);
      yield '\n' + fixture('compile-warning.log');
    }
    const ds = await classifyStream(Readable.from(generate()));
    expect(ds.map((d) => d.kind)).toEqual(classifyFixture('compile-warning.log').map((d) => d.kind));
    expect(ds.length).toBeGreaterThan(0);
  });
});
