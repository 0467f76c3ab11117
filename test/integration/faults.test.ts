import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/db.js';
import { cli, replayTree, tempDir } from '../helpers/replay.js';

/**
 * A fault inside every build (the results dir's `logs` is a file, so no log can be written) through the real CLI on
 * the replay tree: every cell is recorded as ERROR naming the cause, and no consumer — run, diff, nightly, check,
 * bisect, report — calls that a pass or exits 0. Nothing is compiled (each build fails before make), so this is fast.
 */
describe('a build that throws is an ERROR row, and nothing downstream says all clear', () => {
  let tree: string;
  let sha: Map<string, string>;
  let db: string;
  const one = ['--runtime', 'host', '--cells', 'virt-v7/UP'];

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].map(([label, c]) => [label, c.sha]));
    const results = join(tempDir('kmatrix-faults-'), 'results');
    mkdirSync(results);
    writeFileSync(join(results, 'logs'), 'a file where the log directory should be\n');
    db = join(results, 'kmatrix.db');
  });

  it('run: the cell is recorded as ERROR with an infra diagnostic naming the cause; exit 3', () => {
    const r = cli(['run', '--tree', tree, '--db', db, ...one, '--json', sha.get('tip')!]);
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as { builds: { cell: string; status: string; diagnostics: { kind: string; message: string }[] }[]; missing: unknown[] };
    expect(doc.missing).toEqual([]);
    expect(doc.builds).toHaveLength(1);
    expect(doc.builds[0]).toMatchObject({ cell: 'virt-v7/UP', status: 'ERROR' });
    expect(doc.builds[0]!.diagnostics).toContainEqual(
      expect.objectContaining({ kind: 'infra', message: expect.stringMatching(/^kmatrix: setup of virt-v7\/UP threw: (ENOTDIR|EEXIST).*logs/) }),
    );
    const store = openStore(db);
    const rows = store.prepare(`SELECT status FROM builds`).all() as { status: string }[];
    store.close();
    expect(rows).toEqual([{ status: 'ERROR' }]);
  });

  it('diff: an ERROR cell is not comparable, exit 3', () => {
    const r = cli(['diff', '--tree', tree, '--db', db, ...one, '--json', sha.get('real-fix')!, sha.get('tip')!]);
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as { cells: { transition: string; reason: string }[] };
    expect(doc.cells).toEqual([expect.objectContaining({ transition: 'not-comparable', reason: 'error' })]);
  });

  it('nightly: recorded as partial, exit 3; the report files say partial', () => {
    const junit = join(tempDir('kmatrix-faults-'), 'n.xml');
    const r = cli(['nightly', '--tree', tree, '--db', db, ...one, '--ref', sha.get('tip')!, '--junit', junit]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/^nightly #1 PARTIAL \(ERROR in virt-v7\/UP\)/);
  });

  it('check: an ERROR build is an infrastructure problem, exit 3 (not "no new errors")', () => {
    const r = cli(['check', '--tree', tree, '--db', db, ...one, '--tip-only', `${sha.get('tip')!}~1..${sha.get('tip')!}`]);
    expect(r.code, r.stderr).toBe(3);
  });

  it('bisect: an endpoint that could not be built stops the bisect (exit 3, resumable), no verdict from it', () => {
    const r = cli(['bisect', '--tree', tree, '--db', db, '--runtime', 'host', '--good', sha.get('baseline')!, '--bad', sha.get('pgtable-mapping')!, '--cell', 'virt-v7/UP']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/unfinished \(an endpoint could not be built \(ERROR, not a verdict\)/);
  });

  it('report: the ERROR cells show as ERROR, never PASS', () => {
    const r = cli(['report', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const grid = (JSON.parse(r.stdout) as { grid: { status: string | null }[] }).grid;
    const shown = grid.map((e) => e.status).filter((s) => s !== null);
    expect(shown.length).toBeGreaterThan(0);
    expect(new Set(shown)).toEqual(new Set(['ERROR']));
  });
});
