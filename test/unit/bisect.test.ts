import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { oneCell, registerBisectCommand } from '../../src/cli/bisect.js';
import { nextStep } from '../../src/compare/bisect-search.js';
import { matches, parseMatch, targetOf, targetStage, verdictOf, type StepBuild } from '../../src/compare/bisect-target.js';
import { renderBisectText } from '../../src/report/bisect-text.js';
import { bisectSteps, createBisect, loadBisect, recordStep, updateBisect } from '../../src/store/bisects.js';
import type { Cell } from '../../src/matrix/load.js';
import { openStore } from '../../src/store/db.js';
import type { Diagnostic, Verdict } from '../../src/types.js';

const diag = (kind: Diagnostic['kind'], fp: string, extra: Partial<Diagnostic> = {}): Diagnostic => ({
  kind,
  severity: 'error',
  file: null,
  line: null,
  column: null,
  symbol: null,
  module: null,
  message: fp,
  fingerprint: fp,
  ...extra,
});
const V7 = diag('modpost-undefined', 'aaa111', { symbol: 'v7wbi_flush_kern_tlb_range', module: 'mm/zsmalloc.ko' });
const FTKR = diag('modpost-undefined', 'bbb222', { symbol: 'flush_tlb_kernel_range', module: 'mm/zsmalloc.ko' });
const ZRAM = diag('compile-error', 'ccc333', { file: 'drivers/block/zram/zram_drv.c', line: 10 });
const PASS: StepBuild = { status: 'PASS', diagnostics: [] };
const fail = (...d: Diagnostic[]): StepBuild => ({ status: 'FAIL', diagnostics: d });

/**
 * The replay tree's history (after baseline) for one cell, as builds. `up`: virt-v7/UP, `smp`: virt-v7/SMP.
 * f1..f5, zram-break, b1, b2, zram-fix, f6, f7, pgtable-mapping, p1, p2, 2013-fix, q1, q2, real-fix, t1, tip.
 */
function history(cell: 'up' | 'smp'): { labels: string[]; build: (l: string) => StepBuild } {
  const labels = ['f1', 'f2', 'f3', 'f4', 'f5', 'zram-break', 'b1', 'b2', 'zram-fix', 'f6', 'f7', 'pgtable-mapping', 'p1', 'p2', '2013-fix', 'q1', 'q2', 'real-fix', 't1', 'tip'];
  const at = (l: string) => labels.indexOf(l);
  return {
    labels,
    build: (l) => {
      const i = at(l);
      if (l === 'baseline') return PASS;
      if (i >= at('zram-break') && i < at('zram-fix')) return fail(ZRAM);
      if (i < at('pgtable-mapping') || i >= at('real-fix')) return PASS;
      if (i < at('2013-fix') || cell === 'up') return fail(V7);
      return fail(FTKR);
    },
  };
}

/** Run the pure algorithm to its end over the simulated history; returns the answer and the tested commits. */
function simulate(good: string, bad: string, cell: 'up' | 'smp', target: Set<string>, reverse = false) {
  const h = history(cell);
  const all = ['baseline', ...h.labels];
  const candidates = all.slice(all.indexOf(good) + 1, all.indexOf(bad) + 1);
  const verdicts = new Map<string, Verdict>();
  const tested: string[] = [];
  for (;;) {
    const n = nextStep(candidates, verdicts);
    if (n.kind !== 'test') return { result: n, tested, candidates };
    tested.push(n.sha);
    verdicts.set(n.sha, verdictOf(h.build(n.sha), target, reverse));
    if (tested.length > 50) throw new Error('no convergence');
  }
}

