import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffBuilds, diffCell, diffExitCode, regressionCells, type ComparableBuild } from '../../src/compare/diff.js';
import { cellLabels, diagnosticLine } from '../../src/report/diagnostic.js';
import { diffJson, renderDiffText } from '../../src/report/diff-text.js';
import { nightlyExitCode, partialReason } from '../../src/compare/nightly.js';
import { cellId, openStore, recordBuild, startRun, upsertCommit } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { commitsByPrefix, findBuild, lastNightly, latestBuildsAt, nightlyBuilds, partialNightliesSince, recentCommits, recordNightly } from '../../src/store/queries.js';
import type { BuildStatus, Diagnostic } from '../../src/types.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';

const TC = 'arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0';
const V7WBI: Diagnostic = v7wbiDiagnostic();
const FLUSH: Diagnostic = { ...V7WBI, symbol: 'flush_tlb_kernel_range', message: 'ERROR: modpost: "flush_tlb_kernel_range" [mm/zsmalloc.ko] undefined!', fingerprint: 'fp-flush' };
const WARN: Diagnostic = {
  kind: 'compile-warning',
  severity: 'warning',
  file: 'mm/zsmalloc.c',
  line: 10,
  column: 2,
  symbol: null,
  module: null,
  message: 'unused variable ‘x’ [-Wunused-variable]',
  fingerprint: 'fp-warn',
};
const INFRA: Diagnostic = { ...WARN, kind: 'toolchain-missing', severity: 'error', file: null, line: null, column: null, message: 'arm-linux-gnueabi-gcc: not found', fingerprint: 'fp-infra' };

function b(cell: string, status: BuildStatus, diagnostics: Diagnostic[] = [], over: Partial<ComparableBuild> = {}): ComparableBuild {
  return { cell, commitSha: 'x', status, configHash: 'h-' + cell, toolchain: TC, runtime: 'host', image: null, diagnostics, ...over };
}

describe('diffCell: transitions', () => {
  it('PASS→FAIL regression, FAIL→PASS fixed, FAIL→FAIL still-failing, PASS→PASS still-passing', () => {
    expect(diffCell('c', b('c', 'PASS'), b('c', 'FAIL', [V7WBI])).transition).toBe('regression');
    expect(diffCell('c', b('c', 'FAIL', [V7WBI]), b('c', 'PASS')).transition).toBe('fixed');
    expect(diffCell('c', b('c', 'FAIL', [V7WBI]), b('c', 'FAIL', [FLUSH])).transition).toBe('still-failing');
    expect(diffCell('c', b('c', 'PASS'), b('c', 'PASS')).transition).toBe('still-passing');
  });

  it('not-comparable names its reason: ERROR on either side, config hash, toolchain, missing sides', () => {
    const err = diffCell('c', b('c', 'PASS'), b('c', 'ERROR', [INFRA]));
    expect(err).toMatchObject({ transition: 'not-comparable', reason: 'error', from: 'PASS', to: 'ERROR' });
    expect(err.detail).toContain('new');
    expect(err.detail).toContain('arm-linux-gnueabi-gcc: not found');
    expect(diffCell('c', b('c', 'ERROR', [INFRA]), b('c', 'FAIL', [V7WBI])).reason).toBe('error');
    const cfg = diffCell('c', b('c', 'PASS'), b('c', 'FAIL', [V7WBI], { configHash: 'other' }));
    expect(cfg).toMatchObject({ transition: 'not-comparable', reason: 'config' });
    const tc = diffCell('c', b('c', 'PASS'), b('c', 'FAIL', [V7WBI], { toolchain: 'arm-linux-gnueabi-gcc 13.1' }));
    expect(tc).toMatchObject({ transition: 'not-comparable', reason: 'toolchain' });
    expect(tc.detail).toContain('13.1');
    expect(diffCell('c', b('c', 'PASS'), b('c', 'PASS', [], { runtime: 'podman', image: 'sha256:abc' })).reason).toBe('toolchain');
    expect(diffCell('c', null, b('c', 'FAIL', [V7WBI]))).toMatchObject({ transition: 'not-comparable', reason: 'no-baseline', new: [V7WBI] });
    expect(diffCell('c', b('c', 'PASS'), null)).toMatchObject({ transition: 'not-comparable', reason: 'not-built' });
    // ERROR wins over other reasons: it decides the exit code.
    expect(diffCell('c', b('c', 'PASS', [], { configHash: 'x' }), b('c', 'ERROR', [INFRA])).reason).toBe('error');
  });

  it('diagnostics by fingerprint: new, gone, persisting (once per build)', () => {
    const d = diffCell('c', b('c', 'FAIL', [V7WBI, WARN]), b('c', 'FAIL', [FLUSH, WARN, { ...FLUSH, line: 3 }]));
    expect(d.new.map((x) => x.fingerprint)).toEqual(['fp-flush']);
    expect(d.gone.map((x) => x.fingerprint)).toEqual(['fp-v7wbi']);
    expect(d.persisting.map((x) => x.fingerprint)).toEqual(['fp-warn']);
  });
});

