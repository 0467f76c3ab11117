import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { bisectCommand as bisectRaw, type BisectDeps, type BisectFlags } from '../../src/cli/bisect.js';
import { nightlyCommand as nightlyRaw } from '../../src/cli/nightly.js';
import { guarded } from '../helpers/checkout.js';
import { git } from '../../src/workspace/git.js';
import type { BisectResultDoc } from '../../src/store/bisects.js';
import { HostRuntime } from '../../src/runtime/host.js';
import { replayTree, ROOT, tempDir } from '../helpers/replay.js';

// Every command also asserts it left the checkout of its --tree as it was (HEAD, index, status).
const bisectCommand = guarded(bisectRaw, (f) => f.tree);
const nightlyCommand = guarded(nightlyRaw, (f) => f.tree);

/** kmatrix bisect on real host builds of the replay tree (one fresh store for the file; results are reused across its tests). */
const MATRIX = join(ROOT, 'matrix/zsmalloc-arm.yaml');

describe('bisect on the replay tree (real host builds)', () => {
  let tree: string;
  let sha: Map<string, string>;
  let flags: { tree: string; matrix: string; db: string };
  const deps: BisectDeps = { runtime: new HostRuntime(), progress: 'plain' };
  /** Commits in GOOD..BAD. */
  const range = async (good: string, bad: string) => Number(await git(tree, ['rev-list', '--count', `${good}..${bad}`]));
  const bound = (n: number) => Math.ceil(Math.log2(n)) + 3;
  const run = async (name: string, f: BisectFlags, d: BisectDeps = deps) => {
    const t0 = Date.now();
    const r = await bisectCommand({ ...flags, ...f }, d);
    process.stderr.write(`\n=== ${name}: exit ${r.code}, ${((Date.now() - t0) / 1000).toFixed(1)} s wall\n${r.stdout}${r.stderr}\n`);
    return r;
  };

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].map(([label, c]) => [label, c.sha]));
    flags = { tree, matrix: MATRIX, db: join(tempDir('kmatrix-bisect-'), 'kmatrix.db') };
  });

  it('UP: baseline..pgtable-mapping skips the broken zram commits and answers pgtable-mapping (text)', async () => {
    const r = await run('UP baseline..pgtable-mapping', { good: sha.get('baseline')!, bad: sha.get('pgtable-mapping')!, cell: 'virt-v7/UP' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`first bad commit: ${sha.get('pgtable-mapping')}`);
    expect(r.stdout).toContain('subject: zsmalloc: add page table mapping method');
    expect(r.stdout).toContain('introduces: modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko');
    expect(r.stdout).toMatch(/skipped \(FAIL with errors that stop the build before the target could show, or ERROR\): .*/);
    expect(r.stdout).toContain(sha.get('zram-break')!.slice(0, 12));
    expect(r.stdout).toContain('reproducer (virt-v7/UP');
    const builds = Number(/(\d+) build\(s\)/.exec(r.stdout)![1]);
    expect(builds).toBeLessThanOrEqual(bound(await range(sha.get('baseline')!, sha.get('pgtable-mapping')!)));
    expect(builds).toBe(7);
  });

  it('SMP --match symbol:flush_tlb_kernel_range baseline..2013-fix finds the 2013-style fix', async () => {
    const r = await run('SMP flush_tlb_kernel_range', {
      good: sha.get('baseline')!,
      bad: sha.get('2013-fix')!,
      cell: '*/SMP',
      match: 'symbol:flush_tlb_kernel_range',
      json: true,
    });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as BisectResultDoc;
    expect(d.state).toBe('found');
    expect(d.firstBad).toMatchObject({ sha: sha.get('2013-fix'), subject: 'zsmalloc: use flush_tlb_kernel_range' });
    expect(d.target).toHaveLength(1);
    // The commits between pgtable-mapping and 2013-fix fail with v7wbi only: modpost ran and did not
    // report flush_tlb_kernel_range, so they count as good; only compile-broken zram commits are skipped.
    const pg = sha.get('pgtable-mapping')!;
    expect(d.skipped).not.toContain(pg);
    expect(d.builds).toBeLessThanOrEqual(bound(await range(sha.get('baseline')!, sha.get('2013-fix')!)));
  });

  it('--reverse UP pgtable-mapping..tip finds the fix: real-fix (--json shape)', async () => {
    const r = await run('UP --reverse', { good: sha.get('pgtable-mapping')!, bad: sha.get('tip')!, cell: 'virt-v7/UP', reverse: true, json: true });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as BisectResultDoc;
    expect(d.firstBad).toMatchObject({ sha: sha.get('real-fix'), subject: 'zsmalloc: only use page table mapping when built in' });
    expect(Object.keys(d.firstBad!).sort()).toEqual(['author', 'date', 'sha', 'subject']);
    expect(d.builds).toBeLessThanOrEqual(bound(await range(sha.get('pgtable-mapping')!, sha.get('tip')!)));
    expect(typeof d.seconds).toBe('number');
  });

  it('--match kind:compile-error zram-break^..zram-break+2: the compile error commit', async () => {
    const zb = sha.get('zram-break')!;
    const plus2 = (await git(tree, ['rev-list', '--reverse', `${zb}..HEAD`])).split('\n')[1]!;
    const r = await run('UP compile-error', { good: `${zb}^`, bad: plus2, cell: 'virt-v7/UP', match: 'kind:compile-error', json: true });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as BisectResultDoc;
    expect(d.firstBad?.sha).toBe(zb);
    expect(d.builds).toBeLessThanOrEqual(bound(3));
  });

  it('interrupted after 3 steps, --resume continues without rebuilding verdicted steps; --log shows it', async () => {
    const ac = new AbortController();
    const first = await run(
      'UP-on-SMP interrupted',
      { good: sha.get('baseline')!, bad: sha.get('2013-fix')!, cell: 'virt-v7/UP-on-SMP' },
      { ...deps, signal: ac.signal, onStep: (_s, _v, n) => n === 3 && ac.abort() },
    );
    expect(first.code).toBe(3);
    expect(first.stdout).toContain('kmatrix bisect --resume');
    const steps1 = [...first.stdout.matchAll(/^ {2}(good|bad|skip) {2}([0-9a-f]{12})/gm)].map((m) => m[2]);
    expect(steps1).toHaveLength(3);
    const second = await run('UP-on-SMP --resume', { resume: true });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`first bad commit: ${sha.get('2013-fix')}`);
    expect(second.stdout).toContain('flush_tlb_kernel_range undefined in mm/zsmalloc.ko');
    const steps2 = [...second.stdout.matchAll(/^ {2}(good|bad|skip) {2}([0-9a-f]{12})/gm)].map((m) => m[2]!);
    expect(steps2.slice(0, 3)).toEqual(steps1);
    expect(new Set(steps2).size).toBe(steps2.length); // nothing verdicted twice
    const log = await run('--log', { log: true });
    expect(log.code).toBe(0);
    expect(log.stdout).toBe(second.stdout.split('\nreproducer (')[0]!.trimEnd() + '\n');
    const again = await bisectCommand({ ...flags, resume: true }, deps);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no unfinished bisect');
  });

  it('endpoints are verified first: both show the failure → exit 2; a glob matching several cells → exit 2', async () => {
    const r = await run('invalid endpoints', { good: sha.get('pgtable-mapping')!, bad: sha.get('2013-fix')!, cell: 'virt-v7/UP' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shows no error that --good lacks: nothing to bisect');
    expect(r.stdout).toContain(`  skip  ${sha.get('2013-fix')!.slice(0, 12)}`); // the endpoint that did not verify is not called bad
    const m = await run('--match absent at bad', { good: sha.get('baseline')!, bad: sha.get('pgtable-mapping')!, cell: 'virt-v7/UP', match: 'symbol:flush_tlb_kernel_range' });
    expect(m.code).toBe(2);
    expect(m.stderr).toContain("nothing matching 'symbol:flush_tlb_kernel_range'");
    const g = await bisectCommand({ ...flags, good: 'HEAD~1', bad: 'HEAD', cell: 'virt-v7/UP*' }, deps);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('matches 2 cells, bisect takes one: virt-v7/UP, virt-v7/UP-on-SMP');
  });

  it('nightly --bisect bisects each new regression against the previous nightly', async () => {
    const first = await nightlyCommand({ ...flags, ref: sha.get('baseline')!, bisect: true }, deps);
    expect(first.code).toBe(0);
    const second = await nightlyCommand({ ...flags, ref: sha.get('pgtable-mapping')!, bisect: true }, deps);
    process.stderr.write(`\n=== nightly --bisect: exit ${second.code}\n${second.stdout}\n`);
    expect(second.code).toBe(1);
    // UP and SMP regressed; both bisect to the commit that added the page table mapping.
    const answers = [...second.stdout.matchAll(/^bisect #\d+ (\S+)[\s\S]*?first bad commit: ([0-9a-f]{40})/gm)].map((m) => [m[1], m[2]]);
    expect(answers).toEqual([
      ['virt-v7/UP', sha.get('pgtable-mapping')],
      ['virt-v7/SMP', sha.get('pgtable-mapping')],
    ]);
  });
});
