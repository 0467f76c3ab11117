import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';
import { storeResults } from '../helpers/store.js';

/**
 * Sharding on real builds of the replay tree (default matrix, default container runtime, warm build
 * dirs): the same range as one unsharded run and as three concurrent shard processes, merged, gives the
 * same builds; merging again changes nothing; a shard killed before it built anything leaves its cells
 * missing (never PASS) in merge and nightly.
 */
const MATRIX = join(ROOT, 'matrix/zsmalloc-arm.yaml');

/** Run the CLI without waiting (for concurrent shard processes). */
function start(args: string[]) {
  const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) =>
    p.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { pid: p.pid!, kill: (s: NodeJS.Signals) => p.kill(s), done };
}

const results = (path: string) => storeResults(path);

/** Row counts of every table (a no-op merge leaves them all unchanged). */
function counts(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** Poll until `f` is true. */
async function until(f: () => boolean, what: string, ms = 600_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('kmatrix run --shard + merge on the replay tree (real container builds)', () => {
  let tree: string;
  let range: string;
  let next: string;
  let dir: string;
  const shardDb = (i: number) => join(dir, `shard-${i}`, 'kmatrix.db');

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    const p = r.commits.get('pgtable-mapping')!.sha;
    next = execFileSync('git', ['-C', tree, 'rev-list', '--reverse', `${p}..HEAD`], { encoding: 'utf8' }).split('\n')[0]!;
    range = `${p}~1..${next}`; // two commits: the one that breaks UP and SMP at modpost, and the next
    dir = tempDir('kmatrix-shard-');
    // Bring every cell's build dir to the range's last commit first, so the unsharded run and each shard
    // start from the same state and rebuild the same files (incremental builds only compile what changed).
    const warm = cli(['run', next, '--tree', tree, '--matrix', MATRIX, '--db', join(dir, 'warm.db')]);
    expect([0, 1], warm.stderr).toContain(warm.code);
  });

  it('3 concurrent shards merged equal 1 unsharded run; merging again changes nothing; a killed shard leaves its cells missing', async () => {
    const one = cli(['run', range, '--tree', tree, '--matrix', MATRIX, '--db', join(dir, 'one.db')]);
    expect(one.code, one.stderr).toBe(1); // UP and SMP fail at modpost on the breaking commit
    const expected = results(join(dir, 'one.db'));
    expect(expected).toHaveLength(6);

    // Balance by the recorded times of the unsharded run (every shard reads the same weights file).
    const w = cli(['shards', '--weights', '--db', join(dir, 'one.db'), '--matrix', MATRIX, '-o', join(dir, 'weights.json')]);
    expect(w.code, w.stderr).toBe(0);
    const plan = cli(['shards', '--shards', '3', '--matrix', MATRIX, '--shard-weights', join(dir, 'weights.json'), '--json']);
    const shards = (JSON.parse(plan.stdout) as { shards: { shard: string; cells: string[] }[] }).shards;
    expect(shards.flatMap((s) => s.cells).sort()).toEqual(['virt-v7/SMP', 'virt-v7/UP', 'virt-v7/UP-on-SMP']);

    const args = (i: number, db: string) => ['run', range, '--tree', tree, '--matrix', MATRIX, '--shard', `${i}/3`, '--shard-weights', join(dir, 'weights.json'), '--db', db];
    const procs = [1, 2, 3].map((i) => start(args(i, shardDb(i))));
    // A fourth process runs shard 3 again and is SIGKILLed once it has recorded its run (it waits for the
    // worktree lock the others hold, so it has built nothing): its store is what a lost CI shard leaves.
    const victimDb = join(dir, 'killed', 'kmatrix.db');
    await until(() => existsSync(shardDb(1)) || existsSync(shardDb(2)) || existsSync(shardDb(3)), 'a shard to start');
    const victim = start(args(3, victimDb));
    await until(() => {
      if (!existsSync(victimDb)) return false;
      const db = new Database(victimDb, { readonly: true });
      try {
        return (db.prepare(`SELECT count(*) AS n FROM runs`).get() as { n: number }).n > 0;
      } catch {
        return false;
      } finally {
        db.close();
      }
    }, 'the victim shard to record its run');
    victim.kill('SIGKILL');
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    const outs = await Promise.all(procs.map((p) => p.done));
    for (const [i, o] of outs.entries()) {
      const cells = shards[i]!.cells;
      // exit 1 when the shard holds UP or SMP (FAIL at modpost), 0 when it holds only UP-on-SMP or nothing
      expect(o.code, o.stderr).toBe(cells.some((c) => c !== 'virt-v7/UP-on-SMP') ? 1 : 0);
    }

    const all = join(dir, 'all', 'kmatrix.db');
    const m = cli(['merge', shardDb(1), shardDb(2), shardDb(3), '--into', all, '--matrix', MATRIX, '--json']);
    expect(m.code, m.stdout + m.stderr).toBe(0);
    const report = JSON.parse(m.stdout) as { sources: { shards: string[]; hosts: string[]; buildsAdded: number; logsCopied: number }[]; missing: unknown[]; conflicts: unknown[] };
    expect(report.sources.map((s) => s.shards)).toEqual([['1/3'], ['2/3'], ['3/3']]);
    expect(report.sources.map((s) => s.buildsAdded)).toEqual(shards.map((s) => s.cells.length * 2));
    expect(report.missing).toEqual([]);
    expect(report.conflicts).toEqual([]);
    // Identical builds, statuses and fingerprints.
    expect(results(all)).toEqual(expected);
    // Logs carried along: every merged build's log is a readable file beside the merged store.
    const logs = new Database(all, { readonly: true }).prepare(`SELECT log_path AS p FROM builds`).all() as { p: string }[];
    for (const l of logs) expect(l.p.startsWith(join(dir, 'all', 'logs')) && existsSync(l.p), l.p).toBe(true);

    const before = counts(all);
    const again = cli(['merge', shardDb(1), shardDb(2), shardDb(3), '--into', all, '--matrix', MATRIX]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/nothing new/);
    expect(counts(all)).toEqual(before);
    expect(results(all)).toEqual(expected);

    // The killed shard instead of shard 3: its cells are missing, never PASS.
    const lost = shards[2]!.cells;
    const partial = join(dir, 'partial', 'kmatrix.db');
    const pm = cli(['merge', shardDb(1), shardDb(2), victimDb, '--into', partial, '--matrix', MATRIX]);
    expect(pm.code, pm.stdout + pm.stderr).toBe(3);
    expect(pm.stdout).toMatch(/UNFINISHED run 1 of .*killed\/kmatrix.db \(shard 3\/3\)/);
    if (lost.length) {
      expect(pm.stdout).toContain(`MISSING ${next.slice(0, 12)}: ${lost.join(', ')}`);
      const junit = join(dir, 'junit.xml');
      const n = cli(['nightly', '--ref', next, '--no-build', '--tree', tree, '--matrix', MATRIX, '--db', partial, '--junit', junit]);
      expect(n.code, n.stdout + n.stderr).toBe(3);
      for (const c of lost) {
        expect(n.stdout).toMatch(new RegExp(`${c.replace('/', '\\/')}\\s+-\\s+-\\s+not-comparable \\(not-built`));
        expect(readFileSync(junit, 'utf8')).toContain(`name="${c}" time="0.000">\n      <skipped message="not built"/>`);
      }
    }
    writeFileSync(join(dir, 'figures.json'), JSON.stringify({ shards, report }, null, 2));
  });
});
