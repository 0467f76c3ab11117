import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_MATRIX } from '../../src/cli/options.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { findBuild, loadBuild } from '../../src/store/queries.js';
import { cellId, finishRun, openStore, recordBuild, startRun, upsertCommit, type Store } from '../../src/store/db.js';
import { absentShards, logTail, mergeStores, MergeRefused, type ExpectedMatrix } from '../../src/store/merge.js';
import { mergeCommand, mergeExitCode, renderMergeText } from '../../src/cli/merge.js';
import { v7wbiDiagnostic } from '../helpers/fixtures.js';

const A = 'a'.repeat(40);
const CELLS = ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP'];
const MATRIX: ExpectedMatrix = { name: 'zsmalloc-arm', hash: 'mh', cells: CELLS.map((name) => ({ name, hash: `h-${name}` })) };

/** A shard store with builds of the given cells at commit A (UP fails with the seed diagnostic). */
function shardStore(dir: string, name: string, cells: string[], o: { shard?: string; matrixHash?: string; status?: 'PASS' | 'FAIL' | 'ERROR'; startedAt?: string; killed?: boolean } = {}): string {
  const path = join(dir, name, 'kmatrix.db');
  const db = openStore(path);
  const runId = startRun(db, { command: 'run', toolVersion: '0.1.0', matrixName: 'zsmalloc-arm', matrixHash: o.matrixHash ?? 'mh', tree: '/t', shard: o.shard ?? null, host: 'runner-1', cells });
  upsertCommit(db, { sha: A, treeSha: 'b'.repeat(40), subject: 's', author: 'kmatrix demo <demo@kmatrix.invalid>', authorDate: '2024-01-01T00:00:00Z' });
  for (const cell of cells) {
    const log = join(dir, name, 'logs', `run-${runId}`, A.slice(0, 12), `${cell.replace('/', '__')}.log.gz`);
    mkdirSync(join(log, '..'), { recursive: true });
    writeFileSync(log, `log of ${cell} from ${name}`);
    const status = o.status ?? (cell === 'virt-v7/UP' ? 'FAIL' : 'PASS');
    const fail = status === 'FAIL';
    recordBuild(db, {
      runId,
      commitSha: A,
      cellId: cellId(db, cell, `h-${cell}`, { cell }),
      status,
      stage: 'build',
      exitCode: fail ? 2 : status === 'ERROR' ? null : 0,
      timedOut: false,
      seconds: 8,
      startedAt: o.startedAt ?? '2024-01-01T00:00:00Z',
      logPath: log,
      runtime: 'podman',
      image: 'sha256:1',
      toolchain: 'arm-linux-gnueabi-gcc 12.2.0',
      diagnostics: fail ? [v7wbiDiagnostic()] : [],
      stages: { kconfigSkipped: true, make: cell.length / 10, classify: 0.01 },
      ccache: fail ? null : { hits: cell.length, misses: 1, uncacheable: 0 },
    });
  }
  if (!o.killed) finishRun(db, runId);
  db.close();
  return path;
}

/** Everything a merge must carry, in a comparable form. */
function contents(db: Store) {
  return {
    builds: db
      .prepare(
        `SELECT c.name, b.commit_sha, b.status, b.runtime, b.image, b.toolchain, b.origin, r.shard, r.host,
                (SELECT group_concat(fingerprint) FROM diagnostics d WHERE d.build_id = b.id) AS fps
         FROM builds b JOIN cells c ON c.id = b.cell_id JOIN runs r ON r.id = b.run_id ORDER BY b.id`,
      )
      .all(),
    counts: ['runs', 'commits', 'cells', 'builds', 'diagnostics', 'merges', 'merge_conflicts'].map(
      (t) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
    ),
  };
}

