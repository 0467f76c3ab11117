/** Per-stage times and ccache counts (issue 11): recorded per build, shown by run --json, progress lines and `kmatrix log`. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logCommand } from '../../src/cli/log.js';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { runMatrix } from '../../src/pipeline/run.js';
import { minutesAndSeconds, roundStages, stageSecs, stageSummary } from '../../src/stage-text.js';
import { buildJson } from '../../src/report/run-json.js';
import { cellId, openStore, recordBuild, recordStoreTime, runBuilds, startRun, upsertCommit, type Store } from '../../src/store/db.js';
import { loadBuild } from '../../src/store/queries.js';
import { fakeRuntime, fakeTree } from '../helpers/fake-tree.js';

const matrix = loadMatrix(DEFAULT_MATRIX);
const A = 'a'.repeat(40);

describe('stage summary (pure)', () => {
  it('is brief on progress lines: a skipped Kconfig stage, make, ccache hits/misses', () => {
    expect(stageSummary({ kconfigSkipped: true, make: 3.14, compress: 0.02, classify: 0.05, store: 0.004 }, { hits: 12, misses: 0, uncacheable: 1 })).toBe(
      'kconfig skipped · make 3.1s · ccache 12/0',
    );
    expect(stageSummary({ kconfig: 2.5, kconfigSkipped: false, make: 95 }, null)).toBe('kconfig 2.5s · make 1m35s');
  });

  it('spells everything out for `kmatrix log`, and is empty when nothing was measured', () => {
    expect(stageSummary({ kconfig: 1, make: 3.1, compress: 0.02, classify: 0.25, store: 0.004 }, { hits: 3, misses: 2, uncacheable: 1 }, true)).toBe(
      'kconfig 1.0s · make 3.1s · compress 0.02s · classify 0.3s · store 0.004s · ccache 3 hit(s), 2 miss(es), 1 uncacheable',
    );
    expect(stageSummary({}, null)).toBe('');
    expect(stageSummary({}, null, true)).toBe('');
  });

  it('formats seconds and rounds JSON stage times to milliseconds', () => {
    expect([stageSecs(0), stageSecs(0.0042), stageSecs(0.042), stageSecs(0.42), stageSecs(4.25), stageSecs(125)]).toEqual(['0.0s', '0.004s', '0.04s', '0.4s', '4.3s', '2m05s']);
    // Rounded before splitting: 119.6 s is 2m00s, never 1m60s (a progress line showed `1m60s`).
    expect([stageSecs(119.6), stageSecs(60), stageSecs(179.4)]).toEqual(['2m00s', '1m00s', '2m59s']);
    expect(minutesAndSeconds(3599.5)).toEqual([60, '00']);
    expect(roundStages({ kconfig: 1.23456, kconfigSkipped: false, make: 0.00049 })).toEqual({ kconfig: 1.235, kconfigSkipped: false, make: 0 });
  });
});

describe('run --json stages and ccache', () => {
  const base = { commit: { sha: A, subject: 's' }, cell: { name: 'virt-v7/UP' }, status: 'PASS' as const, seconds: 5, diagnostics: [] };
  it('shows a fresh build’s stages and ccache counts', () => {
    const j = buildJson({ ...base, cached: false, stages: { kconfigSkipped: true, make: 3.14159, store: 0.0021 }, ccache: { hits: 12, misses: 1, uncacheable: 0 } });
    expect(j['stages']).toEqual({ kconfigSkipped: true, make: 3.142, store: 0.002 });
    expect(j['ccache']).toEqual({ hits: 12, misses: 1, uncacheable: 0 });
  });
  it('a reused result shows null, never stage times of this run', () => {
    const j = buildJson({ ...base, cached: true, stages: { make: 3 }, ccache: { hits: 1, misses: 0, uncacheable: 0 } });
    expect([j['stages'], j['ccache']]).toEqual([null, null]);
  });
});

/** Record one build with the given stages in a fresh store; returns the store and the build id. */
function storeWith(stages: Parameters<typeof recordBuild>[1]['stages'], ccache: Parameters<typeof recordBuild>[1]['ccache']): { db: Store; id: number; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kmatrix-stages-'));
  const db = openStore(join(dir, 'kmatrix.db'));
  const runId = startRun(db, { command: 'run', toolVersion: '0.1.0', matrixName: 'm', matrixHash: 'h', tree: '/t' });
  upsertCommit(db, { sha: A, treeSha: 'b'.repeat(40), subject: 's', author: 'kmatrix fixture <fixture@kmatrix.invalid>', authorDate: '2024-01-01' });
  const log = join(dir, 'logs', 'run-1', 'x.log.gz');
  mkdirSync(join(log, '..'), { recursive: true });
  writeFileSync(log, gzipSync('  CC      mm/zsmalloc.o\n'));
  const id = recordBuild(db, {
    runId,
    commitSha: A,
    cellId: cellId(db, 'virt-v7/UP', 'h', {}),
    status: 'PASS',
    stage: 'build',
    exitCode: 0,
    timedOut: false,
    seconds: 4.5,
    startedAt: '2024-01-01T00:00:00Z',
    logPath: log,
    runtime: 'host',
    image: null,
    toolchain: 'gcc',
    diagnostics: [],
    stages,
    ccache,
  });
  return { db, id, dir };
}

