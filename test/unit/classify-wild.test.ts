import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/types.js';
import { buildStatus, classifyText } from '../../src/classify/index.js';
import { hostHeaderPackage } from '../../src/classify/kinds/host-headers.js';
import { fixtureLog } from '../helpers/logs.js';

/**
 * Issue 19, logs from the wild: real fixtures in test/fixtures/logs/wild/ (each header says how it
 * was made; the wrapped ones are real build lines in a synthetic outside format, by wrap-wild.mjs),
 * exact fields and status; the issue's own lines (transcribed, said so below); benign lines that
 * must stay PASS; and the property that no prefix turns a failing fixture into PASS.
 */
type Fields = Omit<Diagnostic, 'fingerprint'>;
const none = { file: null, line: null, column: null, symbol: null, module: null };
const fields = (text: string): Fields[] => classifyText(text).map(({ fingerprint: _f, ...rest }) => rest);
const wild = (name: string): string => fixtureLog(`wild/${name}`);
/** The status `classify` gives a log alone (make's exit code unknown: 0). */
const status = (text: string) => buildStatus({ diagnostics: classifyText(text), exitCode: 0, missingArtifacts: [] });

const hostHeader = (file: string, line: number, column: number, header: string, pkg: string): Fields => ({
  ...none,
  kind: 'toolchain-missing',
  severity: 'error',
  file,
  line,
  column,
  symbol: header,
  message: `host header ${header} not found (Debian package ${pkg})`,
});
const lldUldivmod: Fields = {
  ...none,
  kind: 'link-undefined',
  severity: 'error',
  file: 'kernel/time/kmx_gtod.c',
  line: 4,
  symbol: '__aeabi_uldivmod',
  message: 'undefined symbol: __aeabi_uldivmod (referenced in kmx_update)',
};

/** Real fixtures made for issue 19: exact fields and status. */
const REAL: Record<string, { status: string; want: Fields[] }> = {
  'kconfig-missing-defconfig.log': {
    status: 'FAIL',
    want: [{ ...none, kind: 'kconfig', severity: 'error', file: 'arch/arm/configs/kmx_k210_defconfig', message: 'Can\'t find default configuration "arch/arm/configs/kmx_k210_defconfig"!' }],
  },
  // The parser's cascade (invalid/unknown statements, unsupported characters in the help text) is one diagnostic.
  'kconfig-syntax.log': { status: 'FAIL', want: [{ ...none, kind: 'kconfig', severity: 'error', file: 'drivers/block/zram/Kconfig', line: 5, message: 'syntax error' }] },
  'kconfig-no-config.log': { status: 'FAIL', want: [{ ...none, kind: 'kconfig', severity: 'error', file: '.config', message: 'Configuration file ".config" not found!' }] },
  'kconfig-write.log': { status: 'FAIL', want: [{ ...none, kind: 'kconfig', severity: 'error', file: 'allnoconfig', message: 'Error during writing of the configuration.' }] },
  'kconfig-sync.log': { status: 'FAIL', want: [{ ...none, kind: 'kconfig', severity: 'error', file: 'syncconfig', message: 'Error during sync of the configuration.' }] },
  'disk-full-cc1.log': {
    status: 'ERROR',
    want: [{ ...none, kind: 'infra', severity: 'error', message: 'disk full: /tmp/classify-src/linux-source-6.1/scripts/dtc/dtc.c:371:1: fatal error: error writing to /tmp/classify-full/cc37LhAo.s: No space left on device' }],
  },
  'disk-full-gas.log': {
    status: 'ERROR',
    want: [{ ...none, kind: 'infra', severity: 'error', message: "disk full: /tmp/ccKY1eJx.s: Fatal error: can't write 16 bytes to section .text of /tmp/classify-full2/kmx-init.o: 'No space left on device'" }],
  },
  'host-header-openssl-gcc.log': { status: 'ERROR', want: [hostHeader('scripts/sign-file.c', 25, 10, 'openssl/opensslv.h', 'libssl-dev')] },
  'host-header-openssl-clang.log': {
    status: 'ERROR',
    want: [
      { ...none, kind: 'compile-warning', severity: 'warning', message: "argument unused during compilation: '-nostdinc' [-Wunused-command-line-argument]" },
      hostHeader('scripts/sign-file.c', 25, 10, 'openssl/opensslv.h', 'libssl-dev'),
    ],
  },
  'host-header-libelf.log': {
    status: 'ERROR',
    want: [
      hostHeader('<stdin>', 1, 10, 'libelf.h', 'libelf-dev'),
      { ...none, kind: 'compile-error', severity: 'error', file: 'elf.c', line: 272, column: 9, symbol: 'read_sections', message: '‘elf_getshnum’ is deprecated [-Werror=deprecated-declarations]' },
    ],
  },
  // Three spellings of one multiple definition (ld.bfd and ld, without and with -g): one diagnostic.
  'ld-multiple-definition.log': {
    status: 'FAIL',
    want: [
      {
        ...none,
        kind: 'link-error',
        severity: 'error',
        file: 'drivers/firmware/kmx/kmx-init.o',
        symbol: 'kmx_screen_info',
        message: "multiple definition of `kmx_screen_info'; first defined in arch/arm/kernel/kmx_setup.o",
      },
    ],
  },
  'lld-versioned-undefined.log': { status: 'FAIL', want: [lldUldivmod] },
  'nix-tail-old.log': { status: 'FAIL', want: [lldUldivmod] },
};