describe('merging shard stores', () => {
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
    const s1 = shardStore(dir, 's1', ['virt-v7/UP'], { shard: '1/3' });
    const s2 = shardStore(dir, 's2', ['virt-v7/SMP', 'virt-v7/UP-on-SMP'], { shard: '2/3' });
    const into = join(dir, 'all', 'kmatrix.db');
    return { dir, s1, s2, into, db: openStore(into) };
  };

  it('carries builds, diagnostics, logs and provenance; merging again changes nothing', () => {
    const { s1, s2, into, db } = setup();
    const r = mergeStores(db, [s1, s2], { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' });
    expect(r.noop).toBe(false);
    expect(r.conflicts).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.sources.map((s) => [s.shards, s.hosts, s.buildsAdded, s.logsCopied])).toEqual([
      [['1/3'], ['runner-1'], 1, 1],
      [['2/3'], ['runner-1'], 2, 2],
    ]);
    const first = contents(db);
    expect(first.builds).toHaveLength(3);
    expect(first.builds.map((b) => (b as { shard: string }).shard)).toEqual(['1/3', '2/3', '2/3']);
    expect((first.builds[0] as { fps: string }).fps).toBe(v7wbiDiagnostic().fingerprint);
    const logs = db.prepare(`SELECT log_path AS p FROM builds`).all() as { p: string }[];
    for (const l of logs) {
      expect(l.p.startsWith(join(into, '..', 'logs'))).toBe(true);
      expect(readFileSync(l.p, 'utf8')).toMatch(/^log of virt-v7\//);
    }
    const again = mergeStores(db, [s1, s2], { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' });
    expect(again.noop).toBe(true);
    expect(again.sources.map((s) => s.buildsKnown)).toEqual([1, 2]);
    expect(contents(db)).toEqual(first);
  });

  it('shows cells no shard built as missing', () => {
    const { s1, into, db } = setup();
    const r = mergeStores(db, [s1], { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' });
    expect(r.missing).toEqual([{ commitSha: A, cells: ['virt-v7/SMP', 'virt-v7/UP-on-SMP'] }]);
  });

  it('refuses a store of another matrix, writing nothing', () => {
    const { dir, s1, into, db } = setup();
    const other = shardStore(dir, 'other', ['virt-v7/SMP'], { matrixHash: 'other-hash' });
    const before = contents(db);
    expect(() => mergeStores(db, [s1, other], { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' })).toThrow(MergeRefused);
    expect(() => mergeStores(db, [s1, other], { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' })).toThrow(/other-hash/);
    expect(contents(db)).toEqual(before);
    expect(existsSync(join(into, '..', 'logs'))).toBe(false);
  });

  it('refuses the target itself, the same store twice and files that are not kmatrix stores', () => {
    const { dir, s1, into, db } = setup();
    const m = { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' };
    expect(() => mergeStores(db, [into], m)).toThrow(/target store itself/);
    expect(() => mergeStores(db, [s1, s1], m)).toThrow(/same store/);
    writeFileSync(join(dir, 'junk.db'), 'not sqlite');
    expect(() => mergeStores(db, [join(dir, 'junk.db')], m)).toThrow(/not a kmatrix store/);
  });

  it('the command leaves no target store behind when the merge is refused (exit 2)', () => {
    const { dir, s1 } = setup();
    writeFileSync(join(dir, 'junk.db'), 'not sqlite');
    for (const sources of [[s1, s1], [join(dir, 'junk.db')], [join(dir, 'nonexistent.db')]]) {
      const into = join(dir, `fresh-${sources.length}-${existsSync(sources[0]!) ? 'x' : 'n'}.db`);
      const r = mergeCommand(sources, { into });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/kmatrix: /);
      expect(existsSync(into)).toBe(false);
      expect(existsSync(`${into}-wal`)).toBe(false);
    }
  });

  it('reports the same build with another result as a conflict and keeps the existing one', () => {
    const { dir, s1, into, db } = setup();
    const flaky = shardStore(dir, 'flaky', ['virt-v7/UP'], { shard: '1/3', status: 'PASS' });
    const m = { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' };
    mergeStores(db, [s1], m);
    const r = mergeStores(db, [flaky], m);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]!.cell).toBe('virt-v7/UP');
    expect(r.conflicts[0]!.detail).toMatch(/kept build .*FAIL.*incoming PASS/);
    const statuses = db.prepare(`SELECT status FROM builds`).all();
    expect(statuses).toEqual([{ status: 'FAIL' }]);
    const once = contents(db);
    // Reported again on a second merge, but not stored twice.
    expect(mergeStores(db, [flaky], m).conflicts).toHaveLength(1);
    expect(contents(db)).toEqual(once);
  });
});

describe('stage times and ccache counts (schema 6)', () => {
  it('travel with the merged builds; a schema-5 source (no such columns) merges with them unknown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
    const s1 = shardStore(dir, 's1', ['virt-v7/UP', 'virt-v7/SMP'], { shard: '1/1' });
    const into = join(dir, 'all', 'kmatrix.db');
    const db = openStore(into);
    mergeStores(db, [s1], { targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' });
    const merged = db.prepare(`SELECT id FROM builds ORDER BY id`).all() as { id: number }[];
    expect(merged.map((b) => loadBuild(db, b.id)).map((b) => [b!.cell, b!.stages, b!.ccache])).toEqual([
      ['virt-v7/UP', { kconfigSkipped: true, make: 1, classify: 0.01 }, null],
      ['virt-v7/SMP', { kconfigSkipped: true, make: 1.1, classify: 0.01 }, { hits: 11, misses: 1, uncacheable: 0 }],
    ]);
    // The v5 fixture (written by schema-5 code, opened read-only as a source: never migrated) under its own matrix.
    const v5 = join(dir, 'v5.db');
    copyFileSync(resolve(import.meta.dirname, '../fixtures/store/v5.db'), v5);
    const target = openStore(join(dir, 'all5', 'kmatrix.db'));
    const r = mergeStores(target, [v5], { targetDir: join(dir, 'all5'), matrix: { name: 'zsmalloc-arm', hash: 'mhash', cells: [] }, toolVersion: '0.1.0' });
    expect(r.sources[0]!.buildsAdded).toBe(4);
    const rows = (target.prepare(`SELECT id FROM builds ORDER BY id`).all() as { id: number }[]).map((b) => loadBuild(target, b.id)!);
    expect(rows.map((b) => [b.status, b.stages, b.ccache])).toEqual([
      ['PASS', {}, null],
      ['PASS', {}, null],
      ['FAIL', {}, null],
      ['ERROR', {}, null],
    ]);
  });
});

describe('a cell no shard built', () => {
  it('is listed by diff as not-comparable (not-built), never PASS, even with no build on either side', async () => {
    const { diffBuilds } = await import('../../src/compare/diff.js');
    const { nightlyExitCode } = await import('../../src/compare/nightly.js');
    const b = (cell: string) => ({ cell, commitSha: A, status: 'PASS' as const, configHash: 'h', toolchain: 't', runtime: 'podman', image: null, diagnostics: [] });
    const d = diffBuilds([b('virt-v7/UP')], [b('virt-v7/UP')], { fromSha: A, toSha: A, order: CELLS });
    expect(d.cells.map((c) => [c.cell, c.to, c.transition, c.reason])).toEqual([
      ['virt-v7/UP', 'PASS', 'still-passing', null],
      ['virt-v7/SMP', null, 'not-comparable', 'not-built'],
      ['virt-v7/UP-on-SMP', null, 'not-comparable', 'not-built'],
    ]);
    expect(nightlyExitCode(d)).toBe(3);
  });
});

describe('an incomplete set of shards', () => {
  it('names the shards of N no store came from (pure)', () => {
    expect(absentShards(['1/3', '3/3'])).toEqual(['2/3']);
    expect(absentShards(['1/3', '2/3', '3/3'])).toEqual([]);
    expect(absentShards([])).toEqual([]);
    expect(absentShards(['1/2', '1/3'])).toEqual([]); // mixed counts: nothing to infer
  });

  it('reports a killed shard (unfinished run) and an absent one, exit 3; a complete set exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
    const s1 = shardStore(dir, 's1', ['virt-v7/UP'], { shard: '1/3' });
    const s3 = shardStore(dir, 's3', [], { shard: '3/3', killed: true });
    const db = openStore(join(dir, 'all', 'kmatrix.db'));
    const r = mergeStores(db, [s1, s3], { targetDir: join(dir, 'all'), matrix: MATRIX, toolVersion: '0.1.0' });
    expect(r.absentShards).toEqual(['2/3']);
    expect(r.sources[1]!.unfinishedRuns).toEqual([{ id: 1, shard: '3/3', startedAt: expect.any(String) }]);
    expect(mergeExitCode(r)).toBe(3);
    const text = renderMergeText(r, 'all.db');
    expect(text).toMatch(/UNFINISHED run 1 of .*s3\/kmatrix.db \(shard 3\/3\)/);
    expect(text).toMatch(/ABSENT shard 2\/3/);
    expect(text).toMatch(/MISSING aaaaaaaaaaaa: virt-v7\/SMP, virt-v7\/UP-on-SMP/);
    const s2 = shardStore(dir, 's2', ['virt-v7/SMP', 'virt-v7/UP-on-SMP'], { shard: '2/3' });
    const s3ok = shardStore(dir, 's3ok', [], { shard: '3/3' });
    const db2 = openStore(join(dir, 'all2', 'kmatrix.db'));
    expect(mergeExitCode(mergeStores(db2, [s1, s2, s3ok], { targetDir: join(dir, 'all2'), matrix: MATRIX, toolVersion: '0.1.0' }))).toBe(0);
  });
});

/** Set a build's stored log path in a shard store (as a hostile or damaged shard would have it). */
function setLogPath(store: string, logPath: string, cell = 'virt-v7/UP'): void {
  const db = new Database(store);
  db.prepare(`UPDATE builds SET log_path = ? WHERE cell_id = (SELECT id FROM cells WHERE name = ?)`).run(logPath, cell);
  db.close();
}

/** Every file under `dir`, relative to it (sorted). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('a shard whose stored log path leads outside its folder (path traversal)', () => {
  const real = loadMatrix(DEFAULT_MATRIX);
  const matrix: ExpectedMatrix = { name: real.name, hash: real.hash, cells: real.cells.map((c) => ({ name: c.name, hash: c.hash })) };
  const m = (into: string) => ({ targetDir: join(into, '..'), matrix, toolVersion: '0.1.0' });
  const cases: { name: string; logPath: (dir: string, shard: string) => string; setup?: (dir: string, shard: string) => void }[] = [
    { name: 'an absolute path elsewhere (/etc/passwd)', logPath: () => '/etc/passwd' },
    { name: 'a key beside the shard folder, reached by ../', logPath: (dir) => join(dir, 's1', 'logs', '..', '..', 'secret.key') },
    { name: 'a ../ after logs/ (would write outside the results)', logPath: (_dir, shard) => `${shard}/logs/run-1/../../../escape.txt` },
    {
      name: 'a symbolic link inside logs/ to a file outside',
      logPath: (_dir, shard) => join(shard, 'logs', 'run-1', 'link.log.gz'),
      setup: (dir, shard) => symlinkSync(join(dir, 'secret.key'), join(shard, 'logs', 'run-1', 'link.log.gz')),
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming the build; nothing is copied or written`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
      writeFileSync(join(dir, 'secret.key'), 'PRIVATE KEY');
      writeFileSync(join(dir, 'escape.txt'), 'outside the shard');
      const s1 = shardStore(dir, 's1', ['virt-v7/UP', 'virt-v7/SMP'], { shard: '1/1', matrixHash: real.hash });
      const shard = join(s1, '..');
      c.setup?.(dir, shard);
      setLogPath(s1, c.logPath(dir, shard));
      const into = join(dir, 'all', 'kmatrix.db');
      const db = openStore(into);
      const before = contents(db);
      expect(() => mergeStores(db, [s1], m(into))).toThrow(MergeRefused);
      expect(() => mergeStores(db, [s1], m(into))).toThrow(/s1\/kmatrix\.db: build 1 \(virt-v7\/UP @ aaaaaaaaaaaa\): log path '.*' .*refusing to merge/);
      expect(contents(db)).toEqual(before);
      expect(filesUnder(join(dir, 'all'))).toEqual(['kmatrix.db', 'kmatrix.db-shm', 'kmatrix.db-wal']);
      db.close();
      // The command: exit 2, the row named, no target left behind.
      const r = mergeCommand([s1], { into: join(dir, 'cmd', 'kmatrix.db') });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/build 1 \(virt-v7\/UP/);
      expect(existsSync(join(dir, 'cmd'))).toBe(false);
    });
  }

  it('still copies logs found beside a shard store that was moved (its recorded absolute path is gone)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
    const s1 = shardStore(dir, 's1', ['virt-v7/UP'], { shard: '1/1', matrixHash: real.hash });
    renameSync(join(dir, 's1'), join(dir, 'moved'));
    const into = join(dir, 'all', 'kmatrix.db');
    const db = openStore(into);
    const r = mergeStores(db, [join(dir, 'moved', 'kmatrix.db')], m(into));
    expect(r.sources[0]!.logsCopied).toBe(1);
    const p = (db.prepare(`SELECT log_path AS p FROM builds`).get() as { p: string }).p;
    expect(readFileSync(p, 'utf8')).toBe('log of virt-v7/UP from s1');
  });
});

describe('a real result and an infrastructure ERROR of the same build', () => {
  const m = (into: string) => ({ targetDir: join(into, '..'), matrix: MATRIX, toolVersion: '0.1.0' });
  const latest = (db: Store) => findBuild(db, A, 'virt-v7/UP')!.status;
  const pairs: { name: string; first: { status: 'PASS' | 'FAIL' | 'ERROR'; at: string }; second: { status: 'PASS' | 'FAIL' | 'ERROR'; at: string }; stands: string; why: RegExp }[] = [
    { name: 'a rebuild that passed after an interrupted ERROR (merged later) wins', first: { status: 'ERROR', at: '2024-01-01T10:00:00Z' }, second: { status: 'PASS', at: '2024-01-01T11:00:00Z' }, stands: 'PASS', why: /kept incoming build .*PASS.* over build 1 \(ERROR.*real result outranks an infrastructure ERROR/ },
    { name: 'a PASS wins over an ERROR even when the ERROR started later', first: { status: 'ERROR', at: '2024-01-01T12:00:00Z' }, second: { status: 'PASS', at: '2024-01-01T11:00:00Z' }, stands: 'PASS', why: /outranks an infrastructure ERROR/ },
    { name: 'a later ERROR does not replace a FAIL', first: { status: 'FAIL', at: '2024-01-01T10:00:00Z' }, second: { status: 'ERROR', at: '2024-01-01T11:00:00Z' }, stands: 'FAIL', why: /kept build 1 \(FAIL .*incoming ERROR/ },
    { name: 'between two real results the newer start wins (FAIL then a newer PASS)', first: { status: 'FAIL', at: '2024-01-01T10:00:00Z' }, second: { status: 'PASS', at: '2024-01-01T11:00:00Z' }, stands: 'PASS', why: /kept incoming build .*PASS.*over build 1 \(FAIL.*the newer result/ },
    { name: 'between two real results the newer start wins (an older PASS merged later)', first: { status: 'FAIL', at: '2024-01-01T11:00:00Z' }, second: { status: 'PASS', at: '2024-01-01T10:00:00Z' }, stands: 'FAIL', why: /kept build 1 \(FAIL/ },
  ];
  for (const p of pairs) {
    it(`${p.name}; the conflict is still reported`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
      const a = shardStore(dir, 'a', ['virt-v7/UP'], { shard: '1/1', status: p.first.status, startedAt: p.first.at });
      const b = shardStore(dir, 'b', ['virt-v7/UP'], { shard: '1/1', status: p.second.status, startedAt: p.second.at });
      const into = join(dir, 'all', 'kmatrix.db');
      const db = openStore(into);
      mergeStores(db, [a], m(into));
      const r = mergeStores(db, [b], m(into));
      expect(latest(db)).toBe(p.stands);
      expect(r.conflicts).toHaveLength(1);
      expect(r.conflicts[0]!.detail).toMatch(p.why);
      // Merging both again changes nothing.
      const once = contents(db);
      mergeStores(db, [a, b], m(into));
      expect(contents(db)).toEqual(once);
      expect(latest(db)).toBe(p.stands);
    });
  }
});

describe('a refused or failed merge writes nothing', () => {
  const real = loadMatrix(DEFAULT_MATRIX);
  it('a refused merge leaves an older target unmigrated and creates no parent folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
    const s1 = shardStore(dir, 's1', ['virt-v7/UP'], { shard: '1/3' });
    const old = join(dir, 'old.db');
    copyFileSync(resolve(import.meta.dirname, '../fixtures/store/v5.db'), old);
    const bytes = readFileSync(old);
    const r = mergeCommand([s1, s1], { into: old });
    expect(r.code).toBe(2);
    expect(readFileSync(old).equals(bytes)).toBe(true);
    const db = new Database(old, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    db.close();
    const deep = join(dir, 'new', 'sub', 'all.db');
    expect(mergeCommand([s1, s1], { into: deep }).code).toBe(2);
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });

  it('a merge failing half-way removes the new store, its -wal/-shm, the folders it made and the logs it copied', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-merge-'));
    const s1 = shardStore(dir, 's1', ['virt-v7/UP'], { shard: '1/2', matrixHash: real.hash });
    const s2 = shardStore(dir, 's2', ['virt-v7/SMP'], { shard: '2/2', matrixHash: real.hash });
    // The second shard's log cannot be copied: a file sits where its folder would be made.
    const sid2 = (() => {
      const d = new Database(s2, { readonly: true });
      const id = (d.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).get() as { value: string }).value;
      d.close();
      return id;
    })();
    const target = join(dir, 'out', 'new', 'kmatrix.db');
    mkdirSync(join(dir, 'out', 'new', 'logs', `from-${sid2}`), { recursive: true });
    writeFileSync(join(dir, 'out', 'new', 'logs', `from-${sid2}`, 'run-1'), 'in the way');
    rmSync(join(dir, 'out', 'new', 'kmatrix.db'), { force: true });
    expect(() => mergeCommand([s1, s2], { into: target })).toThrow(/run-1/);
    expect(filesUnder(join(dir, 'out'))).toEqual([`new/logs/from-${sid2}/run-1`]);
    expect(readdirSync(join(dir, 'out', 'new', 'logs'))).toEqual([`from-${sid2}`]);
  });
});

describe('logTail (pure)', () => {
  it('never yields a path that leaves <folder>/logs, for any mix of .., ., logs, absolute and empty segments', () => {
    const seg = fc.oneof(fc.constantFrom('..', '.', 'logs', '', 'run-1', 'a'.repeat(12), 'x.log.gz', '\0'), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 10 }), fc.boolean(), (parts, abs) => {
        const tail = logTail((abs ? '/' : '') + parts.join('/'));
        if (tail === null) return;
        const folder = '/shard';
        const file = resolve(folder, tail);
        expect(file.startsWith(`${folder}/logs/`)).toBe(true);
        expect(tail.split('/')).not.toContain('..');
      }),
      { numRuns: 2000 },
    );
    expect(logTail('/r/logs/run-1/aaaaaaaaaaaa/virt-v7__UP.log.gz')).toBe('logs/run-1/aaaaaaaaaaaa/virt-v7__UP.log.gz');
    expect(logTail('/etc/passwd')).toBeNull();
    expect(logTail('/r/logs/run-1/../../etc/passwd')).toBeNull();
  });
});
