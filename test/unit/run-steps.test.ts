import { describe, expect, it } from 'vitest';
import type { Cell } from '../../src/matrix/load.js';
import { planCommit } from '../../src/pipeline/execute.js';
import { buildLine, commitLine } from '../../src/pipeline/progress.js';
import { createRecorder } from '../../src/pipeline/recorder.js';
import type { RunBuild } from '../../src/pipeline/run-types.js';
import type { ToolchainIdentity } from '../../src/runtime/runtime.js';
import { openStore, runBuilds, type StoredBuild } from '../../src/store/db.js';
import { timed } from '../../src/timed.js';
import { buildKey, placeKey, type CommitInfo, type StageTimes } from '../../src/types.js';

/** A cell as far as the run's steps look at it (name and hash; the rest is recorded as its definition). */
const cell = (name: string): Cell => ({ name, hash: `h-${name}` }) as unknown as Cell;
const commit = (n: number): CommitInfo => ({ sha: `${n}`.repeat(40), treeSha: `t${n}`, subject: `commit ${n}`, author: 'A <a@example.org>', authorDate: '2026-01-01T00:00:00Z' });
const tc: ToolchainIdentity = { runtime: 'host', image: null, compiler: 'gcc 12' };

describe('planCommit', () => {
  it('refuses a cell whose toolchain has a problem without asking the store; reuses what is stored; builds the rest, in cell order', () => {
    const asked: string[] = [];
    const hit = { id: 7 } as StoredBuild;
    const plan = planCommit(
      [cell('a'), cell('b'), cell('c'), cell('d')],
      (c) => (c.name === 'b' ? { kind: 'toolchain-missing', cause: 'pin' } : null),
      (c) => {
        asked.push(c.name);
        return c.name === 'c' ? hit : null;
      },
    );
    expect(asked).toEqual(['a', 'c', 'd']);
    expect(plan.refused.map((r) => [r.cell.name, r.problem.cause])).toEqual([['b', 'pin']]);
    expect(plan.reused.map((r) => [r.cell.name, r.hit])).toEqual([['c', hit]]);
    expect(plan.build.map((c) => c.name)).toEqual(['a', 'd']);
  });
});

describe('timed', () => {
  it('sets the stage to the seconds taken, for sync and async work, and also when the work throws', async () => {
    const st: StageTimes = {};
    expect(timed(st, 'store', () => 42)).toBe(42);
    expect(st.store).toBeGreaterThanOrEqual(0);
    expect(await timed(st, 'make', () => new Promise((r) => setTimeout(() => r('done'), 30)))).toBe('done');
    expect(st.make).toBeGreaterThanOrEqual(0.02);
    expect(() =>
      timed(st, 'classify', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(st.classify).toBeGreaterThanOrEqual(0);
    await expect(timed(st, 'compress', () => Promise.reject(new Error('late')))).rejects.toThrow('late');
    expect(st.compress).toBeGreaterThanOrEqual(0);
  });
});

describe('buildKey and placeKey', () => {
  it('a build key is the tree, cell name and hash, stage and toolchain; place keys of different places differ', () => {
    expect(buildKey('t1', { name: 'a', hash: 'h' }, 'build', { runtime: 'podman', image: 'sha256:x', toolchain: 'gcc 12' })).toEqual({
      treeSha: 't1',
      cell: 'a',
      configHash: 'h',
      stage: 'build',
      runtime: 'podman',
      image: 'sha256:x',
      toolchain: 'gcc 12',
    });
    expect(placeKey('ab', 'c')).not.toBe(placeKey('a', 'bc'));
    expect(placeKey('ab', 'c')).toBe(placeKey('ab', 'c'));
  });
});

describe('the recorder', () => {
  it('records ERROR builds, notes why a place has none, and returns builds in commit × cell order with every missing place', () => {
    const store = openStore(':memory:');
    const runId = Number(store.prepare(`INSERT INTO runs (started_at, tool_version, command, matrix_name, matrix_hash, tree) VALUES ('x', 'v', 'run', 'm', 'mh', '/t')`).run().lastInsertRowid);
    const rec = createRecorder(store, runId);
    const [c1, c2] = [commit(1), commit(2)];
    const cells = [cell('a'), cell('b')];
    rec.error(c2, cells[1]!, tc, 'checkout failed');
    rec.error(c1, cells[1]!, tc, 'pin missing', { kind: 'toolchain-missing' });
    rec.failed(c2, cells[0]!, 'recording the build failed: disk full');
    const { builds, missing } = rec.result([c1, c2], cells, false);
    expect(builds.map((b: RunBuild) => [b.commit.sha, b.cell.name, b.status, b.diagnostics[0]!.kind])).toEqual([
      [c1.sha, 'b', 'ERROR', 'toolchain-missing'],
      [c2.sha, 'b', 'ERROR', 'infra'],
    ]);
    expect(builds[1]!.diagnostics[0]!.message).toBe('kmatrix: checkout failed');
    // An ERROR row of this run is a fresh record like a build: it carries the time recording it took (as before the split).
    expect(builds.map((b) => typeof b.stages.store)).toEqual(['number', 'number']);
    expect(runBuilds(store, runId).map((b) => typeof b.stages.store)).toEqual(['number', 'number']);
    expect(missing.map((m) => [m.commit.sha, m.cell.name, m.reason])).toEqual([
      [c1.sha, 'a', 'not built'],
      [c2.sha, 'a', 'recording the build failed: disk full'],
    ]);
    expect(rec.result([c1, c2], cells, true).missing[0]!.reason).toBe('interrupted before it was built');
    expect(runBuilds(store, runId).map((b) => [b.cell, b.status, b.runtime, b.toolchain])).toEqual([
      ['b', 'ERROR', 'host', 'gcc 12'],
      ['b', 'ERROR', 'host', 'gcc 12'],
    ]);
  });

  it('errorOrNote: a store that cannot record is noted as the reason, with the cause', () => {
    const store = openStore(':memory:');
    const rec = createRecorder(store, 999_999); // no such run: the insert fails its foreign key
    rec.errorOrNote(commit(1), cell('a'), tc, 'checkout of 111 failed: x');
    const { builds, missing } = rec.result([commit(1)], [cell('a')], false);
    expect(builds).toEqual([]);
    expect(missing[0]!.reason).toMatch(/^checkout of 111 failed: x; recording it failed: .*FOREIGN KEY/);
  });
});

describe('progress lines', () => {
  it('say what the run did, as before the display listened to events', () => {
    const c = commit(3);
    const head = `${'3'.repeat(12)} commit 3`;
    expect(commitLine(c, { state: 'cached', cached: 3 })).toBe(`${head} (3 cached)`);
    expect(commitLine(c, { state: 'waiting', pid: 42 })).toBe(`${head} (waiting for process 42, building in this tree)`);
    expect(commitLine(c, { state: 'cached-meanwhile', cached: 2 })).toBe(`${head} (2 cached, built meanwhile by another kmatrix)`);
    expect(commitLine(c, { state: 'checkout-failed' })).toBe(`${head}: ERROR (checkout failed)`);
    expect(commitLine(c, { state: 'building', cached: 0, cells: [] })).toBe(head);
    const b = { cell: cell('a'), status: 'FAIL', cached: false, seconds: 3.14, stages: { make: 3.1 }, ccache: null, diagnostics: [{ severity: 'error', message: 'undefined!' }] } as unknown as RunBuild;
    expect(buildLine(b)).toBe('a: FAIL 3.1s (make 3.1s) — undefined!');
    expect(buildLine({ ...b, cached: true, diagnostics: [] })).toBe('a: FAIL (cached)');
  });
});
