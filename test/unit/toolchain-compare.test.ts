import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSeries, type PatchInput } from '../../src/compare/check.js';
import { diffBuilds, diffCell, diffExitCode, type ComparableBuild } from '../../src/compare/diff.js';
import { cellToolchains, compareToolchainCell, compareToolchains, sameProblem, splitCellName, toolchainExitCode } from '../../src/compare/toolchains.js';
import { buildDirName } from '../../src/workspace/paths.js';
import { diffCommand, toolchainCells, toolchainPair } from '../../src/cli/diff.js';
import { InputError } from '../../src/errors.js';
import { loadMatrix, type Cell } from '../../src/matrix/load.js';
import type { Toolchain } from '../../src/matrix/toolchain.js';
import { checkJson, renderCheckMarkdown, renderCheckText } from '../../src/report/check-report.js';
import { historyGrid, historyJson, renderHistoryText, toolchainAxis, type HistoryBuild } from '../../src/report/grid.js';
import { renderHistoryHtml } from '../../src/report/html.js';
import { renderToolchainsText, toolchainsJson } from '../../src/report/toolchains-text.js';
import type { Runtime, ToolchainIdentity } from '../../src/runtime/runtime.js';
import type { BuildStatus, Diagnostic } from '../../src/types.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { fakeRuntime, fakeTree } from '../helpers/fake-tree.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';
import { ROOT } from '../helpers/replay.js';

/** Synthetic builds of cells named `<config>/<variant>@<toolchain>` with each toolchain's own identity line. */
const GCC = 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0';
const CLANG = 'Debian clang version 14.0.6 / LLD 14.0.6';
const V7WBI = v7wbiDiagnostic();
const ZRAM_GCC: Diagnostic = {
  kind: 'compile-error',
  severity: 'error',
  file: 'drivers/block/zram/zram_drv.c',
  line: 1223,
  column: 38,
  symbol: null,
  module: null,
  message: "'struct zram_stats' has no member named 'same_pages'; did you mean 'same_filled_pages'?",
  fingerprint: 'fp-zram-gcc',
};
const ZRAM_CLANG: Diagnostic = { ...ZRAM_GCC, column: 40, message: "no member named 'same_pages' in 'struct zram_stats'; did you mean 'same_filled_pages'?", fingerprint: 'fp-zram-clang' };
const CLANG_ONLY: Diagnostic = { ...ZRAM_GCC, file: 'mm/zsmalloc.c', line: 77, message: "variable 'x' is uninitialized when used here [-Werror,-Wuninitialized]", fingerprint: 'fp-uninit' };
const WARN_CLANG: Diagnostic = { ...CLANG_ONLY, severity: 'warning', kind: 'compile-warning', line: 12, message: 'unused function [-Wunused-function]', fingerprint: 'fp-w' };
const INFRA: Diagnostic = { ...V7WBI, kind: 'infra', symbol: null, module: null, message: 'disk full: No space left on device', fingerprint: 'fp-infra' };

function b(cell: string, status: BuildStatus, diagnostics: Diagnostic[] = [], sha = 'c'.repeat(40)): ComparableBuild {
  const tc = splitCellName(cell).toolchain === 'clang' ? CLANG : GCC;
  return { cell, commitSha: sha, status, configHash: `h-${cell}`, toolchain: tc, runtime: 'podman', image: 'sha256:img', diagnostics };
}

describe('cell names with a toolchain', () => {
  it('splits <config>/<variant>@<toolchain>; a name without @ has no toolchain', () => {
    expect(splitCellName('virt-v7/UP-on-SMP@clang')).toEqual({ base: 'virt-v7/UP-on-SMP', toolchain: 'clang' });
    expect(splitCellName('virt-v7/UP')).toEqual({ base: 'virt-v7/UP', toolchain: null });
    expect(cellToolchains(['a/UP@gcc', 'a/SMP@gcc', 'a/UP@clang'])).toEqual(['gcc', 'clang']);
    expect(cellToolchains(['a/UP', 'a/SMP'])).toEqual([]);
  });
});

