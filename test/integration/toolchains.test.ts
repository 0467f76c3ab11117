/**
 * gcc and clang side by side on the replay tree, through the real CLI and podman with the shipped
 * `matrix/zsmalloc-arm-gcc-clang.yaml`: the five interesting commits (src/demo/commits.ts INTERESTING; the baseline
 * and the tip pass with both, measured, and are left out to keep CI short) × UP / SMP / UP-on-SMP with gcc and the
 * bug's own cell, UP, with clang. The expected outcomes were measured on real builds (the table below); the
 * builds run in the default cache's persistent build dirs (the gcc cells share the default matrix's, the clang cell
 * has its own `@llvm-…` dir, shared with toolchain-axis.test.ts), so on a warm cache every build is incremental.
 * Then `diff --toolchains` and a commit-to-commit `diff` are asked of the same store (no build).
 *
 * Why only UP with clang here: a cold clang build dir takes 5-15 min on 2 cores, and on a fresh machine the two
 * other clang cells were the largest share of the suite's time (issue 22). The whole table, all six cells, is
 * `node bench/toolchains.mjs`: it builds all six cells at these commits and prints each cell's status and first error
 * beside the table below, and the `diff --toolchains` verdicts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Diagnostic } from '../../src/types.js';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

const MATRIX = join(ROOT, 'matrix', 'zsmalloc-arm-gcc-clang.yaml');
const VARIANTS = ['UP', 'SMP', 'UP-on-SMP'] as const;
/** The variants each toolchain builds in this test (the bench builds all of them). */
const BUILT = { gcc: VARIANTS, clang: ['UP'] } as const satisfies Record<'gcc' | 'clang', readonly (typeof VARIANTS)[number][]>;
const CELLS = '*@gcc,virt-v7/UP@clang';

/** A cell's expected status and its first error diagnostic (`kind file-or-module message`), null for a PASS. */
type Expect = { status: 'PASS' | 'FAIL'; first: string | null };
const PASS: Expect = { status: 'PASS', first: null };
const V7WBI: Expect = { status: 'FAIL', first: 'modpost-undefined mm/zsmalloc.ko "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!' };
const FLUSH: Expect = { status: 'FAIL', first: 'modpost-undefined mm/zsmalloc.ko "flush_tlb_kernel_range" [mm/zsmalloc.ko] undefined!' };
// The same line (zram_drv.c:1245), each compiler in its own words (both suggest huge_pages).
const ZRAM_GCC: Expect = {
  status: 'FAIL',
  first: "compile-error drivers/block/zram/zram_drv.c 'struct zram_stats' has no member named 'same_pages'; did you mean 'huge_pages'?",
};
const ZRAM_CLANG: Expect = {
  status: 'FAIL',
  first: "compile-error drivers/block/zram/zram_drv.c no member named 'same_pages' in 'struct zram_stats'; did you mean 'huge_pages'?",
};

/** gcc (the same as the default matrix's replay table) and clang, per commit label and variant. */
const EXPECTED: Record<string, Record<'gcc' | 'clang', Record<(typeof VARIANTS)[number], Expect>>> = {
  'zram-break': { gcc: { UP: ZRAM_GCC, SMP: ZRAM_GCC, 'UP-on-SMP': ZRAM_GCC }, clang: { UP: ZRAM_CLANG, SMP: ZRAM_CLANG, 'UP-on-SMP': ZRAM_CLANG } },
  'zram-fix': { gcc: { UP: PASS, SMP: PASS, 'UP-on-SMP': PASS }, clang: { UP: PASS, SMP: PASS, 'UP-on-SMP': PASS } },
  'pgtable-mapping': { gcc: { UP: V7WBI, SMP: V7WBI, 'UP-on-SMP': PASS }, clang: { UP: V7WBI, SMP: V7WBI, 'UP-on-SMP': PASS } },
  '2013-fix': { gcc: { UP: V7WBI, SMP: FLUSH, 'UP-on-SMP': FLUSH }, clang: { UP: V7WBI, SMP: FLUSH, 'UP-on-SMP': FLUSH } },
  'real-fix': { gcc: { UP: PASS, SMP: PASS, 'UP-on-SMP': PASS }, clang: { UP: PASS, SMP: PASS, 'UP-on-SMP': PASS } },
};