/** Wrapped fixtures (wrap-wild.mjs): the same diagnostics as the real log inside them, whose fields other tests pin. */
const WRAPPED: Record<string, { base: string; kinds: string[] }> = {
  'robot-reply-objtool.log': { base: 'objtool-error.log', kinds: ['objtool'] },
  'robot-reply-lld.log': { base: 'clang-lld-undefined.log', kinds: ['link-undefined', 'link-undefined'] },
  'robot-reply-modpost.log': { base: 'modpost-suppressed.log', kinds: Array(11).fill('modpost-undefined') },
  'time-of-day.log': { base: 'compile-error-fatal.log', kinds: ['compile-error', 'compile-error'] },
  'nix-tail-new.log': { base: 'modpost-undefined-up.log', kinds: ['modpost-undefined'] },
  'bitbake-log-data.log': { base: 'compile-error-zram.log', kinds: ['compile-error'] },
};

describe('issue 19: real fixtures, exact fields', () => {
  it.each(Object.entries(REAL))('%s', (name, c) => {
    const log = wild(name);
    expect(fields(log)).toEqual(c.want);
    expect(status(log)).toBe(c.status);
  });
  it.each(Object.entries(WRAPPED))('%s: what the log inside it gives', (name, c) => {
    const got = fields(wild(name));
    expect(got.map((d) => d.kind)).toEqual(c.kinds);
    expect(got).toEqual(fields(fixtureLog(c.base)));
    expect(status(wild(name))).toBe('FAIL');
  });
  it('pass-verbose-w1.log: a real V=1 W=1 PASS (-Werror=... in command lines, echo "warning: ...", strerror) stays PASS, also time-stamped', () => {
    const log = wild('pass-verbose-w1.log');
    const got = fields(log);
    expect(got.map((d) => [d.kind, d.severity])).toEqual(Array(8).fill(['compile-warning', 'warning']));
    expect(got[0]).toEqual({ ...none, kind: 'compile-warning', severity: 'warning', file: 'mm/util.c', line: 671, message: "No description found for return value of '__vmalloc_array'" });
    expect(status(log)).toBe('PASS');
    const stamped = log.split('\n').map((l, i) => `00:00:${String(i % 60).padStart(2, '0')} ${l}`).join('\n');
    expect(fields(stamped)).toEqual(got);
  });
  it('every fixture in wild/ has a case above', () => {
    const names = readdirSync(join(import.meta.dirname, '../fixtures/logs/wild')).sort();
    expect(names).toEqual([...Object.keys(REAL), ...Object.keys(WRAPPED), 'pass-verbose-w1.log'].sort());
  });
});

