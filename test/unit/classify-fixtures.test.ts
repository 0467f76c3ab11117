import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/types.js';
import { buildStatus, LogClassifier } from '../../src/classify/index.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';
import { fixtureLog } from '../helpers/logs.js';

/**
 * Issue #12: real logs made on this machine (each fixture's header says how), with exact fields,
 * and each of them again as a GitHub Actions log, a GitLab trace, a kernel test robot report and a
 * wrapper's CRLF log (prefixed/, made by make-variants.mjs): same diagnostics, every field.
 */
type Fields = Omit<Diagnostic, 'fingerprint'>;
const none = { file: null, line: null, column: null, symbol: null, module: null };
const fields = (ds: readonly Diagnostic[]): Fields[] => ds.map(({ fingerprint: _f, ...rest }) => rest);
const STYLES = ['github', 'gitlab', 'robot', 'wrapper'] as const;
/** What the original line of a diagnostic still carries in each style. */
const ORIGINAL: Record<(typeof STYLES)[number], RegExp> = {
  github: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z \S/,
  gitlab: /\S/,
  robot: /^(?:>> |   )\S/,
  wrapper: /^pkgbuild: \S.*\r$/,
};
const classify = (text: string) => {
  const c = new LogClassifier();
  for (const l of text.split('\n')) c.push(l);
  return c.finishLocated();
};

const clangWarning: Fields = {
  ...none,
  kind: 'compile-warning',
  severity: 'warning',
  message: "argument unused during compilation: '-march=armv7-a' [-Wunused-command-line-argument]",
};
const [seed] = fields([v7wbiDiagnostic({ message: '"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!' })]) as [Fields];

/** The three distinct complaints of GNU as in gas-march.log (the same instruction with other operands is the same error). */
function gas(file: string): Fields[] {
  return ['cpsid i', 'ldrex r2,[r3]', 'strex r1,r2,[r3]'].map((insn) => ({
    ...none,
    kind: 'assembler',
    severity: 'error',
    file,
    message: `selected processor does not support \`${insn}' in ARM mode`,
  }));
}

/** modpost's ten undefined symbols of mm/zsmalloc.ko and its count of the two more it did not print. */
function suppressed(severity: 'error' | 'warning'): Fields[] {
  const syms = Array.from({ length: 10 }, (_, i) => `kmx_undef_${String(i + 1).padStart(2, '0')}`);
  return [
    ...syms.map((symbol): Fields => ({ ...none, kind: 'modpost-undefined', severity, symbol, module: 'mm/zsmalloc.ko', message: `"${symbol}" [mm/zsmalloc.ko] undefined!` })),
    { ...none, kind: 'modpost-undefined', severity: 'warning', message: 'suppressed 2 unresolved symbol warnings because there were too many)' },
  ];
}