describe('commit-to-commit diff never pairs gcc with clang', () => {
  it('pairs each cell with the same cell (same toolchain) at the other commit: a clang FAIL is no gcc regression', () => {
    const from = [b('virt-v7/UP@gcc', 'PASS', [], 'a'.repeat(40)), b('virt-v7/UP@clang', 'FAIL', [V7WBI], 'a'.repeat(40))];
    const to = [b('virt-v7/UP@gcc', 'PASS'), b('virt-v7/UP@clang', 'FAIL', [V7WBI])];
    const d = diffBuilds(from, to, { order: ['virt-v7/UP@gcc', 'virt-v7/UP@clang'] });
    expect(d.cells.map((c) => [c.cell, c.from, c.to, c.transition])).toEqual([
      ['virt-v7/UP@gcc', 'PASS', 'PASS', 'still-passing'],
      ['virt-v7/UP@clang', 'FAIL', 'FAIL', 'still-failing'],
    ]);
    expect(diffExitCode(d)).toBe(0);
  });

  it('a clang cell with no clang build on the old side is no-baseline (unknown, exit 3), even when gcc passed there', () => {
    const from = [b('virt-v7/UP@gcc', 'PASS', [], 'a'.repeat(40))];
    const to = [b('virt-v7/UP@gcc', 'PASS'), b('virt-v7/UP@clang', 'FAIL', [V7WBI])];
    const d = diffBuilds(from, to, { order: ['virt-v7/UP@gcc', 'virt-v7/UP@clang'] });
    expect(d.cells[1]).toMatchObject({ cell: 'virt-v7/UP@clang', from: null, to: 'FAIL', transition: 'not-comparable', reason: 'no-baseline' });
    expect(diffExitCode(d)).toBe(3);
  });

  it('a gcc PASS and a clang FAIL under one cell name (the matrix changed its toolchain) is not-comparable (toolchain), never a regression', () => {
    const gccBuild = b('virt-v7/UP', 'PASS');
    const clangBuild = { ...b('virt-v7/UP', 'FAIL', [V7WBI]), toolchain: CLANG };
    const c = diffCell('virt-v7/UP', gccBuild, clangBuild);
    expect(c).toMatchObject({ transition: 'not-comparable', reason: 'toolchain' });
    expect(c.detail).toContain(CLANG);
    expect(diffExitCode({ cells: [c] })).toBe(3);
  });
});

