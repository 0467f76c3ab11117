import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { replayTree, ROOT, tempDir } from '../helpers/replay.js';
import { buildRows, query, startJob } from '../helpers/signals.js';

/**
 * Two kmatrix processes on the same database and tree at once (real processes, real host builds of the
 * warm virt-v7/UP dir): the store stays consistent, no (tree, cell, toolchain) is built twice, and the
 * second process waits for the first (saying so) and then reuses what the first built meanwhile.
 */
const CELL = 'virt-v7/UP';

describe('concurrent kmatrix processes', () => {
  let tree: string;
  let sha: Map<string, string>;

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].map(([label, c]) => [label, c.sha]));
  });

  /** Each (commit, cell) was built once: one row per commit (a reuse at the same commit adds no row). */
  const assertBuiltOnce = (db: string, commits: string[]) => {
    expect(query<{ integrity_check: string }>(db, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const rows = buildRows(db);
    expect(rows.map((r) => r.commit_sha).sort()).toEqual([...commits].sort());
    expect(rows.every((r) => r.status !== 'ERROR'), JSON.stringify(rows)).toBe(true);
  };

  it('8 processes creating the same new store at once: each migration applied once, all open it', async () => {
    const db = join(tempDir('kmatrix-conc-'), 'k.db');
    // All import first, then start together (a spin to a common instant): the opens really overlap.
    const at = Date.now() + 3000;
    const code = `const { openStore, migrate } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/store/db.js')).href)});
      while (Date.now() < ${at}) {}
      const s = openStore(${JSON.stringify(db)}); console.log(migrate(s)); s.close();`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        return new Promise<{ code: number | null; out: string }>((r) => p.on('exit', (c) => r({ code: c, out })));
      }),
    );
    for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
    expect(query<{ integrity_check: string }>(db, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(new Set(results.map((r) => r.out.trim())).size).toBe(1);
  });

  it('two runs of overlapping ranges: the shared commit is built once; the second waits, then reuses', async () => {
    const db = join(tempDir('kmatrix-conc-'), 'k.db');
    const [c1, c2, c3] = ['zram-fix', 'pgtable-mapping', '2013-fix'].map((l) => sha.get(l)!) as [string, string, string];
    const common = ['--runtime', 'host', '--tree', tree, '--db', db, '--cells', CELL, '--kconfig-only', '--json'];
    const a = startJob(['run', ...common, c1, c2]);
    const b = startJob(['run', ...common, c2, c3]);
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, a.stderr()).toBe(0);
    expect(rb.code, b.stderr()).toBe(0);
    assertBuiltOnce(db, [c1, c2, c3]);
    const waited = [a, b].filter((j) => /waiting for process \d+, building in this tree/.test(j.stderr()));
    expect(waited).toHaveLength(1);
    // Both report c2, with the same build id: one built it, the other reused it after the wait.
    const ids = [a, b].map((j) => (JSON.parse(j.stdout()) as { builds: { commit: string; buildId?: number; cached?: boolean }[] }).builds.find((x) => x.commit === c2));
    expect(ids.filter((x) => x?.cached)).toHaveLength(1);
  });

  it('a nightly and a check of the same commits at once: each build once, both answer', async () => {
    const db = join(tempDir('kmatrix-conc-'), 'k.db');
    const [base, tip] = [sha.get('pgtable-mapping')!, sha.get('2013-fix')!];
    const common = ['--runtime', 'host', '--tree', tree, '--db', db, '--cells', CELL];
    const n = startJob(['nightly', '--ref', tip, '--baseline', base, ...common]);
    const c = startJob(['check', `${base}..${tip}`, '--tip-only', ...common]);
    const [rn, rc] = await Promise.all([n.exited, c.exited]);
    // FAIL at both ends (the seed bug is in both): no regression for the nightly, none for the check.
    expect(rn.code, n.stderr()).toBe(0);
    expect(rc.code, c.stderr()).toBe(0);
    assertBuiltOnce(db, [base, tip]);
    expect([n, c].filter((j) => /waiting for process \d+/.test(j.stderr()))).toHaveLength(1);
  });
});