describe('stored stage times (schema 6)', () => {
  it('round-trip through recordBuild, recordStoreTime, runBuilds and loadBuild', () => {
    const { db, id } = storeWith({ kconfig: 1.5, kconfigSkipped: false, make: 3.25, compress: 0.02, classify: 0.1 }, { hits: 7, misses: 2, uncacheable: 1 });
    recordStoreTime(db, id, 0.004);
    const want = { stages: { kconfig: 1.5, kconfigSkipped: false, make: 3.25, compress: 0.02, classify: 0.1, store: 0.004 }, ccache: { hits: 7, misses: 2, uncacheable: 1 } };
    expect(runBuilds(db, 1)[0]).toMatchObject(want);
    expect(loadBuild(db, id)).toMatchObject(want);
    // The st_ columns never leak into the build objects.
    expect(Object.keys(loadBuild(db, id)!).filter((k) => k.startsWith('st_'))).toEqual([]);
  });

  it('a build without measurements reads back as no stages and no ccache (not zeros)', () => {
    const { db, id } = storeWith(undefined, undefined);
    expect(loadBuild(db, id)).toMatchObject({ stages: {}, ccache: null });
    const skipped = storeWith({ kconfigSkipped: true }, null);
    expect(loadBuild(skipped.db, skipped.id)).toMatchObject({ stages: { kconfigSkipped: true }, ccache: null });
  });

  it('`kmatrix log` prints the stages next to the status, or says none were recorded', async () => {
    const { db, id, dir } = storeWith({ kconfigSkipped: true, make: 3.1, classify: 0.05 }, { hits: 12, misses: 0, uncacheable: 0 });
    recordStoreTime(db, id, 0.003);
    db.close();
    const r = await logCommand(A.slice(0, 12), 'virt-v7/UP', { db: join(dir, 'kmatrix.db') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mm/zsmalloc.o');
    expect(r.stderr).toContain('kmatrix: 4.5s: kconfig skipped · make 3.1s · classify 0.05s · store 0.003s · ccache 12 hit(s), 0 miss(es), 0 uncacheable\n');
    const old = storeWith(undefined, undefined);
    old.db.close();
    const r2 = await logCommand(A.slice(0, 12), 'virt-v7/UP', { db: join(old.dir, 'kmatrix.db') });
    expect(r2.stderr).toContain('no stage times recorded');
  });
});

describe('the pipeline times classification and recording', () => {
  it('fresh builds carry classify and store times (in the result and the store); reused ones carry none', async () => {
    const { tree, shas } = fakeTree(1);
    const results = mkdtempSync(join(tmpdir(), 'kmatrix-stages-run-'));
    const store = openStore(join(results, 'kmatrix.db'));
    const opts = {
      tree,
      matrix,
      cells: matrix.cells,
      revisions: shas,
      store,
      cache: join(results, 'cache'),
      resultsDir: results,
      runtime: fakeRuntime(matrix.cells),
      command: 'test',
      progress: 'silent' as const,
    };
    const first = await runMatrix(opts);
    expect(first.builds).toHaveLength(3);
    for (const b of first.builds) {
      expect(b.cached).toBe(false);
      expect(b.stages.classify).toEqual(expect.any(Number));
      expect(b.stages.store).toEqual(expect.any(Number));
      const stored = loadBuild(store, b.buildId)!;
      expect(stored.stages.classify).toBe(b.stages.classify);
      expect(stored.stages.store).toBe(b.stages.store);
      expect(buildJson(b)['stages']).toMatchObject({ classify: expect.any(Number), store: expect.any(Number) });
    }
    const again = await runMatrix(opts);
    expect(again.builds.map((b) => [b.cached, b.stages, b.ccache])).toEqual(first.builds.map(() => [true, {}, null]));
    expect(again.builds.map((b) => buildJson(b)['stages'])).toEqual([null, null, null]);
    store.close();
  });
});
