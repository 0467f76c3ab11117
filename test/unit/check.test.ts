import { describe, expect, it } from 'vitest';
import { checkExitCode, checkPatch, checkSeries, inTouchedLines, parseHunks, type PatchInput } from '../../src/compare/check.js';
import type { ComparableBuild } from '../../src/compare/diff.js';
import { checkJson, renderCheckMarkdown, renderCheckText } from '../../src/report/check-report.js';
import type { BuildStatus, Diagnostic } from '../../src/types.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';

const TC = 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0';
const CELLS = ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP'];
const V7WBI: Diagnostic = v7wbiDiagnostic({ fingerprint: 'modpost-undefined:v7wbi' });
const warn = (file: string, line: number, fp: string): Diagnostic => ({
  kind: 'compile-warning',
  severity: 'warning',
  file,
  line,
  column: 5,
  symbol: null,
  module: null,
  message: `unused variable '${fp}'`,
  fingerprint: `w:${fp}`,
});
const OLDERR: Diagnostic = { ...warn('drivers/block/zram/zram_drv.c', 10, 'x'), kind: 'compile-error', severity: 'error', message: "'same_pages' undeclared", fingerprint: 'e:same' };

function b(cell: string, sha: string, status: BuildStatus, diagnostics: Diagnostic[] = []): ComparableBuild {
  return { cell, commitSha: sha, status, configHash: `h-${cell}`, toolchain: TC, runtime: 'host', image: null, diagnostics };
}
const all = (sha: string, f: (c: string) => [BuildStatus, Diagnostic[]]) => CELLS.map((c) => b(c, sha, ...f(c)));

const DIFF = `diff --git a/mm/zsmalloc.c b/mm/zsmalloc.c
index 1111111..2222222 100644
--- a/mm/zsmalloc.c
+++ b/mm/zsmalloc.c
@@ -10,0 +11,3 @@ static int x;
+a
+b
+c
@@ -40 +43 @@ foo
-old
+new
@@ -50,2 +52,0 @@ bar
-gone
-gone
diff --git a/old.c b/old.c
deleted file mode 100644
--- a/old.c
+++ /dev/null
@@ -1,2 +0,0 @@
-x
-y
diff --git a/new.h b/new.h
new file mode 100644
--- /dev/null
+++ b/new.h
@@ -0,0 +1 @@
+#define X 1
`;

describe('parseHunks / inTouchedLines', () => {
  it('new-side added ranges per file; pure deletions and deleted files add nothing', () => {
    const t = parseHunks(DIFF);
    expect([...t]).toEqual([
      ['mm/zsmalloc.c', [[11, 13], [43, 43]]],
      ['new.h', [[1, 1]]],
    ]);
    expect(inTouchedLines(t, { file: 'mm/zsmalloc.c', line: 13 })).toBe(true);
    expect(inTouchedLines(t, { file: 'mm/zsmalloc.c', line: 14 })).toBe(false);
    expect(inTouchedLines(t, { file: 'mm/zsmalloc.c', line: 52 })).toBe(false);
    expect(inTouchedLines(t, { file: 'mm/zsmalloc.c', line: null })).toBe(false);
    expect(inTouchedLines(t, { file: 'other.c', line: 11 })).toBe(false);
  });
});

describe('checkPatch: introduced vs pre-existing vs fixed', () => {
  const touched = parseHunks(DIFF);
  const pre = warn('mm/zsmalloc.c', 12, 'pre'); // pre-existing, but on a touched line
  const parent = all('p', () => ['FAIL', [pre, OLDERR]]);
  const patch = all('s', (c) => (c === 'virt-v7/UP-on-SMP' ? ['PASS', [pre]] : ['FAIL', [pre, V7WBI, warn('mm/zsmalloc.c', 43, 'new')]]));
  const input: PatchInput = { sha: 's', parent: 'p', subject: 'zsmalloc: add page table mapping method', builds: patch, parentBuilds: parent, touched };
  const r = checkPatch(input, CELLS);

  it('new diagnostics once with their cells, errors first; touched-line warnings flagged', () => {
    expect(r.new.map((x) => [x.diagnostic.fingerprint, x.cells, x.touched])).toEqual([
      ['modpost-undefined:v7wbi', ['virt-v7/UP', 'virt-v7/SMP'], false],
      ['w:new', ['virt-v7/UP', 'virt-v7/SMP'], true],
    ]);
    expect(r.preexisting.map((x) => [x.diagnostic.fingerprint, x.cells.length, x.touched])).toEqual([['w:pre', 3, true]]);
  });
  it('errors gone at the patch are credited as fixed (warnings are not)', () => {
    expect(r.fixed.map((x) => [x.diagnostic.fingerprint, x.cells])).toEqual([['e:same', CELLS]]);
  });
  it('ERROR and missing builds are set aside, not counted as new', () => {
    const infraErr: Diagnostic = { ...V7WBI, kind: 'toolchain-missing', fingerprint: 'infra', message: 'arm-linux-gnueabi-gcc: not found' };
    const q = checkPatch({ ...input, builds: [b('virt-v7/UP', 's', 'ERROR', [infraErr]), patch[1]!] }, CELLS);
    expect(q.infra.map((x) => x.cell)).toEqual(['virt-v7/UP', 'virt-v7/UP-on-SMP']);
    expect(q.new[0]!.cells).toEqual(['virt-v7/SMP']);
    expect(checkExitCode(checkSeries('p', [{ ...input, builds: [b('virt-v7/UP', 's', 'ERROR', [infraErr])], parentBuilds: all('p', () => ['PASS', []]) }], { order: CELLS }))).toBe(3);
  });
});

