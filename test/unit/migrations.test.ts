/** Stores written by every earlier schema version open and migrate; a newer one is refused and left untouched. */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, runBuilds, storeId } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { lastNightly, loadBuild, partialNightliesSince } from '../../src/store/queries.js';
import { bisectSteps, loadBisect } from '../../src/store/bisects.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/store');

/** A private copy of a fixture (the committed file is never opened for writing). */
function copy(version: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kmatrix-migrate-')), `v${version}.db`);
  copyFileSync(join(FIXTURES, `v${version}.db`), path);
  return path;
}

/** Header user_version of a store file, read from its bytes (no SQLite connection). */
function headerVersion(path: string): number {
  return readFileSync(path).readUInt32BE(60);
}

describe('schema migrations from every earlier version', () => {
  const versions = readdirSync(FIXTURES)
    .map((f) => /^v(\d+)\.db$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

  it('has a fixture for every earlier schema version', () => {
    expect(versions).toEqual(Array.from({ length: MIGRATIONS.length - 1 }, (_, i) => i + 1));
  });

  it.each(versions)('a v%i store opens, migrates to the latest version and keeps its data', (v) => {
    const path = copy(v);
    expect(headerVersion(path)).toBe(v);
    const db = openStore(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const builds = [...runBuilds(db, 1), ...runBuilds(db, 2)];
    expect(builds.map((b) => [b.cell, b.status])).toEqual([
      ['virt-v7/UP', 'PASS'],
      ['virt-v7/SMP', 'PASS'],
      ['virt-v7/UP', 'FAIL'],
      ['virt-v7/SMP', 'ERROR'],
    ]);
    expect(loadBuild(db, builds[2]!.id)?.diagnostics.map((d) => d.symbol)).toEqual(['v7wbi_flush_kern_tlb_range']);
    // Builds recorded before schema 6 have no stage times or ccache counts: unknown, not zero.
    expect(builds.map((b) => [b.stages, b.ccache])).toEqual(builds.map(() => [{}, null]));
    if (v >= 2) {
      // The nightly with exit code 3 and an ERROR build became partial; the complete one is the baseline.
      expect(lastNightly(db, 'zsmalloc-arm')).toMatchObject({ id: 2, partial: expect.stringMatching(/exit code 3 or an ERROR cell/) });
      expect(lastNightly(db, 'zsmalloc-arm', { complete: true })).toMatchObject({ id: 1, sha: 'a'.repeat(40), partial: null });
      expect(partialNightliesSince(db, 'zsmalloc-arm', 1).map((n) => n.id)).toEqual([2]);
    }
    if (v >= 3) {
      expect(loadBisect(db, { id: 1 })).toMatchObject({ cell: 'virt-v7/UP', state: 'running', target: ['9a1b2c3d4e5f6071'] });
      expect(bisectSteps(db, 1).map((s) => s.verdict)).toEqual(['good', 'bad']);
    }
    if (v >= 5) {
      // Schema 5's run provenance (shard, host, cells) and the store identity survive later migrations.
      const runs = db.prepare(`SELECT id, shard, host, cells FROM runs ORDER BY id`).all();
      expect(runs).toEqual([
        { id: 1, shard: null, host: 'fixture-host', cells: '["virt-v7/UP","virt-v7/SMP"]' },
        { id: 2, shard: '2/2', host: 'fixture-host', cells: '["virt-v7/UP","virt-v7/SMP"]' },
      ]);
      expect(storeId(db)).toMatch(/^[0-9a-f]{32}$/);
    }
    db.close();
    // Opening again is a no-op.
    const again = openStore(path);
    expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    again.close();
  });

  it('a store from a newer schema is refused with the file named, and left byte-for-byte untouched', () => {
    const path = copy(versions[versions.length - 1]!);
    // Make it "newer": what a future kmatrix would have written (header user_version above ours).
    const raw = new Database(path);
    raw.pragma('journal_mode = DELETE');
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const before = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    const dirBefore = readdirSync(join(path, '..')).sort();
    expect(() => openStore(path)).toThrow(
      `--db: ${path}: was written by a newer kmatrix (schema version ${MIGRATIONS.length + 1}, this kmatrix knows ${MIGRATIONS.length}); left untouched: upgrade kmatrix`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(readdirSync(join(path, '..')).sort()).toEqual(dirBefore);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