describe("issue 19: the issue's own lines (transcribed from the issue; formats no toolchain here prints)", () => {
  it('1. replies quoting the robot, quote levels with and without spaces', () => {
    expect(fields('> > > >> drivers/media/i2c/ccs/ccs.o: error: objtool: ccs_set_selection(): unexpected end of section .text.ccs_set_selection')).toEqual([
      { ...none, kind: 'objtool', severity: 'error', file: 'drivers/media/i2c/ccs/ccs.o', symbol: 'ccs_set_selection', message: 'ccs_set_selection(): unexpected end of section .text.ccs_set_selection' },
    ]);
    const modpost: Fields = { ...none, kind: 'modpost-undefined', severity: 'error', symbol: '__aeabi_uldivmod', module: 'drivers/net/ethernet/intel/i40e/i40e.ko', message: '"__aeabi_uldivmod" [drivers/net/ethernet/intel/i40e/i40e.ko] undefined!' };
    expect(fields('> >> ERROR: "__aeabi_uldivmod" [drivers/net/ethernet/intel/i40e/i40e.ko] undefined!')).toEqual([modpost]);
    expect(fields('>>>> ERROR: "__aeabi_uldivmod" [drivers/net/ethernet/intel/i40e/i40e.ko] undefined!')).toEqual([modpost]);
  });

  it('2. a time-of-day stamp', () => {
    expect(fields('00:00:14 ./include/linux/stddef.h:11:9: error: cannot use keyword ‘false’ as enumeration constant')).toEqual([
      { ...none, kind: 'compile-error', severity: 'error', file: 'include/linux/stddef.h', line: 11, column: 9, message: 'cannot use keyword ‘false’ as enumeration constant' },
    ]);
  });

  it('4. versioned LLVM and binutils names', () => {
    const log = [
      'ld.lld-9: error: undefined symbol: __udivdi3',
      '>>> referenced by vsyscall_gtod.c',
      '>>>               entry/vsyscall/vsyscall_gtod.o:(update_vsyscall) in archive arch/x86/built-in.a',
    ].join('\n');
    expect(fields(log)).toEqual([
      { ...none, kind: 'link-undefined', severity: 'error', file: 'entry/vsyscall/vsyscall_gtod.c', symbol: '__udivdi3', message: 'undefined symbol: __udivdi3 (referenced in update_vsyscall)' },
    ]);
    expect(fields('ld.lld-17: error: duplicate symbol: screen_info')).toEqual([
      { ...none, kind: 'link-error', severity: 'error', symbol: 'screen_info', message: 'duplicate symbol: screen_info' },
    ]);
    expect(fields('aarch64-linux-gnu-ld.bfd: cannot find -lgcc: No such file or directory')).toEqual([
      { ...none, kind: 'link-error', severity: 'error', message: 'cannot find -lgcc: No such file or directory' },
    ]);
    expect(fields('clang-14: error: unsupported argument \'-mkmx\' to option \'-W\'').map((d) => d.kind)).toEqual(['compile-error']);
  });

  it('5. a full disk in the compiler, the assembler or the linker is infra (ERROR)', () => {
    for (const line of [
      'cc1: fatal error: error writing to /build/cclDw8UE.s: No space left on device',
      "Fatal error: can't write 48 bytes to section .text of drivers/x.o: 'No space left on device'",
      'ld: final link failed: No space left on device',
    ]) {
      expect(fields(line).map((d) => d.kind), line).toEqual(['infra']);
      expect(status(line)).toBe('ERROR');
    }
  });

  it('6. missing host headers: gcc, clang with an absolute path, objtool', () => {
    expect(fields("/home/user/linux/scripts/extract-cert.c:21:10: fatal error: 'openssl/bio.h' file not found")).toEqual([
      hostHeader('scripts/extract-cert.c', 21, 10, 'openssl/bio.h', 'libssl-dev'),
    ]);
    expect(fields('tools/objtool/include/objtool/elf.h:10:10: fatal error: gelf.h: No such file or directory')).toEqual([
      hostHeader('tools/objtool/include/objtool/elf.h', 10, 10, 'gelf.h', 'libelf-dev'),
    ]);
    // The kernel's own missing header stays a compile error (FAIL).
    expect(fields('drivers/x.c:3:10: fatal error: linux/kmx_missing.h: No such file or directory').map((d) => d.kind)).toEqual(['compile-error']);
    expect(hostHeaderPackage('openssl/evp.h')).toBe('libssl-dev');
    expect(hostHeaderPackage('linux/types.h')).toBeNull();
  });

  it('7. Kconfig: update (kernels before 4.19), missing defconfig on riscv, a syntax error', () => {
    expect(fields('\n*** Error during update of the configuration.\n\nmake[2]: *** [scripts/kconfig/Makefile:37: silentoldconfig] Error 1')).toEqual([
      { ...none, kind: 'kconfig', severity: 'error', file: 'silentoldconfig', message: 'Error during update of the configuration.' },
    ]);
    expect(fields('*** Can\'t find default configuration "arch/riscv/configs/nommu_k210_defconfig"!')).toEqual([
      { ...none, kind: 'kconfig', severity: 'error', file: 'arch/riscv/configs/nommu_k210_defconfig', message: 'Can\'t find default configuration "arch/riscv/configs/nommu_k210_defconfig"!' },
    ]);
    expect(fields('drivers/foo/Kconfig:12: syntax error')).toEqual([{ ...none, kind: 'kconfig', severity: 'error', file: 'drivers/foo/Kconfig', line: 12, message: 'syntax error' }]);
  });

  it('8. GNU ld multiple definition after its `in function` line', () => {
    const log = [
      "arm-linux-gnueabihf-ld: drivers/firmware/efi/efi-init.o: in function `.LANCHOR1':",
      "efi-init.c:(.data+0x0): multiple definition of `screen_info'; arch/arm/kernel/setup.o:setup.c:(.data+0x12c): first defined here",
    ].join('\n');
    expect(fields(log)).toEqual([
      { ...none, kind: 'link-error', severity: 'error', file: 'drivers/firmware/efi/efi-init.o', symbol: 'screen_info', message: "multiple definition of `screen_info'; first defined in arch/arm/kernel/setup.o" },
    ]);
  });

  it("9. the safety net: an unexplained failure behind an unknown prefix is make-error quoting the line", () => {
    expect(fields('build.sh> make[2]: *** [scripts/Makefile.build:250: drivers/x.o] Error 1')).toEqual([
      { ...none, kind: 'make-error', severity: 'error', message: 'build.sh> make[2]: *** [scripts/Makefile.build:250: drivers/x.o] Error 1' },
    ]);
    expect(fields('    ERROR: kmx: the build failed')).toEqual([{ ...none, kind: 'make-error', severity: 'error', message: 'ERROR: kmx: the build failed' }]);
    expect(status('step 3/7 => FATAL: could not link vmlinux')).toBe('FAIL');
    expect(status('make: *** [x.o] Illegal instruction')).toBe('FAIL');
    // Transcribed from the tools' documented output: DKMS's failure line, a GitHub Actions error annotation.
    expect(fields('Error! Bad return status for module build on kernel: 6.1.0-13-amd64 (x86_64)\nConsult /var/lib/dkms/kmx/1.0/build/make.log for more information.')).toEqual([
      { ...none, kind: 'make-error', severity: 'error', message: 'Error! Bad return status for module build on kernel: 6.1.0-13-amd64 (x86_64)' },
    ]);
    expect(status('2026-12-06T07:00:00.0000000Z ##[error]Process completed with exit code 2.')).toBe('FAIL');
  });
});