describe('nextStep (pure)', () => {
  it('bisects a clean range in ceil(log2(n)) steps and always finds the first bad', () => {
    for (let n = 1; n <= 40; n++) {
      for (let firstBad = 0; firstBad < n; firstBad++) {
        const c = Array.from({ length: n }, (_, i) => `c${i}`);
        const v = new Map<string, Verdict>();
        let steps = 0;
        for (;;) {
          const s = nextStep(c, v);
          if (s.kind === 'found') {
            expect(s.sha).toBe(`c${firstBad}`);
            break;
          }
          expect(s.kind).toBe('test');
          if (s.kind !== 'test') break;
          steps++;
          v.set(s.sha, s.index >= firstBad ? 'bad' : 'good');
        }
        expect(steps).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      }
    }
  });

  it('with skips, tests the untested commit nearest the midpoint (ties: the later one)', () => {
    const c = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    // window (-1, 6): midpoint 2.5, c and d tie → d
    expect(nextStep(c, new Map())).toEqual({ kind: 'test', sha: 'd', index: 3 });
    expect(nextStep(c, new Map([['d', 'skip']]))).toMatchObject({ sha: 'c' });
    expect(nextStep(c, new Map<string, Verdict>([['d', 'skip'], ['c', 'skip']]))).toMatchObject({ sha: 'e' });
    expect(nextStep(c, new Map<string, Verdict>([['d', 'skip'], ['c', 'skip'], ['e', 'good']]))).toMatchObject({ sha: 'f' });
  });

  it('only skipped commits left → ambiguous with the skipped ones and the first bad', () => {
    const c = ['a', 'b', 'c', 'd'];
    const v = new Map<string, Verdict>([
      ['a', 'good'],
      ['b', 'skip'],
      ['c', 'skip'],
    ]);
    expect(nextStep(c, v)).toEqual({ kind: 'ambiguous', candidates: ['b', 'c', 'd'] });
    expect(nextStep(c, new Map([['c', 'bad'], ['b', 'good']]))).toEqual({ kind: 'found', sha: 'c' });
  });
});

describe('the replay tree, simulated', () => {
  it('UP v7wbi: baseline..pgtable-mapping skips the broken zram commits and answers pgtable-mapping within the bound', () => {
    const r = simulate('baseline', 'pgtable-mapping', 'up', new Set([V7.fingerprint]));
    expect(r.result).toEqual({ kind: 'found', sha: 'pgtable-mapping' });
    expect(r.tested.some((t) => ['zram-break', 'b1', 'b2'].includes(t))).toBe(true);
    // + 2 endpoint builds
    expect(r.tested.length + 2).toBeLessThanOrEqual(Math.ceil(Math.log2(r.candidates.length)) + 3);
    expect(r.tested).toEqual(['zram-break', 'b1', 'f5', 'zram-fix', 'f7']);
  });

  it('SMP flush_tlb_kernel_range: baseline..2013-fix ends ambiguous — pgtable-mapping..2013-fix fail with another error (skipped)', () => {
    const r = simulate('baseline', '2013-fix', 'smp', new Set([FTKR.fingerprint]));
    expect(r.result).toEqual({ kind: 'ambiguous', candidates: ['pgtable-mapping', 'p1', 'p2', '2013-fix'] });
  });

  it('reverse: pgtable-mapping..tip on UP finds real-fix', () => {
    const r = simulate('pgtable-mapping', 'tip', 'up', new Set([V7.fingerprint]), true);
    expect(r.result).toEqual({ kind: 'found', sha: 'real-fix' });
  });

  it('the compile error as the target: f5..b2 answers zram-break', () => {
    const r = simulate('f5', 'b2', 'up', new Set([ZRAM.fingerprint]));
    expect(r.result).toEqual({ kind: 'found', sha: 'zram-break' });
  });
});