describe('compareToolchains: two toolchains of one commit side by side', () => {
  const bases = ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP', 'other/UP', 'gone/UP', 'broken/UP'];
  const builds = [
    b('virt-v7/UP@gcc', 'FAIL', [V7WBI]),
    b('virt-v7/UP@clang', 'FAIL', [{ ...V7WBI, fingerprint: 'fp-v7wbi-clang' }, WARN_CLANG]),
    b('virt-v7/SMP@gcc', 'PASS'),
    b('virt-v7/SMP@clang', 'FAIL', [CLANG_ONLY]),
    b('virt-v7/UP-on-SMP@gcc', 'PASS'),
    b('virt-v7/UP-on-SMP@clang', 'PASS'),
    b('other/UP@gcc', 'FAIL', [ZRAM_GCC]),
    b('other/UP@clang', 'FAIL', [ZRAM_CLANG, CLANG_ONLY]),
    b('gone/UP@gcc', 'PASS'),
    b('broken/UP@gcc', 'FAIL', [V7WBI]),
    b('broken/UP@clang', 'ERROR', [INFRA]),
    b('virt-v7/UP@gcc', 'PASS', [], 'a'.repeat(40)), // another commit: never used
  ];
  const r = compareToolchains('c'.repeat(40), ['gcc', 'clang'], bases, builds);

  it('same / fails only with one / both fail (same or other errors) / unknown (not built, ERROR)', () => {
    expect(r.cells.map((c) => [c.cell, c.a.status, c.b.status, c.verdict, c.failsOnlyWith, c.errorsDiffer, c.reason])).toEqual([
      ['virt-v7/UP', 'FAIL', 'FAIL', 'same-fail', null, false, null],
      ['virt-v7/SMP', 'PASS', 'FAIL', 'only-one-fails', 'clang', false, null],
      ['virt-v7/UP-on-SMP', 'PASS', 'PASS', 'same-pass', null, false, null],
      ['other/UP', 'FAIL', 'FAIL', 'same-fail', null, true, null],
      ['gone/UP', 'PASS', null, 'unknown', null, false, 'not-built'],
      ['broken/UP', 'FAIL', 'ERROR', 'unknown', null, false, 'error'],
    ]);
    expect(r.cells[0]!.a).toEqual({ toolchain: 'gcc', cell: 'virt-v7/UP@gcc', status: 'FAIL', identity: GCC });
    expect(r.cells[0]!.b.identity).toBe(CLANG);
    // The same modpost symbol is the same problem whatever its fingerprint; only the warning is clang's own.
    expect(r.cells[0]!.onlyB).toEqual([WARN_CLANG]);
    expect(r.cells[1]!.onlyB).toEqual([CLANG_ONLY]);
    // Both compilers word the zram error differently at the same file:line: common; the extra clang error differs.
    expect(r.cells[3]!.common).toEqual([ZRAM_GCC]);
    expect(r.cells[3]!.onlyB).toEqual([CLANG_ONLY]);
    expect(r.cells[4]!.detail).toBe('not built with clang');
    expect(r.cells[5]!.detail).toBe('ERROR with clang (disk full: No space left on device)');
  });

  it('sameProblem: fingerprint, symbol + module, or kind at file:line; never a different symbol or kind', () => {
    expect(sameProblem(V7WBI, { ...V7WBI, fingerprint: 'other' })).toBe(true);
    expect(sameProblem(V7WBI, { ...V7WBI, fingerprint: 'other', symbol: 'flush_tlb_kernel_range' })).toBe(false);
    expect(sameProblem(ZRAM_GCC, ZRAM_CLANG)).toBe(true);
    expect(sameProblem(ZRAM_GCC, { ...ZRAM_CLANG, line: 1224 })).toBe(false);
    expect(sameProblem(ZRAM_GCC, { ...ZRAM_CLANG, kind: 'compile-warning' })).toBe(false);
  });

  it('exit code: 1 when a cell fails with one toolchain only, else 3 when a cell is unknown, else 0 (never 0 with an uncompared cell)', () => {
    expect(toolchainExitCode(r)).toBe(1);
    const noOneSided = { cells: r.cells.filter((c) => c.verdict !== 'only-one-fails') };
    expect(toolchainExitCode(noOneSided)).toBe(3);
    expect(toolchainExitCode({ cells: r.cells.filter((c) => c.verdict.startsWith('same')) })).toBe(0);
    const errBoth = compareToolchainCell('x', { toolchain: 'gcc', cell: 'x@gcc', build: b('x@gcc', 'ERROR', [INFRA]) }, { toolchain: 'clang', cell: 'x@clang', build: b('x@clang', 'PASS') });
    expect(toolchainExitCode({ cells: [errBoth] })).toBe(3);
    expect(toolchainExitCode({ cells: [] })).toBe(0);
  });

  it('text: a row per cell with both statuses and the verdict, the differing errors, a summary, the identities', () => {
    const text = renderToolchainsText(r, 'zsmalloc: add page table mapping method');
    const lines = text.split('\n');
    expect(lines[0]).toBe(`toolchains gcc vs clang at cccccccccccc (zsmalloc: add page table mapping method)`);
    expect(lines.slice(2, 9)).toEqual([
      'cell               gcc    clang  verdict',
      'virt-v7/UP         FAIL   FAIL   same (both fail)',
      'virt-v7/SMP        PASS   FAIL   fails only with clang',
      'virt-v7/UP-on-SMP  PASS   PASS   same (both pass)',
      'other/UP           FAIL   FAIL   both fail, with different errors',
      'gone/UP            PASS   -      unknown (not built with clang)',
      'broken/UP          FAIL   ERROR  unknown (ERROR with clang (disk full: No space left on device))',
    ]);
    expect(text).toContain(
      "\nvirt-v7/SMP: fails only with clang\n  only with clang: compile-error: mm/zsmalloc.c:77: variable 'x' is uninitialized when used here [-Werror,-Wuninitialized]\n",
    );
    expect(text).toContain("  with both:       compile-error: drivers/block/zram/zram_drv.c:1223: 'struct zram_stats' has no member named");
    expect(text).toContain('\nvirt-v7/UP: same (both fail)\n  warnings only with gcc: 0, only with clang: 1\n');
    expect(text).toContain('0 cell(s) fail only with gcc, 1 only with clang, 2 fail with both, 1 pass with both, 2 unknown\n');
    expect(text).toContain('not compared (never all clear) for: gone/UP (not-built), broken/UP (error)\n');
    expect(text).toContain(`toolchains: gcc = ${GCC}; clang = ${CLANG}\n`);
  });

  it('JSON: verdict, failsOnlyWith, both sides, the differing diagnostics and the exit code', () => {
    const j = JSON.parse(JSON.stringify(toolchainsJson(r, { subject: 's' }))) as {
      sha: string;
      toolchains: string[];
      exitCode: number;
      summary: { failsOnlyWith: Record<string, number>; unknown: number };
      cells: { cell: string; verdict: string; failsOnlyWith: string | null; sides: { cell: string; status: string | null }[]; only: Record<string, Diagnostic[]> }[];
    };
    expect(j).toMatchObject({ sha: 'c'.repeat(40), subject: 's', toolchains: ['gcc', 'clang'], exitCode: 1, summary: { failsOnlyWith: { gcc: 0, clang: 1 }, unknown: 2 } });
    expect(j.cells[1]).toMatchObject({ cell: 'virt-v7/SMP', verdict: 'only-one-fails', failsOnlyWith: 'clang' });
    expect(j.cells[1]!.sides.map((s) => [s.cell, s.status])).toEqual([['virt-v7/SMP@gcc', 'PASS'], ['virt-v7/SMP@clang', 'FAIL']]);
    expect(j.cells[1]!.only['clang']!.map((d) => d.fingerprint)).toEqual(['fp-uninit']);
  });
});