describe('diffBuilds: the replay story', () => {
  const baseline = [b('virt-v7/UP', 'PASS'), b('virt-v7/SMP', 'PASS'), b('virt-v7/UP-on-SMP', 'PASS')];
  const pgtable = [b('virt-v7/UP', 'FAIL', [V7WBI]), b('virt-v7/SMP', 'FAIL', [V7WBI]), b('virt-v7/UP-on-SMP', 'PASS')];
  const fix2013 = [b('virt-v7/UP', 'FAIL', [V7WBI]), b('virt-v7/SMP', 'FAIL', [FLUSH]), b('virt-v7/UP-on-SMP', 'FAIL', [FLUSH])];

  it('baseline → pgtable-mapping: two regressions, the seed diagnostic once with both cells', () => {
    const d = diffBuilds(baseline, pgtable, { fromSha: 'aaa', toSha: 'bbb' });
    expect(d.cells.map((c) => [c.cell, c.transition])).toEqual([
      ['virt-v7/UP', 'regression'],
      ['virt-v7/SMP', 'regression'],
      ['virt-v7/UP-on-SMP', 'still-passing'],
    ]);
    expect(d.diagnostics).toHaveLength(1);
    expect(d.diagnostics[0]).toMatchObject({ change: 'new', cells: ['virt-v7/UP', 'virt-v7/SMP'] });
    expect(diffExitCode(d)).toBe(1);
    const text = renderDiffText(d);
    expect(text.match(/v7wbi_flush_kern_tlb_range/g)).toHaveLength(1);
    expect(text).toContain('modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — UP, SMP');
  });

  it('pgtable-mapping → 2013-fix: still failing everywhere but UP-on-SMP regresses; gone/new/persisting aggregate', () => {
    const d = diffBuilds(pgtable, fix2013);
    expect(d.cells.map((c) => c.transition)).toEqual(['still-failing', 'still-failing', 'regression']);
    const agg = d.diagnostics.map((x) => [x.change, x.diagnostic.symbol, x.cells.join(',')]);
    expect(agg).toEqual([
      ['new', 'flush_tlb_kernel_range', 'virt-v7/SMP,virt-v7/UP-on-SMP'],
      ['gone', 'v7wbi_flush_kern_tlb_range', 'virt-v7/SMP'],
      ['persisting', 'v7wbi_flush_kern_tlb_range', 'virt-v7/UP'],
    ]);
  });

  it('2013-fix → tip: fixed everywhere, exit 0; JSON has the documented shape', () => {
    const d = diffBuilds(fix2013, baseline, { fromSha: 'f', toSha: 't' });
    expect(d.cells.every((c) => c.transition === 'fixed')).toBe(true);
    expect(diffExitCode(d)).toBe(0);
    const j = JSON.parse(JSON.stringify(diffJson(d))) as { from: string; to: string; cells: Record<string, unknown>[]; diagnostics: { cells: string[] }[] };
    expect(j.from).toBe('f');
    expect(Object.keys(j.cells[0]!)).toEqual(expect.arrayContaining(['cell', 'from', 'to', 'transition', 'new', 'gone', 'persisting', 'reason']));
    expect(j.diagnostics.every((x) => Array.isArray(x.cells))).toBe(true);
  });

  it('exit codes: ERROR or not built on either side → 3 unless there is a regression; config change → 3, never 0', () => {
    const withErr = [b('virt-v7/UP', 'ERROR', [INFRA]), b('virt-v7/SMP', 'PASS'), b('virt-v7/UP-on-SMP', 'PASS')];
    expect(diffExitCode(diffBuilds(baseline, withErr))).toBe(3);
    expect(diffExitCode(diffBuilds(baseline, [...withErr.slice(0, 2), b('virt-v7/UP-on-SMP', 'FAIL', [FLUSH])]))).toBe(1);
    // A different cell config compared nothing: unknown, even when the new side passes.
    const reconfigured = baseline.map((x) => b(x.cell, 'PASS', [], { configHash: 'new' }));
    expect(diffExitCode(diffBuilds(baseline, reconfigured))).toBe(3);
    expect(nightlyExitCode(diffBuilds(baseline, reconfigured))).toBe(3);
    // A cell missing on the new side (it threw, was interrupted…) is unknown, never a clean 0.
    const notBuilt = diffBuilds(baseline, reconfigured.slice(0, 1));
    expect(notBuilt.cells.filter((c) => c.reason === 'not-built')).toHaveLength(2);
    expect(diffExitCode(notBuilt)).toBe(3);
    const first = diffBuilds([], pgtable);
    expect(first.from).toBeNull();
    expect(first.cells.every((c) => c.reason === 'no-baseline')).toBe(true);
    // `diff A B` with nothing at A compared nothing: unknown. A first nightly whose cells all pass is clean (0); one
    // with failing cells cannot tell a regression from a pre-existing failure: unknown (3), the failures are listed.
    expect(diffExitCode(first)).toBe(3);
    expect(nightlyExitCode(first)).toBe(3);
    expect(renderDiffText(first)).toMatch(/verdict unknown \(never all clear\) for: virt-v7\/UP \(no-baseline\), virt-v7\/SMP \(no-baseline\)\n/);
    expect(nightlyExitCode(diffBuilds([], baseline))).toBe(0);
    expect(nightlyExitCode(diffBuilds(baseline, pgtable))).toBe(1);
    expect(nightlyExitCode(diffBuilds(baseline, withErr))).toBe(3);
    // An ERROR only in the baseline does not fail tonight's nightly when the cell passes now; a FAIL next to it is unknown.
    expect(nightlyExitCode(diffBuilds(withErr, baseline))).toBe(0);
    expect(nightlyExitCode(diffBuilds(withErr, pgtable.slice(0, 1)))).toBe(3);
  });

  it('PASS→FAIL hidden behind a toolchain or config difference is never exit 0 (3: unknown), and the nightly is partial', () => {
    const gcc13 = 'arm-linux-gnueabi-gcc (Debian 13.2.0-1) 13.2.0';
    for (const over of [{ toolchain: gcc13 }, { configHash: 'other' }, { runtime: 'podman', image: 'sha256:abc' }]) {
      const d = diffBuilds(baseline, pgtable.map((x) => ({ ...x, ...over })));
      expect(d.cells.slice(0, 2).map((c) => c.transition)).toEqual(['not-comparable', 'not-comparable']);
      expect(diffExitCode(d)).toBe(3);
      expect(nightlyExitCode(d)).toBe(3);
      expect(partialReason(d, false)).toMatch(/^not comparable with the baseline: virt-v7\/UP \((toolchain|config)\), virt-v7\/SMP/);
      expect(renderDiffText(d)).toContain('verdict unknown (never all clear) for: virt-v7/UP');
    }
  });

  it('a new error in an already failing cell is a regression (exit 1), said in the summary line', () => {
    // zram-break → pgtable-mapping on SMP: FLUSH persists, the v7wbi error is new.
    const before = [b('virt-v7/SMP', 'FAIL', [FLUSH])];
    const after = [b('virt-v7/SMP', 'FAIL', [FLUSH, V7WBI])];
    const d = diffBuilds(before, after);
    expect(d.cells[0]).toMatchObject({ transition: 'still-failing', new: [V7WBI] });
    expect(diffExitCode(d)).toBe(1);
    expect(nightlyExitCode(d)).toBe(1);
    expect(regressionCells(d).all.map((c) => c.cell)).toEqual(['virt-v7/SMP']);
    const text = renderDiffText(d);
    expect(text).toContain('virt-v7/SMP  FAIL   FAIL   still-failing (new errors: counts as a regression)');
    expect(text).toContain('1 regression(s) (1 with new errors in an already failing cell), 0 fixed, 1 still failing');
    expect(diffJson(d)['exitCode']).toBe(1);
    // Only a new warning, or an error that went away: not a regression.
    expect(diffExitCode(diffBuilds(before, [b('virt-v7/SMP', 'FAIL', [FLUSH, WARN])]))).toBe(0);
    expect(diffExitCode(diffBuilds(after, before))).toBe(0);
  });

  it('orders cells by the given order and keeps cells present on one side only', () => {
    const d = diffBuilds([b('a', 'PASS')], [b('b', 'PASS')], { order: ['b', 'a'] });
    expect(d.cells.map((c) => [c.cell, c.reason])).toEqual([
      ['b', 'no-baseline'],
      ['a', 'not-built'],
    ]);
  });
});

