import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_KINDS, type Diagnostic } from '../../src/types.js';
import { INFRA_KINDS, KIND_INFO, KIND_STAGE, KIND_UNITS } from '../../src/classify/index.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';
import { escapeData, escapeProperty, renderGithubAnnotations } from '../../src/report/github.js';

describe('kinds describe themselves (issue #10 item 6)', () => {
  it('every diagnostic kind has exactly one declaration: a classify unit or one of the two other stages', () => {
    expect([...KIND_INFO.keys()].sort()).toEqual([...DIAGNOSTIC_KINDS].sort());
    expect(new Set(KIND_UNITS.map((u) => u.kind)).size).toBe(KIND_UNITS.length);
  });
  it('INFRA_KINDS and KIND_STAGE are what the units declare', () => {
    expect([...INFRA_KINDS].sort()).toEqual(['infra', 'killed', 'toolchain-missing']);
    expect(KIND_STAGE).toEqual({
      'kconfig-unmet': 0,
      'compile-error': 1,
      'compile-warning': 1,
      'compiler-crash': 1,
      assembler: 1,
      objtool: 1,
      'link-undefined': 2,
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