describe('issue 19: benign mentions of "error" stay PASS (synthetic lines of real shapes)', () => {
  it.each([
    '  CC      drivers/base/error.o',
    '  CC      lib/errseq.o',
    'arm-linux-gnueabi-gcc -Wp,-MMD,mm/.util.o.d -Werror=implicit-function-declaration -Werror -c -o mm/util.o mm/util.c',
    'mm/util.c:12:5: warning: format ‘%d’ expects argument of type ‘int’ in "error: %d" [-Wformat=]',
    '   12 |         pr_err("error: %d\\n", x);',
    '\tpr_err("bad error: %d\\n", x);',
    'CONFIG_KMX_ERROR=y',
    "*** Default configuration is based on 'multi_v7_defconfig'",
    'make[1]: [Makefile:3: all] Error 1 (ignored)',
    'drivers/block/zram/Kconfig:9:warning: ignoring unsupported character \'/\'',
  ])('%s', (line) => {
    expect(fields(line).filter((d) => d.severity === 'error')).toEqual([]);
    expect(status(line)).toBe('PASS');
  });
});

/** Every fixture log (all folders) whose log alone is not PASS. */
function failingFixtures(): string[] {
  const root = join(import.meta.dirname, '../fixtures/logs');
  const out: string[] = [];
  for (const dir of ['', 'false-green', 'prefixed', 'wild']) {
    for (const f of readdirSync(join(root, dir)).sort()) {
      if (!f.endsWith('.log')) continue;
      const name = dir === '' ? f : `${dir}/${f}`;
      if (status(fixtureLog(name)) !== 'PASS') out.push(name);
    }
  }
  return out;
}

describe('issue 19 (9): no prefix turns a failing log into PASS', () => {
  const failing = failingFixtures();
  it('there are failing fixtures in every folder', () => {
    for (const dir of ['false-green/', 'prefixed/', 'wild/']) expect(failing.some((f) => f.startsWith(dir)), dir).toBe(true);
    expect(failing.length).toBeGreaterThan(60);
  });
  /** Whether a fixture, with the prefix put before each of its lines, is still not PASS. */
  const stillFails = (name: string, prefix: string): void => {
    const log = fixtureLog(name)
      .split('\n')
      .map((l) => prefix + l)
      .join('\n');
    expect(status(log), `${name} with ${JSON.stringify(prefix)}`).not.toBe('PASS');
  };
  it('any prefix of up to 40 printable characters on every line of any failing fixture is never PASS', () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    fc.assert(fc.property(fc.constantFrom(...failing), printable, stillFails), { numRuns: 300 });
  });
  it('the same, with prefixes made of the characters that hide diagnostics best', () => {
    const tricky = fc.string({ unit: fc.constantFrom(' ', '\t', '>', '|', '"', "'", '(', '-', '_', 'x', 'E', ':', '[', ']', '#', '0'), maxLength: 40 });
    fc.assert(fc.property(fc.constantFrom(...failing), tricky, stillFails), { numRuns: 300 });
  });
  it('every failing fixture with each short prefix that found a false PASS while this was written', () => {
    // `| ` and `12 | ` look like a source excerpt's bar: a random seed found `| ` turning link-missing-lib.log PASS.
    for (const name of failing) for (const prefix of [' ', ' "', 'x', '"', '> ', '| ', '12 | ', '  7 | ']) stillFails(name, prefix);
  });
});