describe('labels', () => {
  it('diagnosticLine and short cell labels', () => {
    expect(diagnosticLine(V7WBI)).toBe('v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko');
    expect(diagnosticLine(WARN)).toBe('mm/zsmalloc.c:10: unused variable ‘x’ [-Wunused-variable]');
    expect(cellLabels(['virt-v7/UP', 'virt-v7/SMP'])('virt-v7/SMP')).toBe('SMP');
    expect(cellLabels(['virt-v7/UP', 'multi_v7/SMP'])('virt-v7/UP')).toBe('virt-v7/UP');
  });
});

describe('store queries and the nightly migration', () => {
  function store() {
    const db = openStore(join(mkdtempSync(join(tmpdir(), 'kmatrix-q-')), 'k.db'));
    const run = startRun(db, { command: 't', toolVersion: '0', matrixName: 'm', matrixHash: 'mh', tree: '/t/.git' });
    const add = (sha: string, date: string, cell: string, hash: string, status: BuildStatus, runtime = 'host', stage: 'build' | 'kconfig' = 'build') => {
      upsertCommit(db, { sha, treeSha: 't' + sha, subject: `s ${sha}`, author: 'a', authorDate: date });
      return recordBuild(db, {
        runId: run,
        commitSha: sha,
        cellId: cellId(db, cell, hash, { name: cell, hash }),
        status,
        stage,
        exitCode: 0,
        timedOut: false,
        seconds: 1,
        startedAt: date,
        logPath: null,
        runtime,
        image: null,
        toolchain: TC,
        diagnostics: status === 'FAIL' ? [V7WBI] : [],
      });
    };
    return { db, run, add };
  }

  it('migrates to the latest version with a nightlies table', () => {
    const { db } = store();
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    expect(lastNightly(db, 'm')).toBeNull();
  });

  it('findBuild filters by config hash, runtime and stage; latestBuildsAt prefers full builds', () => {
    const { db, add } = store();
    const sha = 'a'.repeat(40);
    add(sha, '2024-01-01T00:00:00Z', 'c/UP', 'h1', 'PASS');
    const failId = add(sha, '2024-01-01T00:00:00Z', 'c/UP', 'h1', 'FAIL', 'podman');
    add(sha, '2024-01-01T00:00:00Z', 'c/UP', 'h2', 'PASS', 'host', 'kconfig');
    expect(findBuild(db, sha, 'c/UP', { configHash: 'h1', runtime: 'host' })?.status).toBe('PASS');
    const f = findBuild(db, sha, 'c/UP', { runtime: 'podman' })!;
    expect(f).toMatchObject({ id: failId, status: 'FAIL', subject: `s ${sha}`, tree: '/t/.git' });
    expect(f.diagnostics.map((d) => d.fingerprint)).toEqual(['fp-v7wbi']);
    expect(f.definition).toMatchObject({ name: 'c/UP' });
    expect(findBuild(db, sha, 'c/UP', { configHash: 'h3' })).toBeNull();
    expect(latestBuildsAt(db, [sha]).map((x) => x.id)).toEqual([failId]);
    expect(commitsByPrefix(db, 'aaaa')).toEqual([sha]);
  });

  it('recentCommits newest first by author date; nightlies are recorded and found by matrix name', () => {
    const { db, add, run } = store();
    add('1'.repeat(40), '2024-01-01T00:00:00Z', 'c/UP', 'h', 'PASS');
    add('2'.repeat(40), '2024-03-01T00:00:00Z', 'c/UP', 'h', 'PASS');
    add('3'.repeat(40), '2024-02-01T00:00:00+01:00', 'c/UP', 'h', 'PASS');
    expect(recentCommits(db, 2).map((c) => c.sha[0])).toEqual(['2', '3']);
    const base = { runId: run, ref: 'main', matrixName: 'm', matrixHash: 'mh', baselineSha: null, createdAt: 'now', regressions: 0, exitCode: 0, partial: null };
    const b1 = add('1'.repeat(40), '2024-01-01T00:00:00Z', 'c/SMP', 'h', 'FAIL');
    recordNightly(db, { ...base, sha: '1'.repeat(40) }, [b1]);
    const id = recordNightly(db, { ...base, sha: '2'.repeat(40), baselineSha: '1'.repeat(40) });
    expect(nightlyBuilds(db, id - 1).map((x) => [x.id, x.cell, x.status])).toEqual([[b1, 'c/SMP', 'FAIL']]);
    expect(nightlyBuilds(db, id)).toEqual([]);
    expect(lastNightly(db, 'm')).toMatchObject({ id, sha: '2'.repeat(40), baselineSha: '1'.repeat(40), runId: run });
    expect(lastNightly(db, 'other')).toBeNull();
  });

  it('a partial nightly is recorded as such and never picked as the baseline', () => {
    const { db, run } = store();
    const base = { runId: run, ref: 'main', matrixName: 'm', matrixHash: 'mh', baselineSha: null, createdAt: 'now', regressions: 0, exitCode: 0, partial: null };
    const complete = recordNightly(db, { ...base, sha: '1'.repeat(40) });
    const p1 = recordNightly(db, { ...base, sha: '2'.repeat(40), exitCode: 3, partial: 'interrupted' });
    const p2 = recordNightly(db, { ...base, sha: '3'.repeat(40), exitCode: 3, partial: 'ERROR in c/UP' });
    expect(lastNightly(db, 'm')).toMatchObject({ id: p2, partial: 'ERROR in c/UP' });
    expect(lastNightly(db, 'm', { complete: true })).toMatchObject({ id: complete, sha: '1'.repeat(40), partial: null });
    expect(partialNightliesSince(db, 'm', complete).map((n) => [n.id, n.partial])).toEqual([
      [p2, 'ERROR in c/UP'],
      [p1, 'interrupted'],
    ]);
  });
});