/** Cells of the default matrix, each once per toolchain, named as a multi-toolchain matrix names them. */
function twoToolchainCells(): Cell[] {
  const clang: Toolchain = { name: 'clang', family: 'llvm', make: { LLVM: '1' }, image: null, version: null };
  const m = loadMatrix(join(ROOT, 'matrix/zsmalloc-arm.yaml'));
  return m.cells.flatMap((c) => [
    { ...c, name: `${c.name}@gcc` },
    { ...c, name: `${c.name}@clang`, toolchain: clang, hash: `${c.hash}-clang` },
  ]);
}

describe('diff --toolchains: flags and cell pairs', () => {
  it('takes two different toolchains of the matrix; anything else is a usage error naming the flag', () => {
    expect(toolchainPair('gcc, clang', ['gcc', 'clang'])).toEqual(['gcc', 'clang']);
    expect(toolchainPair('clang,gcc', ['gcc', 'clang'])).toEqual(['clang', 'gcc']);
    const bad: [string, string[], RegExp][] = [
      ['gcc', ['gcc', 'clang'], /--toolchains: expects two different toolchain names/],
      ['gcc,gcc', ['gcc', 'clang'], /expects two different/],
      ['gcc,clang,x', ['gcc', 'clang'], /expects two different/],
      ['gcc,icc', ['gcc', 'clang'], /unknown toolchain 'icc' \(the matrix has: gcc, clang\)/],
      ['gcc,clang', ['gcc'], /the matrix has one toolchain \(gcc\)/],
    ];
    for (const [v, known, msg] of bad) {
      expect(() => toolchainPair(v, known)).toThrow(InputError);
      expect(() => toolchainPair(v, known)).toThrow(msg);
    }
  });

  it('pairs <base>@X with <base>@Y in matrix order; --cells keeps a pair when it matches the base or either name', () => {
    const cells = twoToolchainCells();
    const all = toolchainCells(cells, ['gcc', 'clang']);
    expect(all.bases).toEqual(['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP']);
    expect(all.cells.map((c) => c.name)).toEqual([
      'virt-v7/UP@gcc', 'virt-v7/UP@clang', 'virt-v7/SMP@gcc', 'virt-v7/SMP@clang', 'virt-v7/UP-on-SMP@gcc', 'virt-v7/UP-on-SMP@clang',
    ]);
    expect(toolchainCells(cells, ['clang', 'gcc'], 'virt-v7/UP').cells.map((c) => c.name)).toEqual(['virt-v7/UP@clang', 'virt-v7/UP@gcc']);
    expect(toolchainCells(cells, ['gcc', 'clang'], '*@clang').bases).toEqual(all.bases);
    expect(toolchainCells(cells, ['gcc', 'clang'], 'virt-v7/SMP@gcc').bases).toEqual(['virt-v7/SMP']);
    // A cell the matrix builds with one of the two only is not a pair.
    const gccOnly = cells.filter((c) => c.name !== 'virt-v7/SMP@clang');
    expect(toolchainCells(gccOnly, ['gcc', 'clang']).bases).toEqual(['virt-v7/UP', 'virt-v7/UP-on-SMP']);
    expect(() => toolchainCells(cells, ['gcc', 'clang'], 'nope/*')).toThrow(/--cells: no cell is built with both gcc and clang among 'nope\/\*'/);
  });

  it('through the CLI: a one-toolchain matrix, a second commit, a missing commit are exit 2 with nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-tc-'));
    const db = join(dir, 'k.db');
    const cases: [string[], RegExp][] = [
      [['diff', '--toolchains', 'gcc,clang', 'HEAD', '--db', db], /--toolchains: the matrix has one toolchain \(gcc\)/],
      [['diff', '--toolchains', 'gcc,clang', 'HEAD~1', 'HEAD', '--db', db], /--toolchains: compares the toolchains of one commit; got two/],
      [['diff', 'HEAD', '--db', db], /diff takes two commits A B \(or --toolchains X,Y REV/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCliInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(db)).toBe(false);
  });
});