/** Expected diagnostics and status (with make's exit code from the header) of every real fixture of issue #12. */
const CASES: Record<string, { exit: number; status: string; want: Fields[] }> = {
  'clang-seed-up.log': { exit: 2, status: 'FAIL', want: [clangWarning, seed] },
  'clang-clean-up.log': { exit: 0, status: 'PASS', want: [clangWarning] },
  'clang-lld-undefined.log': {
    exit: 2,
    status: 'FAIL',
    want: [
      { ...none, kind: 'link-undefined', severity: 'error', file: 'mm/util.c', symbol: 'kmx_missing_a', message: 'undefined symbol: kmx_missing_a (referenced in kmx_ref_one, kmx_ref_two)' },
      { ...none, kind: 'link-undefined', severity: 'error', file: 'mm/util.c', symbol: 'kmx_missing_b', message: 'undefined symbol: kmx_missing_b (referenced in kmx_ref_two)' },
    ],
  },
  'clang-werror-note.log': {
    exit: 2,
    status: 'FAIL',
    want: [
      { ...none, kind: 'compile-error', severity: 'error', file: 'mm/zsmalloc.c', line: 2381, column: 16, message: "incompatible integer to pointer conversion passing 'int' to parameter of type 'int *' [-Werror,-Wint-conversion]" },
      { ...none, kind: 'compile-error', severity: 'error', file: 'mm/zsmalloc.c', line: 2380, column: 6, message: "unused variable 'kmx_unused' [-Werror,-Wunused-variable]" },
    ],
  },
  'gnu-ld-undefined.log': {
    exit: 2,
    status: 'FAIL',
    want: [
      { ...none, kind: 'link-undefined', severity: 'error', file: 'mm/util.c', symbol: 'kmx_missing_a', message: "undefined reference to `kmx_missing_a' (referenced in kmx_ref_one, kmx_ref_two)" },
      { ...none, kind: 'link-undefined', severity: 'error', file: 'mm/util.c', symbol: 'kmx_missing_b', message: "undefined reference to `kmx_missing_b' (referenced in kmx_ref_two)" },
    ],
  },
  'gas-march.log': {
    exit: 2,
    status: 'FAIL',
    want: gas('mm/zsmalloc.o'),
  },
  'modpost-suppressed.log': { exit: 2, status: 'FAIL', want: suppressed('error') },
  'modpost-suppressed-warn.log': { exit: 0, status: 'PASS', want: suppressed('warning') },
  'modpost-fatal.log': {
    exit: 2,
    status: 'FAIL',
    want: [
      { ...none, kind: 'modpost-other', severity: 'error', module: 'drivers/block/zram/zram.ko', message: 'drivers/block/zram/zram: struct of_device_id is not terminated with a NULL entry!' },
    ],
  },
  'objtool-warning-pahole.log': {
    exit: 2,
    status: 'ERROR',
    want: [
      { ...none, kind: 'objtool', severity: 'warning', file: 'arch/x86/kernel/setup.o', symbol: 'kmx_objtool_bad', message: 'kmx_objtool_bad+0x1: return with modified stack frame' },
      { ...none, kind: 'toolchain-missing', severity: 'error', symbol: 'pahole', message: 'pahole (pahole) is not available' },
    ],
  },
  'objtool-error.log': {
    exit: 2,
    status: 'FAIL',
    want: [{ ...none, kind: 'objtool', severity: 'error', file: 'arch/x86/kernel/setup.o', message: '--unret requires --link' }],
  },
  // Made before issue #12 (see README.md): make fails and nothing else explains it.
  'make-error-no-rule.log': {
    exit: 2,
    status: 'FAIL',
    want: [{ ...none, kind: 'make-error', severity: 'error', file: 'mm/kmx_nothing.o', message: "*** No rule to make target 'mm/kmx_nothing.o'." }],
  },
};

describe.each(Object.entries(CASES))('%s', (name, c) => {
  it('exact fields and status', () => {
    const got = classify(fixtureLog(name));
    expect(fields(got.map((l) => l.diagnostic))).toEqual(c.want);
    expect(buildStatus({ diagnostics: got.map((l) => l.diagnostic), exitCode: c.exit, missingArtifacts: [] })).toBe(c.status);
  });
  it.each(STYLES)('%s variant: the same diagnostics; excerpts keep the original line', (style) => {
    const log = fixtureLog(`prefixed/${name.replace(/\.log$/, `.${style}.log`)}`);
    const got = classify(log);
    expect(fields(got.map((l) => l.diagnostic))).toEqual(c.want);
    const lines = log.split('\n');
    for (const l of got) {
      expect(lines[l.logLine - 1]).toBe(l.original);
      if (l.logLine > lines.length) continue; // a unit's end-of-log summary
      expect(l.original).toMatch(ORIGINAL[style]);
    }
  });
});

it('every real fixture of issue #12 has a test above and four prefixed variants', () => {
  const dir = join(import.meta.dirname, '../fixtures/logs');
  const variants = readdirSync(join(dir, 'prefixed'));
  for (const name of Object.keys(CASES)) {
    for (const s of STYLES) expect(variants).toContain(name.replace(/\.log$/, `.${s}.log`));
  }
});
