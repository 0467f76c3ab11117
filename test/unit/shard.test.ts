import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseShard, parseWeights, planShards, shardCells, shardFromEnv, type ShardKeyCell } from '../../src/matrix/shard.js';
import { InputError } from '../../src/errors.js';

/** Arbitrary distinct cells (names unique, as a matrix guarantees). */
const cellsArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 0, maxLength: 40 })
  .map((names): ShardKeyCell[] => names.map((name) => ({ name, crossCompile: 'arm-linux-gnueabi-', runtime: 'container' })));
const totalArb = fc.integer({ min: 1, max: 24 });

describe('shard planning', () => {
  it('puts every cell in exactly one shard, for any cells and shard count', () => {
    fc.assert(
      fc.property(cellsArb, totalArb, (cells, total) => {
        const seen = new Map<string, number>();
        for (let i = 1; i <= total; i++) for (const c of shardCells(cells, { index: i, total })) seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
        expect(seen.size).toBe(cells.length);
        for (const n of seen.values()) expect(n).toBe(1);
      }),
    );
  });

  it('is deterministic and independent of the order the cells come in', () => {
    fc.assert(
      fc.property(cellsArb, totalArb, fc.integer(), (cells, total, seed) => {
        const shuffled = [...cells].sort((a, b) => ((a.name.length * 31 + seed) % 7) - ((b.name.length * 31 + seed) % 7));
        const p1 = planShards(cells, total);
        const p2 = planShards(shuffled, total);
        for (const c of cells) expect(p2.shardOf.get(c.name)).toBe(p1.shardOf.get(c.name));
      }),
    );
  });

  it('adding a shard only moves cells onto the new shard (warm build dirs stay put)', () => {
    fc.assert(
      fc.property(cellsArb, fc.integer({ min: 1, max: 23 }), (cells, n) => {
        const before = planShards(cells, n);
        const after = planShards(cells, n + 1);
        for (const c of cells) {
          const a = after.shardOf.get(c.name)!;
          if (a !== n + 1) expect(a).toBe(before.shardOf.get(c.name));
        }
      }),
    );
  });

  it('the key is the build dir (name × toolchain × runtime): another toolchain may move a cell, a reordered matrix never does', () => {
    const a: ShardKeyCell[] = [{ name: 'virt-v7/UP', crossCompile: 'arm-linux-gnueabi-', runtime: 'container' }];
    expect(planShards(a, 1).shardOf.get('virt-v7/UP')).toBe(1);
    const keys = new Set(
      Array.from({ length: 16 }, (_, i) => planShards([{ ...a[0]!, crossCompile: `cc${i}-` }], 8).shardOf.get('virt-v7/UP')),
    );
    expect(keys.size).toBeGreaterThan(1);
  });

  it('balanced by recorded times: still exactly one shard per cell, and no shard above the cap unless a lone cell is', () => {
    const weightsArb = fc.array(fc.double({ min: 0, max: 3600, noNaN: true }), { minLength: 40, maxLength: 40 });
    fc.assert(
      fc.property(cellsArb, totalArb, weightsArb, (cells, total, ws) => {
        const weights = new Map(cells.map((c, i) => [c.name, ws[i]!]));
        const plan = planShards(cells, total, weights);
        const all = [...plan.cells.values()].flat();
        expect(all.sort()).toEqual(cells.map((c) => c.name).sort());
        const sum = cells.reduce((s, c) => s + weights.get(c.name)!, 0);
        const cap = Math.max((sum / total) * 1.25, ...cells.map((c) => weights.get(c.name)!));
        // Greedy with a least-loaded fallback: a shard exceeds the cap only by less than one cell's weight.
        for (const [i, load] of plan.load!) {
          const heaviest = Math.max(0, ...plan.cells.get(i)!.map((n) => weights.get(n)!));
          expect(load).toBeLessThanOrEqual(cap + heaviest + 1e-6);
        }
      }),
    );
  });

  it('balancing three equal cells over three shards gives one each', () => {
    const cells: ShardKeyCell[] = ['virt-v7/UP', 'virt-v7/SMP', 'virt-v7/UP-on-SMP'].map((name) => ({ name, crossCompile: 'arm-linux-gnueabi-', runtime: 'container' }));
    const plan = planShards(cells, 3, new Map([['virt-v7/UP', 9]]));
    expect([...plan.cells.values()].map((c) => c.length)).toEqual([1, 1, 1]);
  });
});

describe('shard selection', () => {
  it('parses I/N, 1-based, and refuses nonsense naming the flag', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'x', '1/257', '-1/2']) expect(() => parseShard(bad)).toThrow(InputError);
    expect(() => parseShard('4/3')).toThrow(/--shard/);
  });

  it('reads GitLab (1-based) and Kubernetes Indexed Jobs (0-based + a total) only when --shard is given', () => {
    expect(shardFromEnv(undefined, { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '5' })).toBeNull();
    expect(shardFromEnv('auto', { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '5' })).toEqual({ index: 2, total: 5 });
    expect(shardFromEnv('auto', { JOB_COMPLETION_INDEX: '0' }, 4)).toEqual({ index: 1, total: 4 });
    expect(shardFromEnv('auto', { JOB_COMPLETION_INDEX: '3', KMATRIX_SHARDS: '4' })).toEqual({ index: 4, total: 4 });
    expect(() => shardFromEnv('auto', { JOB_COMPLETION_INDEX: '4' }, 4)).toThrow(/shard index/);
    expect(() => shardFromEnv('auto', { JOB_COMPLETION_INDEX: '1' })).toThrow(/--shards/);
    expect(() => shardFromEnv('auto', {})).toThrow(/none is set/);
    expect(shardFromEnv('1/2', { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '5' })).toEqual({ index: 1, total: 2 });
  });

  it('reads a weights file and names it on errors', () => {
    expect(parseWeights('{"cells":{"a/UP":12.5}}', 'w.json')).toEqual(new Map([['a/UP', 12.5]]));
    expect(() => parseWeights('{"cells":{"a/UP":-1}}', 'w.json')).toThrow(/w.json: cells.a\/UP/);
    expect(() => parseWeights('[', 'w.json')).toThrow(/w.json: not JSON/);
  });
});