describe('rendering', () => {
  const clean = all('a', () => ['PASS', []]);
  const cleanSeries = checkSeries(
    'base0000000000',
    [
      { sha: 'a'.repeat(40), parent: 'base0000000000', subject: 'zram: one', builds: clean, parentBuilds: clean, touched: new Map() },
      { sha: 'b'.repeat(40), parent: 'a'.repeat(40), subject: 'zram: two', builds: clean, parentBuilds: clean, touched: new Map() },
    ],
    { order: CELLS, arch: 'arm' },
  );
  const failing = all('c', (c) => (c === 'virt-v7/UP-on-SMP' ? ['PASS', []] : ['FAIL', [V7WBI]]));
  const bad = checkSeries(
    'base0000000000',
    [
      { sha: 'a'.repeat(40), parent: 'base0000000000', subject: 'zram: one', builds: clean, parentBuilds: clean, touched: new Map() },
      { sha: 'c'.repeat(40), parent: 'a'.repeat(40), subject: 'zsmalloc: add page table mapping method', builds: failing, parentBuilds: clean, touched: new Map() },
    ],
    { order: CELLS, arch: 'arm' },
  );

  it('clean series: one paste-ready line, exit 0', () => {
    expect(checkExitCode(cleanSeries)).toBe(0);
    expect(renderCheckMarkdown(cleanSeries)).toBe(`Build-tested on ARM (${TC}): UP, SMP, UP-on-SMP — no new errors at any of the 2 patches.\n`);
    expect(renderCheckText(cleanSeries)).toContain('no new errors');
  });
  it('new error: >> line with cells, patch number, reproducer; exit 1', () => {
    expect(checkExitCode(bad)).toBe(1);
    const md = renderCheckMarkdown(bad, { ['c'.repeat(40)]: { 'virt-v7/UP': 'make ARCH=arm allnoconfig\n' } });
    expect(md).toContain('— **new errors** in 1 of 2 patch(es):');
    expect(md).toContain('**[2/2] zsmalloc: add page table mapping method** (cccccccccccc)');
    expect(md).toContain('>> modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — UP, SMP\n');
    expect(md).toContain('Reproducer (UP):\n\n```sh\nmake ARCH=arm allnoconfig\n```');
    expect(md).not.toContain('[1/2]');
    const text = renderCheckText(bad);
    expect(text).toContain('[2/2] cccccccccccc zsmalloc: add page table mapping method\n      UP FAIL  SMP FAIL  UP-on-SMP PASS — 1 new error(s)');
    expect(text).toContain('  >> modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — UP, SMP');
  });
  it('JSON: base, patches with new (diagnostic + cells) and fixed', () => {
    const j = JSON.parse(JSON.stringify(checkJson(bad))) as { base: string; exitCode: number; patches: { sha: string; subject: string; new: (Diagnostic & { cells: string[] })[]; fixed: unknown[] }[] };
    expect(j.base).toBe('base0000000000');
    expect(j.exitCode).toBe(1);
    expect(j.patches.map((p) => [p.sha[0], p.new.length, p.fixed.length])).toEqual([['a', 0, 0], ['c', 1, 0]]);
    expect(j.patches[1]!.new[0]).toMatchObject({ symbol: 'v7wbi_flush_kern_tlb_range', kind: 'modpost-undefined', cells: ['virt-v7/UP', 'virt-v7/SMP'] });
  });
});
