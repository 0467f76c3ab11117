import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { oneCell, registerBisectCommand } from '../../src/cli/bisect.js';
import { startBisect } from '../../src/compare/bisect.js';
import { nextStep } from '../../src/compare/bisect-search.js';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { fakeRuntime, gitIn } from '../helpers/fake-tree.js';
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

/** The replay tree's history after its baseline, as commit labels (the fake tree's subjects). */
const LABELS = ['f1', 'f2', 'f3', 'f4', 'f5', 'zram-break', 'b1', 'b2', 'zram-fix', 'f6', 'f7', 'pgtable-mapping', 'p1', 'p2', '2013-fix', 'q1', 'q2', 'real-fix', 't1', 'tip'];

/** What make prints at a commit for one cell of the replay tree (`up`: virt-v7/UP, `smp`: virt-v7/SMP), as on 6.1. */
function makeOutput(label: string, cell: 'up' | 'smp'): { log: string; exitCode: number } {
  const i = LABELS.indexOf(label);
  const at = (l: string) => LABELS.indexOf(l);
  const modpost = (sym: string) =>
    `  MODPOST Module.symvers\nERROR: modpost: "${sym}" [mm/zsmalloc.ko] undefined!\nmake[1]: *** [scripts/Makefile.modpost:127: Module.symvers] Error 1\n`;
  if (i >= at('zram-break') && i < at('zram-fix')) {
    return { log: "drivers/block/zram/zram_drv.c:1245:27: error: 'struct zram_stats' has no member named 'same_pages'\nmake[4]: *** [scripts/Makefile.build:250: drivers/block/zram/zram_drv.o] Error 1\n", exitCode: 2 };
  }
  if (i < at('pgtable-mapping') || i >= at('real-fix')) return { log: '', exitCode: 0 };
  if (i < at('2013-fix') || cell === 'up') return { log: modpost('v7wbi_flush_kern_tlb_range'), exitCode: 2 };
  return { log: modpost('flush_tlb_kernel_range'), exitCode: 2 };
}

/**
 * Bisect the simulated replay history with the real driver: a git tree whose commits are the labels, a runtime
 * that prints what make printed there, the real classifier, store, stage rule and search. Returns the state, the
 * answer's label and the labels tested between the endpoints.
 */
async function bisectHistory(good: string, bad: string, cell: 'up' | 'smp', o: { reverse?: boolean; match?: string } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'kmatrix-bisect-sim-'));
  const tree = join(tmp, 'tree');
  mkdirSync(tree);
  gitIn(tree, 'init', '--quiet', '-b', 'main');
  const sha = new Map<string, string>();
  for (const l of ['baseline', ...LABELS]) {
    writeFileSync(join(tree, 'LABEL'), `${l}\n`);
    gitIn(tree, 'add', '-A');
    gitIn(tree, 'commit', '--quiet', '-m', l);
    sha.set(l, gitIn(tree, 'rev-parse', 'HEAD'));
  }
  const label = new Map([...sha].map(([l, s]) => [s, l]));
  const target = SIM_MATRIX.cells.find((c) => c.name === (cell === 'up' ? 'virt-v7/UP' : 'virt-v7/SMP'))!;
  const runtime = fakeRuntime(SIM_MATRIX.cells, (spec) => {
    if (!spec.argv.includes('-k')) return; // the Kconfig stage passes
    const at = readFileSync(join(spec.mounts[0]!.path, 'LABEL'), 'utf8').trim();
    const out = makeOutput(at, cell);
    appendFileSync(spec.logFile, out.log);
    return { exitCode: out.exitCode };
  });
  const store = openStore(join(tmp, 'k.db'));
  const ctx = { store, tree, matrix: SIM_MATRIX, runtimeName: 'host', runtime: async () => runtime, cache: join(tmp, 'cache'), resultsDir: tmp, command: 'test', progress: 'silent' as const };
  const out = await startBisect(ctx, { cell: target, good: sha.get(good)!, bad: sha.get(bad)!, reverse: o.reverse ?? false, match: o.match ?? null });
  store.close();
  const tested = out.steps.map((s) => label.get(s.sha)!).filter((l) => l !== good && l !== bad);
  return { state: out.row.state, answer: out.doc.firstBad ? label.get(out.doc.firstBad.sha) : null, candidates: out.doc.candidates.map((c) => label.get(c)), tested, steps: out.steps.length };
}

const SIM_MATRIX = loadMatrix(DEFAULT_MATRIX);

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

describe('the replay tree, simulated through the real driver (classifier, store, stage rule)', () => {
  it('UP v7wbi: baseline..pgtable-mapping skips the broken zram commits and answers pgtable-mapping within the bound', async () => {
    const r = await bisectHistory('baseline', 'pgtable-mapping', 'up');
    expect(r).toMatchObject({ state: 'found', answer: 'pgtable-mapping' });
    // the zram compile error stops the build before modpost: those commits cannot say, they are skipped
    expect(r.tested.some((t) => ['zram-break', 'b1', 'b2'].includes(t))).toBe(true);
    expect(r.steps).toBeLessThanOrEqual(Math.ceil(Math.log2(12)) + 3);
  });

  it('SMP flush_tlb_kernel_range: baseline..2013-fix answers 2013-fix — the v7wbi FAILs show modpost ran without reporting the target, so they are good, not skipped', async () => {
    const r = await bisectHistory('baseline', '2013-fix', 'smp');
    expect(r).toMatchObject({ state: 'found', answer: '2013-fix' });
    expect(r.tested.some((t) => ['pgtable-mapping', 'p1', 'p2'].includes(t))).toBe(true);
  });

  it('reverse: pgtable-mapping..tip on UP finds real-fix', async () => {
    const r = await bisectHistory('pgtable-mapping', 'tip', 'up', { reverse: true });
    expect(r).toMatchObject({ state: 'found', answer: 'real-fix' });
  });

  it('the compile error as the target (--match kind:compile-error): f5..b2 answers zram-break', async () => {
    const r = await bisectHistory('f5', 'b2', 'up', { match: 'kind:compile-error' });
    expect(r).toMatchObject({ state: 'found', answer: 'zram-break' });
  });

  it('a range whose only inner commit FAILs with another modpost error: p1..2013-fix on SMP finds 2013-fix', async () => {
    const r = await bisectHistory('p1', '2013-fix', 'smp');
    expect(r).toMatchObject({ state: 'found', answer: '2013-fix' });
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
