import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkCommand as checkRaw } from '../../src/cli/check.js';
import { guarded } from '../helpers/checkout.js';
import type { CommandDeps } from '../../src/cli/command.js';
import { HostRuntime } from '../../src/runtime/host.js';
import { openStore } from '../../src/store/db.js';
import { replayTree, ROOT, tempDir } from '../helpers/replay.js';

// Every command also asserts it left the checkout of its --tree as it was (HEAD, index, status).
const checkCommand = guarded(checkRaw, (_r, f) => f.tree);

/** `kmatrix check` on real host builds of the replay tree (fresh DB; build dirs and the tree are shared). */
const MATRIX = join(ROOT, 'matrix/zsmalloc-arm.yaml');

interface CheckDoc {
  base: string;
  exitCode: number;
  patches: { sha: string; subject: string; new: { kind: string; symbol: string | null; module: string | null; cells: string[] }[]; fixed: unknown[] }[];
}

describe('kmatrix check on the replay tree (real host builds)', () => {
  let tree: string;
  let sha: Map<string, string>;
  let dir: string;
  let flags: { tree: string; matrix: string; db: string };
  const deps: CommandDeps = { runtime: new HostRuntime(), progress: 'plain' };
  const g = (args: string[], env: Record<string, string> = {}, input?: string) =>
    execFileSync('git', ['-C', tree, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, input }).trim();
  const rowCount = () => {
    const s = openStore(flags.db);
    try {
      return (s.prepare('SELECT COUNT(*) AS n FROM builds').get() as { n: number }).n;
    } finally {
      s.close();
    }
  };

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].map(([label, c]) => [label, c.sha]));
    dir = tempDir('kmatrix-check-');
    flags = { tree, matrix: MATRIX, db: join(dir, 'kmatrix.db') };
  });

  it('3-patch series ending in the page-table patch: new modpost error at 3/3 on UP and SMP, exit 1', async () => {
    const pg = sha.get('pgtable-mapping')!;
    const base = g(['rev-parse', `${pg}~3`]);
    const r = await checkCommand(`${base}..${pg}`, { ...flags, json: true }, deps);
    expect(r.code, r.stderr).toBe(1);
    const d = JSON.parse(r.stdout) as CheckDoc;
    expect(d.base).toBe(base);
    expect(d.patches.map((p) => p.sha)).toEqual([g(['rev-parse', `${pg}~2`]), g(['rev-parse', `${pg}~1`]), pg]);
    expect(d.patches.slice(0, 2).map((p) => p.new.filter((x) => x.kind !== 'compile-warning'))).toEqual([[], []]);
    expect(d.patches[2]!.subject).toBe('zsmalloc: add page table mapping method');
    expect(d.patches[2]!.new).toHaveLength(1);
    expect(d.patches[2]!.new[0]).toMatchObject({
      kind: 'modpost-undefined',
      symbol: 'v7wbi_flush_kern_tlb_range',
      module: 'mm/zsmalloc.ko',
      cells: ['virt-v7/UP', 'virt-v7/SMP'],
    });
    // Again from the store as Markdown: the >> line, the patch number and a reproducer.
    const md = await checkCommand(`${base}..${pg}`, { ...flags, format: 'md', noBuild: true }, deps);
    process.stderr.write(`check md (failing series):\n${md.stdout}\n`);
    expect(md.code).toBe(1);
    expect(md.stdout).toMatch(/^Build-tested on ARM \(arm-linux-gnueabi-gcc .*\): UP, SMP, UP-on-SMP — \*\*new errors\*\* in 1 of 3 patch\(es\):/);
    expect(md.stdout).toContain('**[3/3] zsmalloc: add page table mapping method**');
    expect(md.stdout).toContain('>> modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko — UP, SMP');
    expect(md.stdout).toContain('```sh');
    // --tip-only: base and tip only, same verdict.
    const tip = await checkCommand(`${base}..${pg}`, { ...flags, json: true, tipOnly: true, noBuild: true }, deps);
    expect(tip.code).toBe(1);
    expect((JSON.parse(tip.stdout) as CheckDoc).patches.map((p) => p.sha)).toEqual([pg]);
  });

  it('a clean series: no new errors, exit 0, md says so', async () => {
    const rf = sha.get('real-fix')!;
    const top = g(['rev-list', '--reverse', `${rf}..${sha.get('tip')}`]).split('\n')[2]!;
    const r = await checkCommand(`${rf}..${top}`, { ...flags, format: 'md' }, deps);
    process.stderr.write(`check md (clean series):\n${r.stdout}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Build-tested on ARM \(arm-linux-gnueabi-gcc .*\): UP, SMP, UP-on-SMP — no new errors at any of the 3 patches\.\n$/);
  });

  it('bad input: exit 2', async () => {
    expect((await checkCommand('no-such-rev..HEAD', flags, deps)).code).toBe(2);
    expect((await checkCommand(`${sha.get('tip')}..${sha.get('tip')}`, flags, deps)).code).toBe(2);
    expect((await checkCommand(undefined, { ...flags, format: 'xml' }, deps)).code).toBe(2);
  });

  it('amend patch 2 of a series: the second run builds only patch 2 × cells; a reworded commit reuses by tree', async () => {
    const rf = sha.get('real-fix')!;
    const idx = join(dir, 'index');
    const env = { GIT_INDEX_FILE: idx, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org' };
    const FILE = 'drivers/block/zram/zram_drv.c';
    /** A commit on `parent` whose FILE gets `comment` appended (no checkout, no refs). */
    const commit = (parent: string, comment: string, msg: string) => {
      rmSync(idx, { force: true });
      g(['read-tree', parent], env);
      const text = g(['cat-file', 'blob', `${parent}:${FILE}`]) + `\n/* ${comment} */\n`;
      const blob = execFileSync('git', ['-C', tree, 'hash-object', '-w', '--stdin'], { input: text, encoding: 'utf8' }).trim();
      g(['update-index', '--cacheinfo', `100644,${blob},${FILE}`], env);
      const t = g(['write-tree'], env);
      return g(['commit-tree', '-p', parent, '-m', msg, t], env);
    };
    const p1 = commit(rf, 'kmatrix check test: patch 1', 'zram: check test patch 1');
    const p2 = commit(p1, 'kmatrix check test: patch 2', 'zram: check test patch 2');
    const cells = 3;
    const before = rowCount();
    const first = await checkCommand(`${rf}..${p2}`, { ...flags, json: true }, deps);
    expect(first.code, first.stderr).toBe(0);
    const afterFirst = rowCount();

    const p2b = commit(p1, 'kmatrix check test: patch 2, amended', 'zram: check test patch 2');
    const second = await checkCommand(`${rf}..${p2b}`, { ...flags, json: true }, deps);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { built: number }).built).toBe(cells);
    expect(rowCount() - afterFirst).toBe(cells);
    const s = openStore(flags.db);
    const fresh = s.prepare('SELECT DISTINCT commit_sha AS sha FROM builds WHERE id > (SELECT MAX(id) FROM builds) - ?').all(cells) as { sha: string }[];
    s.close();
    expect(fresh.map((x) => x.sha)).toEqual([p2b]);

    // Reword patch 2 (same tree, new sha): recorded from the tree-keyed result cache, not built again.
    const p2c = g(['commit-tree', '-p', p1, '-m', 'zram: check test patch 2 (reworded)', g(['rev-parse', `${p2b}^{tree}`])], env);
    const t0 = Date.now();
    const third = await checkCommand(`${rf}..${p2c}`, { ...flags, json: true }, deps);
    expect(third.code).toBe(0);
    const s2 = openStore(flags.db);
    // Per cell: builds running side by side are recorded as they finish, reused results in the matrix's cell order.
    const startedAt = (c: string) =>
      Object.fromEntries(
        (s2.prepare('SELECT c.name AS cell, b.started_at AS t FROM builds b JOIN cells c ON c.id = b.cell_id WHERE b.commit_sha = ?').all(c) as { cell: string; t: string }[]).map(
          (r) => [r.cell, r.t],
        ),
      );
    const built = startedAt(p2b);
    const reused = startedAt(p2c);
    s2.close();
    expect(Object.keys(built)).toHaveLength(cells);
    expect(reused).toEqual(built); // copied from the cached result
    process.stderr.write(`check: first run ${afterFirst - before} rows, amend ${cells} rows, reword ${(Date.now() - t0) / 1000} s\n`);
  });

  it('--worktree checks uncommitted changes as a temporary last patch, leaving the checkout as it was', async () => {
    const file = join(tree, 'mm/zsmalloc.c');
    const before = execFileSync('git', ['-C', tree, 'status', '--porcelain'], { encoding: 'utf8' });
    const head = g(['rev-parse', 'HEAD']);
    execFileSync('sh', ['-c', `printf '\\nint kmatrix_wip(void)\\n{\\n\\treturn kmatrix_wip_missing;\\n}\\n' >> '${file}'`]);
    try {
      const r = await checkCommand('HEAD~1..HEAD', { ...flags, worktree: true, tipOnly: true, format: 'json' }, deps);
      process.stderr.write(`\n=== check --worktree: exit ${r.code}\n${r.stdout}${r.stderr}\n`);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as CheckDoc;
      expect(doc.base).toBe(g(['rev-parse', 'HEAD~1']));
      expect(doc.patches).toHaveLength(1);
      const wip = doc.patches[0]!;
      expect(wip.sha).not.toBe(head);
      expect(wip.new).toContainEqual(
        expect.objectContaining({ kind: 'compile-error', cells: ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP'] }),
      );
    } finally {
      g(['checkout', '--', 'mm/zsmalloc.c']);
    }
    expect(g(['rev-parse', 'HEAD'])).toBe(head);
    expect(execFileSync('git', ['-C', tree, 'status', '--porcelain'], { encoding: 'utf8' })).toBe(before);
    // Nothing uncommitted: a clear usage error.
    expect((await checkCommand('HEAD~1..HEAD', { ...flags, worktree: true }, deps)).code).toBe(2);
  });
});