/** The first error of a build as `kind file-or-module message` (quotes normalised: gcc prints locale quotes). */
function firstError(ds: Diagnostic[]): string | null {
  const d = ds.find((x) => x.severity === 'error');
  return d ? `${d.kind} ${d.file ?? d.module} ${d.message.replace(/[‘’]/g, "'")}` : null;
}

interface RunDoc {
  builds: { commit: string; cell: string; status: string; toolchain: string; diagnostics: Diagnostic[] }[];
  missing: unknown[];
}

describe('gcc vs clang on the replay tree: every interesting commit × cell (real podman builds)', () => {
  const dir = tempDir('kmatrix-toolchains-');
  const db = join(dir, 'kmatrix.db');
  let tree: string;
  let sha: Map<string, string>;
  let run: RunDoc;
  let code: number;

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].filter(([label]) => label in EXPECTED).map(([label, c]) => [label, c.sha]));
    expect([...sha.keys()]).toEqual(Object.keys(EXPECTED));
    const t0 = Date.now();
    const res = cli(['run', '--tree', tree, '--db', db, '--matrix', MATRIX, '--cells', CELLS, '--json', ...sha.values()]);
    process.stderr.write(`gcc+clang replay matrix: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${res.stderr.slice(-4000)}\n`);
    code = res.code;
    run = JSON.parse(res.stdout) as RunDoc;
    const label = new Map([...sha].map(([l, s]) => [s, l]));
    for (const b of run.builds) process.stderr.write(`  ${label.get(b.commit)} ${b.cell} ${b.status} ${firstError(b.diagnostics) ?? ''}\n`);
  });

  it('builds every interesting commit in the gcc cells and UP@clang (exit 1: the story has FAILs; nothing missing)', () => {
    expect(run.missing).toEqual([]);
    expect(run.builds).toHaveLength(sha.size * (BUILT.gcc.length + BUILT.clang.length));
    expect(code).toBe(1);
  });

  for (const [label, byTc] of Object.entries(EXPECTED)) {
    for (const tc of ['gcc', 'clang'] as const) {
      for (const v of BUILT[tc]) {
        const exp = byTc[tc][v];
        it(`${label} virt-v7/${v}@${tc}: ${exp.status}${exp.first ? ` (${exp.first})` : ''}`, () => {
          const b = run.builds.find((x) => x.commit === sha.get(label) && x.cell === `virt-v7/${v}@${tc}`);
          expect(b, `${label} virt-v7/${v}@${tc} was built`).toBeDefined();
          expect(b!.status).toBe(exp.status);
          expect(firstError(b!.diagnostics)).toBe(exp.first);
          expect(b!.diagnostics.some((d) => d.kind === 'kconfig-unmet')).toBe(false);
          expect(b!.toolchain).toMatch(tc === 'gcc' ? /^arm-linux-gnueabi-gcc .*12\.2/ : /clang version 14\.0\.6.* \+ .*LLD 14\.0\.6/);
        });
      }
    }
  }

  /** What `diff --toolchains gcc,clang` must say of a cell, from the measured table. */
  const verdict = (label: string, v: (typeof VARIANTS)[number]): string => {
    const g = EXPECTED[label]!.gcc[v].status;
    const c = EXPECTED[label]!.clang[v].status;
    return g === c ? (g === 'PASS' ? 'same-pass' : 'same-fail') : 'only-one-fails';
  };

  it('diff --toolchains gcc,clang REV (no build) at every interesting commit: the verdicts of the table, exit 1 only where one toolchain fails alone', () => {
    for (const label of Object.keys(EXPECTED)) {
      const r = cli(['diff', '--toolchains', 'gcc,clang', sha.get(label)!, '--tree', tree, '--db', db, '--matrix', MATRIX, '--cells', 'virt-v7/UP@*', '--no-build', '--json']);
      const doc = JSON.parse(r.stdout) as {
        sha: string;
        exitCode: number;
        cells: { cell: string; verdict: string; failsOnlyWith: string | null; errorsDiffer: boolean; sides: { cell: string; status: string }[] }[];
      };
      expect(doc.sha).toBe(sha.get(label));
      expect(doc.cells.map((c) => [c.cell, c.verdict]), label).toEqual(BUILT.clang.map((v) => [`virt-v7/${v}`, verdict(label, v)]));
      for (const c of doc.cells) expect(c.sides.map((x) => x.cell)).toEqual([`${c.cell}@gcc`, `${c.cell}@clang`]);
      const oneSided = BUILT.clang.some((v) => verdict(label, v) === 'only-one-fails');
      expect(r.code, label).toBe(oneSided ? 1 : 0);
      expect(doc.exitCode).toBe(r.code);
    }
  });

  it('diff --toolchains text at zram-break: both fail on the same line, each compiler in its own words (one problem, not a difference)', () => {
    const r = cli(['diff', '--toolchains', 'gcc,clang', sha.get('zram-break')!, '--tree', tree, '--db', db, '--matrix', MATRIX, '--cells', 'virt-v7/UP@*', '--no-build']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`toolchains gcc vs clang at ${sha.get('zram-break')!.slice(0, 12)} (zram: rename same_pages stat to same_filled_pages)`);
    expect(lines[2]).toMatch(/^cell +gcc +clang +verdict$/);
    expect(lines[3]).toMatch(/^virt-v7\/UP +FAIL +FAIL +same \(both fail\)$/);
    expect(r.stdout).toContain('0 cell(s) fail only with gcc, 0 only with clang, 1 fail with both, 0 pass with both, 0 unknown');
    expect(r.stdout).toMatch(/toolchains: gcc = arm-linux-gnueabi-gcc [^;]*12\.2[^;]*; clang = .*clang version 14\.0\.6/);
  });

  it('a commit-to-commit diff pairs each cell with itself, never gcc with clang: zram-fix → pgtable-mapping', () => {
    const r = cli(['diff', sha.get('zram-fix')!, sha.get('pgtable-mapping')!, '--tree', tree, '--db', db, '--matrix', MATRIX, '--cells', CELLS, '--no-build', '--json']);
    const doc = JSON.parse(r.stdout) as { cells: { cell: string; from: string; to: string; transition: string }[] };
    const transition = (tc: 'gcc' | 'clang', v: (typeof VARIANTS)[number]) => {
      const a = EXPECTED['zram-fix']![tc][v].status;
      const b = EXPECTED['pgtable-mapping']![tc][v].status;
      return a === 'PASS' ? (b === 'PASS' ? 'still-passing' : 'regression') : b === 'PASS' ? 'fixed' : 'still-failing';
    };
    const cells = (['gcc', 'clang'] as const).flatMap((tc) => BUILT[tc].map((v) => `virt-v7/${v}@${tc}`));
    expect(doc.cells.map((c) => c.cell).sort()).toEqual([...cells].sort());
    for (const c of doc.cells) {
      const [v, tc] = c.cell.slice('virt-v7/'.length).split('@') as [(typeof VARIANTS)[number], 'gcc' | 'clang'];
      expect([c.cell, c.from, c.to, c.transition]).toEqual([c.cell, EXPECTED['zram-fix']![tc][v].status, EXPECTED['pgtable-mapping']![tc][v].status, transition(tc, v)]);
    }
    expect(r.code).toBe(1);
  });

  it('report: a gcc row and a clang row under each commit, a column per variant, within 80 columns', () => {
    const r = cli(['report', '--last', String(sha.size), '--db', db, '--matrix', MATRIX, '--no-reproducers']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^commit \(newest first\)\s+toolchain\s+UP\s+SMP\s+UP-on-SMP$/);
    const row = (label: string) => lines.indexOf(lines.find((l) => l.startsWith(sha.get(label)!.slice(0, 12)))!);
    const st = (x: Expect, first: boolean) => `${x.status}${first ? '\\*' : ''}`;
    const i = row('pgtable-mapping');
    for (const [k, tc] of (['gcc', 'clang'] as const).entries()) {
      const want = BUILT[tc].map((v) => st(EXPECTED['pgtable-mapping']![tc][v], EXPECTED['zram-fix']![tc][v].status === 'PASS' && EXPECTED['pgtable-mapping']![tc][v].status === 'FAIL'));
      expect(lines[i + k]).toMatch(new RegExp(`\\s${tc}\\s+${want.join('\\s+')}$`));
    }
    for (const l of lines.slice(0, 2 + 2 * sha.size)) expect(l.length, l).toBeLessThanOrEqual(80);
  });
});