describe('report grid and HTML with a toolchain axis', () => {
  const shas = ['c'.repeat(40), 'e305d704e5d7'.padEnd(40, '0'), 'a'.repeat(40)];
  const commits = [
    { sha: shas[0]!, subject: 'MAINTAINERS: add zram documentation file to ZSMALLOC entry', label: 'tip' },
    { sha: shas[1]!, subject: 'zsmalloc: add page table mapping method', label: 'pgtable-mapping' },
    { sha: shas[2]!, subject: 'baseline', label: 'baseline' },
  ];
  const cells = ['virt-v7/UP@gcc', 'virt-v7/SMP@gcc', 'virt-v7/UP-on-SMP@gcc', 'virt-v7/UP@clang', 'virt-v7/SMP@clang', 'virt-v7/UP-on-SMP@clang'];
  const hb = (sha: string, cell: string, status: BuildStatus, diagnostics: Diagnostic[] = []): HistoryBuild => ({
    commitSha: sha,
    cell,
    status,
    diagnostics,
    seconds: 9,
    toolchain: splitCellName(cell).toolchain === 'clang' ? CLANG : GCC,
    runtime: 'podman',
  });
  const builds: HistoryBuild[] = [];
  for (const c of cells) builds.push(hb(shas[2]!, c, 'PASS'));
  for (const c of cells) {
    const pass = c.startsWith('virt-v7/UP-on-SMP') || c === 'virt-v7/SMP@clang';
    builds.push(hb(shas[1]!, c, pass ? 'PASS' : 'FAIL', pass ? [] : [V7WBI]));
  }
  for (const c of cells.slice(0, 5)) builds.push(hb(shas[0]!, c, 'PASS'));
  const grid = historyGrid(commits, cells, builds, { title: 'replay gcc + clang', generatedAt: 'now' });

  it('axis: toolchains and base cells in first-seen order, the column of each pair', () => {
    const axis = toolchainAxis(cells)!;
    expect(axis.toolchains).toEqual(['gcc', 'clang']);
    expect(axis.bases).toEqual(['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP']);
    expect(axis.column('virt-v7/SMP', 'clang')).toBe(4);
    expect(axis.column('virt-v7/SMP', 'icc')).toBe(-1);
    expect(toolchainAxis(['virt-v7/UP', 'virt-v7/SMP'])).toBeNull();
    expect(toolchainAxis(['virt-v7/UP@gcc'])).toBeNull();
  });

  it('text: a sub-row per toolchain under each commit, a column per cell, first-failing per toolchain, fits in 80 columns', () => {
    const text = renderHistoryText(grid, { reproducers: false });
    const lines = text.split('\n');
    const gridLines = lines.slice(0, 2 + 3 * 2);
    for (const l of gridLines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^commit \(newest first\)\s+toolchain\s+UP\s+SMP\s+UP-on-SMP$/);
    expect(lines[2]).toMatch(/^cccccccccccc \[tip\] MAINTAINERS: add zram.*…\s+gcc\s+PASS\s+PASS\s+PASS$/);
    expect(lines[3]).toMatch(/^\s+clang\s+PASS\s+PASS\s+·$/);
    expect(lines[4]).toMatch(/^e305d704e5d7 \[pgtable-mapping\] zsmalloc: ad…\s+gcc\s+FAIL\*\s+FAIL\*\s+PASS$/);
    expect(lines[5]).toMatch(/^\s+clang\s+FAIL\*\s+PASS\s+PASS$/);
    expect(lines[6]).toMatch(/^aaaaaaaaaaaa \[baseline\] baseline\s+gcc\s+PASS\s+PASS\s+PASS$/);
    expect(text).toContain('toolchains (a row each per commit; a column per cell, its name without @toolchain):\n');
    expect(text).toContain(`\n  gcc    ${GCC}\n  clang  ${CLANG}\n`);
    expect(text).toContain('modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — UP@gcc, SMP@gcc, UP@clang @ e305d704e5d7');
    const j = historyJson(grid) as { toolchains: string[]; grid: { cell: string; toolchain: string | null }[] };
    expect(j.toolchains).toEqual(['gcc', 'clang']);
    expect(j.grid.find((x) => x.cell === 'virt-v7/SMP@clang')!.toolchain).toBe('clang');
  });

  it('text: a one-toolchain grid keeps its layout (a column per cell, no toolchain rows)', () => {
    const one = historyGrid(commits, ['virt-v7/UP'], [{ ...hb(shas[0]!, 'virt-v7/UP', 'PASS') }]);
    const text = renderHistoryText(one);
    expect(text.split('\n')[0]).toMatch(/^commit \(newest first\)\s+virt-v7\/UP$/);
    expect(text).not.toContain('toolchain');
  });

  it('HTML: a column group per toolchain over the cells, data-toolchain on every cell, identities listed (headless Chromium)', () => {
    const html = renderHistoryHtml(grid);
    expect(html).not.toMatch(/https?:\/\//);
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-tc-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
    // docker/setup.sh installs Debian's chromium: a missing browser is a broken setup, not a skip.
    expect(chromium, 'chromium is installed (docker/setup.sh)').toBeDefined();
    const dom = execFileSync(
      chromium!,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', `file://${file}`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
    );
    const thead = dom.slice(dom.indexOf('<thead>'), dom.indexOf('</thead>'));
    expect([...thead.matchAll(/<th class="tc tc-start" colspan="(\d)" data-toolchain="(\w+)">/g)].map((m) => [m[2], m[1]])).toEqual([['gcc', '3'], ['clang', '3']]);
    expect([...thead.matchAll(/title="([^"]+)">([^<]+)<\/th>/g)].map((m) => `${m[1]}=${m[2]}`)).toEqual([
      'virt-v7/UP@gcc=UP', 'virt-v7/SMP@gcc=SMP', 'virt-v7/UP-on-SMP@gcc=UP-on-SMP', 'virt-v7/UP@clang=UP', 'virt-v7/SMP@clang=SMP', 'virt-v7/UP-on-SMP@clang=UP-on-SMP',
    ]);
    expect(dom.match(/<td class="st /g)).toHaveLength(18);
    expect(dom.match(/data-toolchain="clang" data-status=/g)).toHaveLength(9);
    const row = (sha: string) => {
      const s = dom.indexOf(`<tr data-sha="${sha}">`);
      return [...dom.slice(s, dom.indexOf('</tr>', s)).matchAll(/data-cell="([^"]+)" data-toolchain="(\w+)" data-status="(\w+)"/g)].map((m) => `${m[1]}:${m[3]}`);
    };
    expect(row(shas[1]!)).toEqual([
      'virt-v7/UP@gcc:FAIL', 'virt-v7/SMP@gcc:FAIL', 'virt-v7/UP-on-SMP@gcc:PASS', 'virt-v7/UP@clang:FAIL', 'virt-v7/SMP@clang:PASS', 'virt-v7/UP-on-SMP@clang:PASS',
    ]);
    expect(row(shas[0]!).at(-1)).toBe('virt-v7/UP-on-SMP@clang:none');
    expect(dom.match(/data-first-failing="true"/g)).toHaveLength(3);
    expect(dom).toContain('3 commits × 6 cells (3 × 2 toolchains)');
    expect(dom).toContain(`<b>clang</b>: <code>${CLANG}</code>`);
    // The detail of the clang FAIL (grid column 3) names the cell and its compiler.
    const d = dom.slice(dom.indexOf('id="d-1-3"'), dom.indexOf('</section>', dom.indexOf('id="d-1-3"')));
    expect(d).toContain('virt-v7/UP@clang');
    expect(d).toContain(CLANG);
  });
});

describe('check lists the toolchains', () => {
  const order = ['virt-v7/UP@gcc', 'virt-v7/UP@clang'];
  const p: PatchInput = {
    sha: 'c'.repeat(40),
    parent: 'b'.repeat(40),
    subject: 'zsmalloc: add page table mapping method',
    builds: [b('virt-v7/UP@gcc', 'FAIL', [V7WBI]), b('virt-v7/UP@clang', 'FAIL', [V7WBI])],
    parentBuilds: [b('virt-v7/UP@gcc', 'PASS', [], 'b'.repeat(40)), b('virt-v7/UP@clang', 'PASS', [], 'b'.repeat(40))],
    touched: new Map(),
  };
  it('each toolchain by name with its identity: text, Markdown and JSON; one toolchain keeps the identity alone', () => {
    const r = checkSeries('b'.repeat(40), [p], { order });
    expect(r.byToolchain).toEqual([{ name: 'gcc', identities: [GCC] }, { name: 'clang', identities: [CLANG] }]);
    expect(renderCheckText(r).split('\n')[1]).toBe(`toolchains: gcc: ${GCC}; clang: ${CLANG}`);
    expect(renderCheckText(r)).toContain('  >> modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — all cells');
    expect(renderCheckMarkdown(r)).toMatch(new RegExp(`^Build-tested on ARM \\(gcc: ${GCC.replace(/[().]/g, '\\$&')}; clang: ${CLANG.replace(/[().]/g, '\\$&')}\\): UP@gcc, UP@clang`));
    expect((checkJson(r) as { byToolchain: unknown }).byToolchain).toEqual(r.byToolchain);
    const single = checkSeries('b'.repeat(40), [{ ...p, builds: [b('virt-v7/UP', 'PASS')], parentBuilds: [b('virt-v7/UP', 'PASS', [], 'b'.repeat(40))] }], { order: ['virt-v7/UP'] });
    expect(single.byToolchain).toEqual([]);
    expect(renderCheckText(single).split('\n')[1]).toBe(`toolchain: ${GCC}`);
  });
});

describe('diff --toolchains through the command, the store and the pipeline (fake compiler, two toolchains)', () => {
  const GCC_CLANG = loadMatrix(join(ROOT, 'matrix/zsmalloc-arm-gcc-clang.yaml'));
  const CLANG_MODPOST = 'ERROR: modpost: "__aeabi_uldivmod" [mm/zsmalloc.ko] undefined!\nmake[1]: *** [scripts/Makefile.modpost:127: Module.symvers] Error 1\n';

  /** A fake runtime: gcc and clang identities by family; SMP built with LLVM=1 fails at modpost at the commits in `failAt`. */
  function runtime(failAt: string[]): Runtime {
    // The fake finds a cell by its build dir's name; a multi-toolchain cell builds in `<config>__<variant>@<toolchain key>`.
    const byDir = GCC_CLANG.cells.map((c) => ({ ...c, name: buildDirName(c) }));
    const id = async (_cc?: string, tc?: Toolchain): Promise<ToolchainIdentity> => ({ runtime: 'host', image: null, compiler: tc?.family === 'llvm' ? CLANG : GCC });
    return fakeRuntime(
      byDir,
      (spec, cell) => {
        const building = !spec.argv.some((a) => a.startsWith('KCONFIG_CONFIG='));
        const head = readFileSync(spec.logFile, 'utf8').split('\n')[0] ?? '';
        if (building && cell?.variant === 'SMP' && spec.argv.includes('LLVM=1') && failAt.some((sha) => head.includes(sha))) {
          appendFileSync(spec.logFile, CLANG_MODPOST);
          return { exitCode: 2 };
        }
        return undefined;
      },
      id,
    );
  }

  it('fails only with clang at the breaking commit (exit 1), the same elsewhere (exit 0); --no-build refuses an unbuilt commit (exit 2); diff A B keeps toolchains apart', async () => {
    const { tree, shas } = fakeTree(3);
    const results = mkdtempSync(join(tmpdir(), 'kmatrix-tc-cmd-'));
    const db = join(results, 'kmatrix.db');
    const deps = { runtime: runtime([shas[1]!]), cache: join(results, 'cache'), progress: 'silent' as const };
    const flags = { tree, db, matrix: GCC_CLANG.path!, toolchains: 'gcc,clang' };
    const bad = await diffCommand(shas[1]!, undefined, { ...flags, json: true }, deps);
    const j = JSON.parse(bad.stdout) as { exitCode: number; cells: { cell: string; verdict: string; failsOnlyWith: string | null; only: Record<string, Diagnostic[]> }[] };
    expect(bad.code).toBe(1);
    expect(j.cells.map((c) => [c.cell, c.verdict, c.failsOnlyWith])).toEqual([
      ['virt-v7/UP', 'same-pass', null],
      ['virt-v7/SMP', 'only-one-fails', 'clang'],
      ['virt-v7/UP-on-SMP', 'same-pass', null],
    ]);
    expect(j.cells[1]!.only['clang']!.map((d) => d.symbol)).toEqual(['__aeabi_uldivmod']);
    const text = await diffCommand(shas[1]!, undefined, { ...flags, noBuild: true }, deps);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('virt-v7/SMP        PASS   FAIL   fails only with clang');
    expect(text.stdout).toContain('  only with clang: modpost-undefined: __aeabi_uldivmod undefined in mm/zsmalloc.ko');
    expect(text.stdout).toContain(`toolchains: gcc = ${GCC}; clang = ${CLANG}`);
    expect(text.stdout).toContain('reproducers (cells failing with one toolchain only):\n\n## virt-v7/SMP@clang\n');
    const good = await diffCommand(shas[0]!, undefined, flags, deps);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('0 cell(s) fail only with gcc, 0 only with clang, 0 fail with both, 3 pass with both, 0 unknown');
    const unbuilt = await diffCommand(shas[2]!, undefined, { ...flags, noBuild: true }, deps);
    expect(unbuilt.code).toBe(2);
    expect(unbuilt.stderr).toMatch(/not in the store \(and --no-build given\): virt-v7\/UP@gcc/);
    // Commit to commit: each cell against itself; clang's SMP regresses, gcc's does not.
    const d = await diffCommand(shas[0]!, shas[1]!, { tree, db, matrix: GCC_CLANG.path!, json: true, noBuild: true }, deps);
    const dj = JSON.parse(d.stdout) as { cells: { cell: string; transition: string }[] };
    expect(dj.cells.map((c) => [c.cell, c.transition])).toEqual([
      ['virt-v7/UP@gcc', 'still-passing'], ['virt-v7/UP@clang', 'still-passing'],
      ['virt-v7/SMP@gcc', 'still-passing'], ['virt-v7/SMP@clang', 'regression'],
      ['virt-v7/UP-on-SMP@gcc', 'still-passing'], ['virt-v7/UP-on-SMP@clang', 'still-passing'],
    ].sort((x, y) => GCC_CLANG.cells.findIndex((c) => c.name === x[0]) - GCC_CLANG.cells.findIndex((c) => c.name === y[0])));
    expect(d.code).toBe(1);
  });
});
