import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/types.js';
import { buildStatus, classifyText } from '../../src/classify/index.js';
import { environmentFault } from '../../src/classify/outcome.js';
import { fixtureLog } from '../helpers/logs.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';

/**
 * Failed logs `classify` once called PASS (a reviewer's list): each is FAIL or ERROR now, with exact
 * fields. Fixtures in test/fixtures/logs/false-green/ (each header says how it was made).
 */
type Fields = Omit<Diagnostic, 'fingerprint'>;
const none = { file: null, line: null, column: null, symbol: null, module: null };
const fields = (text: string): Fields[] => classifyText(text).map(({ fingerprint: _f, ...rest }) => rest);
const fixture = (name: string): string => fixtureLog(`false-green/${name}`);
/** The status `classify` gives without --exit-code (the log alone). */
const status = (text: string) => buildStatus({ diagnostics: classifyText(text), exitCode: 0, missingArtifacts: [] });
const makeError = (message: string, file: string | null, line: number | null = null): Fields => ({
  ...none,
  kind: 'make-error',
  severity: 'error',
  message,
  file,
  line,
});

describe('false greens: failed logs are never PASS', () => {
  it('an empty (or blank) log is ERROR with an infra "empty log" diagnostic', () => {
    for (const text of ['', '\n\n', '  \r\n\t\n']) {
      expect(fields(text)).toEqual([
        { ...none, kind: 'infra', severity: 'error', message: 'empty log: nothing to classify (the build output was not captured)' },
      ]);
      expect(status(text)).toBe('ERROR');
    }
    // A log with lines, even without diagnostics, is classified by them (run's logs start with kmatrix's header).
    expect(fields('kmatrix: cell x at abc (s)\n$ make\n')).toEqual([]);
  });

  it("make -k's `Target ... not remade because of errors.` (real), alone and after the failing target", () => {
    expect(fields(fixture('make-k-not-remade.log'))).toEqual([makeError('*** [Makefile:4: a.o] Error 1', 'a.o')]);
    expect(fields("make: Target 'vmlinux' not remade because of errors.\n")).toEqual([
      makeError("Target 'vmlinux' not remade because of errors.", 'vmlinux'),
    ]);
    expect(status("make[1]: Target `vmlinux' not remade because of errors.")).toBe('FAIL');
  });

  it("make's own fatal `FILE:LINE: *** ...  Stop.` (real missing separator, and the brief's line)", () => {
    expect(fields(fixture('make-missing-separator.log'))).toEqual([
      makeError('*** missing separator (did you mean TAB instead of 8 spaces?).  Stop.', 'Makefile', 4),
    ]);
    expect(fields('Makefile:720: *** missing separator.  Stop.')).toEqual([makeError('*** missing separator.  Stop.', 'Makefile', 720)]);
    expect(status('arch/arm/Makefile:12: *** This compiler is too old.  Stop.')).toBe('FAIL');
  });

  it('`final link failed`: a full disk is infra (ERROR, one per log), any other reason link-error (FAIL)', () => {
    const full = fields(fixture('ld-no-space.log'));
    expect(full).toEqual([{ ...none, kind: 'infra', severity: 'error', message: 'disk full: ld: final link failed: No space left on device' }]);
    expect(status(fixture('ld-no-space.log'))).toBe('ERROR');
    // `run` adds its own disk-full diagnostic (with free space): the same identity, so it keeps one.
    expect(classifyText(fixture('ld-no-space.log'))[0]!.fingerprint).toBe(environmentFault(fixture('ld-no-space.log'), [])!.fingerprint);
    // Synthetic (not producible here on purpose): ld's other final-link failures.
    expect(fields('arm-linux-gnueabi-ld: final link failed: bad value')).toEqual([
      { ...none, kind: 'link-error', severity: 'error', message: 'final link failed: bad value' },
    ]);
    expect(status('ld.bfd: final link failed: nonrepresentable section on output')).toBe('FAIL');
  });

  it('a failed build whose own dir is nearly full is ERROR disk full even when the tool did not say so (bison: input/output error)', () => {
    // Real tail: `make allnoconfig` with HOSTCC=ccache gcc into a 256 KiB tmpfs; the host objects came from ccache, then bison failed.
    const tail = [
      '  YACC    scripts/kconfig/parser.tab.[ch]',
      'bison: input/output error',
      "make[2]: *** [src/scripts/Makefile.host:17: scripts/kconfig/parser.tab.h] Error 1",
    ].join('\n');
    const full = environmentFault(tail, ['/o', '/logs'], (d) => (d === '/o' ? 40 * 1024 : 50e9));
    expect(full?.kind).toBe('infra');
    expect(full?.message).toMatch(/^disk full: No space left on device in \/o .*40 KiB free.*the tool said: bison: input\/output error/);
    expect(full?.fingerprint).toBe(environmentFault('x: No space left on device', [])!.fingerprint);
    // Plenty of space (or unknown): the tool's own error stands.
    expect(environmentFault(tail, ['/o'], () => 50e9)).toBeNull();
    expect(environmentFault(tail, ['/o'], () => null)).toBeNull();
  });

  it("a link that failed without an undefined symbol: ld's `cannot find`, ld.lld's errors (real); the drivers' summaries only as a fallback", () => {
    const link = (message: string, file: string | null = null): Fields => ({ ...none, kind: 'link-error', severity: 'error', message, file });
    expect(fields(fixture('link-missing-lib.log'))).toEqual([
      link('cannot find -lkmxnothere: No such file or directory'),
      link('unable to find library -lkmxnothere'),
    ]);
    expect(fields('collect2: error: ld returned 1 exit status')).toEqual([link('ld returned 1 exit status')]);
    expect(
      fields('clang: error: linker command failed with exit code 1 (use -v to see invocation)\nmake[2]: *** [scripts/Makefile.vmlinux:34: vmlinux] Error 1'),
    ).toEqual([link('linker command failed with exit code 1', 'vmlinux')]);
    // ld.lld's undefined symbols stay link-undefined.
    expect(fields('ld.lld: error: undefined symbol: foo').map((d) => d.kind)).toEqual(['link-undefined']);
  });

  it('`cc1: all warnings being treated as errors`: alone it is the error; after the -Werror error it adds nothing (real)', () => {
    expect(fields('cc1: all warnings being treated as errors')).toEqual([
      { ...none, kind: 'compile-error', severity: 'error', message: 'all warnings being treated as errors' },
    ]);
    expect(fields(fixture('werror.log'))).toEqual([
      {
        ...none,
        kind: 'compile-error',
        severity: 'error',
        file: 'w.c',
        line: 1,
        column: 17,
        symbol: 'f',
        message: 'unused variable ‘x’ [-Werror=unused-variable]',
      },
    ]);
    // gcc <= 4.5 printed the summary first and the warnings as warnings: the summary makes it FAIL, with make's target.
    const old = 'cc1: warnings being treated as errors\nw.c:1: warning: unused variable ‘x’\nmake: *** [w.o] Error 1\n';
    expect(fields(old).filter((d) => d.severity === 'error')).toEqual([
      { ...none, kind: 'compile-error', severity: 'error', file: 'w.o', message: 'all warnings being treated as errors' },
    ]);
  });

  it("dtc's `Error: FILE:L.C-C2 syntax error` / `FATAL ERROR:` pair: one compile-error at the place (real, and the brief's line)", () => {
    expect(fields(fixture('dtc-syntax.log'))).toEqual([
      { ...none, kind: 'compile-error', severity: 'error', file: 'foo.dts', line: 6, column: 2, message: 'syntax error' },
    ]);
    expect(fields('Error: arch/arm/boot/dts/foo.dts:12.1-2 syntax error\nFATAL ERROR: Unable to parse input tree\n')).toEqual([
      { ...none, kind: 'compile-error', severity: 'error', file: 'arch/arm/boot/dts/foo.dts', line: 12, column: 1, message: 'syntax error' },
    ]);
    // FATAL alone (e.g. a missing include) is the error, with make's failing target as file.
    expect(fields('FATAL ERROR: Couldn\'t open "x.dtsi": No such file or directory\nmake[2]: *** [scripts/Makefile.lib:1: arch/arm/boot/dts/foo.dtb] Error 1')).toEqual([
      { ...none, kind: 'compile-error', severity: 'error', file: 'arch/arm/boot/dts/foo.dtb', message: 'FATAL ERROR: Couldn\'t open "x.dtsi": No such file or directory' },
    ]);
    // A dtc check warning keeps its check name.
    expect(fields('foo.dts:3.5-20: Warning (reg_format): /a:reg: property has invalid length')).toEqual([
      { ...none, kind: 'compile-warning', severity: 'warning', file: 'foo.dts', line: 3, column: 5, message: '(reg_format): /a:reg: property has invalid length' },
    ]);
  });

  it('a 2-line log whose lines all carry one wrapper prefix is stripped (akmods); one line is not enough to call it a prefix', () => {
    expect(fields(fixture('akmods-two-lines.log'))).toEqual([makeError('*** [Makefile:4: a.o] Error 1', 'a.o')]);
    expect(fields('akmods: make[2]: *** [scripts/Makefile.build:250: drivers/x.o] Error 1\nakmods: make[1]: *** [Makefile:1: drivers] Error 2')).toEqual([
      makeError('*** [scripts/Makefile.build:250: drivers/x.o] Error 1', 'drivers/x.o'),
    ]);
    expect(fields('akmods: something\nplain line')).toEqual([]);
    // kmatrix's own lines are never a wrapper (a short run log: header, command, timeout).
    expect(fields('kmatrix: cell a\nkmatrix: toolchain b\nkmatrix: build timed out after 5 s').map((d) => d.kind)).toEqual(['killed']);
  });

  it('a tool that crashed by itself (SEGV/ABRT/BUS, Error 139) is compiler-crash (FAIL); killed from outside (KILL/TERM, 137/143) stays killed (ERROR)', () => {
    expect(fields(fixture('segv.log'))).toEqual([
      { ...none, kind: 'compiler-crash', severity: 'error', file: 'x.o', message: '*** [Makefile:2: x.o] Segmentation fault' },
      { ...none, kind: 'compiler-crash', severity: 'error', file: 'z.o', message: 'Segmentation fault' },
    ]);
    expect(status(fixture('segv.log'))).toBe('FAIL');
    expect(fields('make: *** [x.o] Error 139')).toEqual([
      { ...none, kind: 'compiler-crash', severity: 'error', file: 'x.o', message: '*** [x.o] Error 139' },
    ]);
    expect(status('make[2]: *** [scripts/Makefile.build:250: mm/a.o] Error 134')).toBe('FAIL');
    expect(fields('/bin/sh: line 1: 4242 Segmentation fault      (core dumped) scripts/dtc/dtc -o x.dtb x.dts')).toEqual([
      { ...none, kind: 'compiler-crash', severity: 'error', symbol: 'dtc', message: 'Segmentation fault: dtc' },
    ]);
    for (const line of ['make: *** [x.o] Error 137', 'make: *** [x.o] Error 143', 'make: *** [x.o] Killed']) {
      expect(fields(line).map((d) => d.kind)).toEqual(['killed']);
      expect(status(line)).toBe('ERROR');
    }
  });
});

describe('classify CLI on them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmx-false-green-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an empty log file: ERROR, exit 3, "empty log"', async () => {
    const log = join(dir, 'empty.log');
    writeFileSync(log, '');
    const r = await runCliInProcess(['classify', log]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('ERROR');
    expect(r.stdout).toContain('empty log');
  });

  it('--exit-code must be an integer 0-255: otherwise exit 2 naming the flag, nothing printed on stdout', async () => {
    const log = join(dir, 'ok.log');
    writeFileSync(log, '  CC      mm/util.o\n');
    for (const bad of ['abc', '-1', '256', '1.5', '']) {
      const r = await runCliInProcess(['classify', `--exit-code=${bad}`, log]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('--exit-code');
      expect(r.stdout).toBe('');
    }
    expect((await runCliInProcess(['classify', '--exit-code', '0', log])).code).toBe(0);
    expect((await runCliInProcess(['classify', '--exit-code', '2', log])).code).toBe(1);
  });
});
