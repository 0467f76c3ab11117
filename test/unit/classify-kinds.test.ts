import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_KINDS, type Diagnostic } from '../../src/types.js';
import { INFRA_KINDS, KIND_INFO, KIND_STAGE, KIND_UNITS } from '../../src/classify/index.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';
import { cleanLine, detectPrefixes } from '../../src/classify/prefix.js';
import { escapeData, escapeProperty, renderGithubAnnotations } from '../../src/report/github.js';

describe('kinds describe themselves (issue #10 item 6)', () => {
  it('every diagnostic kind has exactly one declaration: a classify unit or the Kconfig stage', () => {
    expect([...KIND_INFO.keys()].sort()).toEqual([...DIAGNOSTIC_KINDS].sort());
    expect(new Set(KIND_UNITS.map((u) => u.kind)).size).toBe(KIND_UNITS.length);
  });
  it('INFRA_KINDS and KIND_STAGE are what the units declare', () => {
    expect([...INFRA_KINDS].sort()).toEqual(['infra', 'killed', 'toolchain-missing']);
    expect(KIND_STAGE).toEqual({
      'kconfig-unmet': 0,
      kconfig: 0,
      'compile-error': 1,
      'compile-warning': 1,
      'compiler-crash': 1,
      assembler: 1,
      objtool: 1,
      'link-undefined': 2,
      'link-error': 2,
      'modpost-undefined': 3,
      'modpost-missing-license': 3,
      'modpost-other': 3,
      'section-mismatch': 3,
    });
    expect(KIND_INFO.get('make-error')).toEqual({ stage: null, infra: false });
  });
});

describe('GitHub Actions annotations', () => {
  const d = (o: Partial<Diagnostic>): Diagnostic => v7wbiDiagnostic({ kind: 'compile-error', symbol: null, module: null, ...o });
  it('escapes data (%, CR, LF) and properties (also : and ,) as the runner does', () => {
    expect(escapeData('100% a\r\nb:c,d')).toBe('100%25 a%0D%0Ab:c,d');
    expect(escapeProperty('100% a\r\nb:c,d')).toBe('100%25 a%0D%0Ab%3Ac%2Cd');
  });
  it('one line per diagnostic with file, line, col and title; no line/col without a file', () => {
    const out = renderGithubAnnotations([
      d({ file: 'mm/zsmalloc.c', line: 12, column: 3, symbol: 'zs_map_object', message: "'x' undeclared, first use: here" }),
      d({ kind: 'modpost-undefined', symbol: 'v7wbi_flush_kern_tlb_range', module: 'mm/zsmalloc.ko', message: '"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!' }),
      d({ kind: 'objtool', severity: 'warning', file: 'arch/x86/kernel/setup.o', line: null, column: 7, message: 'a\nb' }),
    ]);
    expect(out).toBe(
      "::error file=mm/zsmalloc.c,line=12,col=3,title=kmatrix compile-error zs_map_object::'x' undeclared, first use: here\n" +
        '::error title=kmatrix modpost-undefined v7wbi_flush_kern_tlb_range::"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!\n' +
        '::warning file=arch/x86/kernel/setup.o,title=kmatrix objtool::a%0Ab\n',
    );
  });
});

describe('prefix detection', () => {
  const lines = (p: string, n = 10) => Array.from({ length: n }, (_, i) => `${p}undefined reference to \`x${i}'`);
  it("a tool's or make's own name on every line is not a wrapper; a wrapper's is, even when it ends like a tool", () => {
    for (const p of ['arm-linux-gnueabi-ld: ', 'ld: ', 'make[2]: ', 'x86_64-linux-gnu-gcc-12: ', 'ERROR: ', 'ld.lld: ']) {
      expect(detectPrefixes(lines(p)).wrappers, p).toEqual([]);
    }
    expect(detectPrefixes(lines('pkgbuild: ')).wrappers).toEqual(['pkgbuild: ']);
    expect(detectPrefixes(lines('akmods[1234]: ')).wrappers).toEqual(['akmods[1234]: ']);
    expect(detectPrefixes(lines('[build] ')).wrappers).toEqual(['[build] ']);
    expect(detectPrefixes([...lines('pkgbuild: ', 5), ...lines('', 5)]).wrappers).toEqual([]); // half the lines: not "most"
  });
  it('robot reports: by their header, or `>> `/three-space markers on most lines; `>>>` (ld.lld) is not a marker', () => {
    expect(detectPrefixes(['All errors (new ones prefixed by >>):', 'x']).robot).toBe(true);
    expect(detectPrefixes(['>> a.c:1:2: error: x', '   b', '--', '   c']).robot).toBe(true);
    expect(detectPrefixes(['ld.lld: error: undefined symbol: x', '>>> referenced by a.c', '>>>   a.o:(f)']).robot).toBe(false);
  });
  it('always-safe cleanup: timestamps, ANSI, GitLab markers, CR', () => {
    expect(cleanLine('2024-05-01T12:34:56.1234567Z make[1]: x\r')).toBe('make[1]: x');
    expect(cleanLine('[2024-05-01T12:34:56.123Z] x')).toBe('x');
    expect(cleanLine('\x1b[0Ksection_start:1732918201:step_script\r\x1b[0K\x1b[36;1mExecuting\x1b[0;m')).toBe('Executing');
    expect(cleanLine('\x1b[01m\x1b[Kmm/a.c:1:2:\x1b[m\x1b[K \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[Kx')).toBe('mm/a.c:1:2: error: x');
  });
});