describe('verdicts, targets, --match', () => {
  const t = new Set([V7.fingerprint]);
  it('target present → bad; PASS → good; other errors or ERROR → skip; reverse swaps good and bad', () => {
    expect(verdictOf(fail(V7, ZRAM), t, false)).toBe('bad');
    expect(verdictOf(PASS, t, false)).toBe('good');
    expect(verdictOf(fail(ZRAM), t, false)).toBe('skip');
    expect(verdictOf({ status: 'ERROR', diagnostics: [diag('killed', 'k')] }, t, false)).toBe('skip');
    expect(verdictOf(fail(V7), t, true)).toBe('good');
    expect(verdictOf(PASS, t, true)).toBe('bad');
  });
  it('a FAIL whose other errors prove the target stage ran is like the passing endpoint, else skip', () => {
    const ftkr = new Set([FTKR.fingerprint]);
    const modpost = targetStage(['modpost-undefined']);
    expect(modpost).toBe(3);
    // modpost ran (it reported v7wbi…) and did not report flush_tlb_kernel_range: good.
    expect(verdictOf(fail(V7), ftkr, false, modpost)).toBe('good');
    expect(verdictOf(fail(V7), ftkr, true, modpost)).toBe('bad');
    // A compile error stopped the build before modpost: the target could be hiding.
    expect(verdictOf(fail(ZRAM), ftkr, false, modpost)).toBe('skip');
    expect(verdictOf(fail(V7, ZRAM), ftkr, false, modpost)).toBe('skip');
    // Unknown target stage: the conservative git-bisect-skip rule.
    expect(verdictOf(fail(V7), ftkr, false, null)).toBe('skip');
    expect(verdictOf({ status: 'ERROR', diagnostics: [V7] }, ftkr, false, modpost)).toBe('skip');
  });
  it('default target: errors at the failing endpoint not at the passing one; --match narrows', () => {
    expect(targetOf(fail(V7, ZRAM), fail(ZRAM), null)).toEqual([V7]);
    expect(targetOf(fail(V7, FTKR), PASS, parseMatch('symbol:flush_tlb_kernel_range'))).toEqual([FTKR]);
    expect(targetOf(fail(ZRAM), PASS, parseMatch('kind:compile-error'))).toEqual([ZRAM]);
    expect(targetOf(fail(ZRAM), PASS, parseMatch('file:zram/zram_drv.c'))).toEqual([ZRAM]);
    expect(targetOf(fail(V7), PASS, parseMatch('fingerprint:AAA1'))).toEqual([V7]);
    expect(targetOf(fail(V7), PASS, parseMatch('aaa111'))).toEqual([V7]);
    expect(targetOf(fail(V7), PASS, parseMatch('symbol:nope'))).toEqual([]);
  });
  it('parseMatch rejects malformed filters', () => {
    expect(() => parseMatch('kind:nonsense')).toThrow(/unknown diagnostic kind/);
    expect(() => parseMatch('hello')).toThrow(/expected/);
    expect(() => parseMatch('fingerprint:xyz')).toThrow(/hex/);
    expect(matches(V7, { field: 'symbol', value: 'v7wbi_flush_kern_tlb_range' })).toBe(true);
  });
});

describe('--cell selection', () => {
  const cells = ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP'].map((name) => ({ name }) as Cell);
  it('a name or a glob matching exactly one cell; otherwise exit 2 listing candidates', () => {
    expect(oneCell(cells, 'virt-v7/UP').name).toBe('virt-v7/UP');
    expect(oneCell(cells, '*/SMP').name).toBe('virt-v7/SMP');
    expect(() => oneCell(cells, 'virt-v7/UP*')).toThrow(/matches 2 cells.*virt-v7\/UP, virt-v7\/UP-on-SMP/);
    expect(() => oneCell(cells, 'nope')).toThrow(/matches no cell/);
  });
  it('registers as a command', () => {
    const p = new Command();
    registerBisectCommand(p);
    expect(p.commands.map((c) => c.name())).toContain('bisect');
  });
});

describe('bisect records', () => {
  it('create, steps, update, latest running, text', () => {
    const db = openStore(join(mkdtempSync(join(tmpdir(), 'kmatrix-bisect-')), 'k.db'));
    const id = createBisect(db, { tree: '/t', matrix: null, cell: 'virt-v7/UP', configHash: 'h', runtime: 'host', good: 'g'.repeat(40), bad: 'b'.repeat(40), reverse: false, match: null });
    recordStep(db, id, { sha: 'g'.repeat(40), verdict: 'good', buildId: null, seconds: 1.5 });
    recordStep(db, id, { sha: 'b'.repeat(40), verdict: 'bad', buildId: null, seconds: 2 });
    updateBisect(db, id, { target: ['aaa111'] });
    expect(loadBisect(db, { running: true })).toMatchObject({ id, target: ['aaa111'], state: 'running', reverse: false });
    expect(bisectSteps(db, id).map((s) => s.verdict)).toEqual(['good', 'bad']);
    const doc = { id, state: 'found' as const, firstBad: { sha: 'b'.repeat(40), subject: 's', author: 'a', date: 'd' }, candidates: [], target: ['aaa111'], builds: 2, skipped: [], seconds: 3.5, message: null };
    updateBisect(db, id, { state: 'found', result: doc });
    expect(loadBisect(db, { running: true })).toBeNull();
    const row = loadBisect(db)!;
    expect(row.result).toEqual(doc);
    const text = renderBisectText({ row, doc, steps: bisectSteps(db, id), targetDiagnostics: [V7], commits: new Map() });
    expect(text).toContain(`first bad commit: ${'b'.repeat(40)}`);
    expect(text).toContain('introduces: modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko');
    expect(text).toContain('2 build(s) (endpoints included), 3.5 s');
    db.close();
  });
});
