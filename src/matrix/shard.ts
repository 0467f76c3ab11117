/**
 * Splitting the matrix's cells over N shards (CI jobs, Kubernetes pods), pure.
 *
 * A cell goes to the shard that ranks highest for the hash of its build-dir key (rendezvous hashing):
 * the same cell lands on the same shard every night, so a self-hosted runner or a persistent volume
 * keeps its warm `O=` dirs and ccache; going from N to N+1 shards moves only the cells the new shard
 * wins. Optionally the split is balanced by recorded build times: each cell still takes its best-ranked
 * shard, unless that shard is already full, then its next best.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { Cell } from './load.js';
import { toolchainDirKey } from './toolchain.js';

/** One shard of N, 1-based (`--shard 2/3`). */
export interface ShardSpec {
  index: number;
  total: number;
}

/** Which shard each cell belongs to (1-based), for one shard count. */
export interface ShardPlan {
  total: number;
  /** Cell name → shard index. */
  shardOf: Map<string, number>;
  /** Shard index → its cells, in matrix order. */
  cells: Map<number, string[]>;
  /** Estimated seconds per shard (only when balanced by recorded times). */
  load: Map<number, number> | null;
}

/** What a cell contributes to the shard key: the build dir is per (config × variant) and toolchain. */
export type ShardKeyCell = Pick<Cell, 'name' | 'crossCompile' | 'runtime'> & Partial<Pick<Cell, 'toolchain'>>;

/** Upper bound on shards (GitHub caps a matrix at 256 jobs; nothing here needs more). */
export const MAX_SHARDS = 256;

/**
 * The stable key of a cell's build dir: config/variant, cross toolchain prefix and runtime, and a non-default
 * toolchain's build key (the default toolchain adds nothing: today's cells keep their shard).
 */
export function shardKey(c: ShardKeyCell): string {
  const tc = c.toolchain ? toolchainDirKey(c.toolchain) : null;
  return `${c.name}\u0000${c.crossCompile}\u0000${c.runtime}${tc ? `\u0000${tc}` : ''}`;
}

/** Rendezvous score of a key on one shard: 64 bits of SHA-256, compared as a bigint. */
function score(key: string, shard: number): bigint {
  return createHash('sha256').update(`${key}\u0000${shard}`).digest().readBigUInt64BE(0);
}

/** Shards ordered best first for a key (ties broken by the lower index). */
function preference(key: string, total: number): number[] {
  const s = Array.from({ length: total }, (_, i) => ({ i: i + 1, v: score(key, i + 1) }));
  s.sort((a, b) => (a.v === b.v ? a.i - b.i : a.v > b.v ? -1 : 1));
  return s.map((x) => x.i);
}

/**
 * Plan N shards for the cells. Without weights every cell goes to its best-ranked shard. With weights
 * (seconds per cell name; unknown cells count as the median of the known ones, or 1) cells are placed
 * heaviest first, each on its best-ranked shard whose load stays within 1.25 × the mean shard load
 * (or the heaviest cell), else on the least-loaded shard.
 */
export function planShards(cells: readonly ShardKeyCell[], total: number, weights?: ReadonlyMap<string, number>): ShardPlan {
  if (!Number.isInteger(total) || total < 1 || total > MAX_SHARDS) throw new RangeError(`shard count must be 1..${MAX_SHARDS}, got ${total}`);
  const shardOf = new Map<string, number>();
  let load: Map<number, number> | null = null;
  if (!weights) {
    for (const c of cells) shardOf.set(c.name, preference(shardKey(c), total)[0]!);
  } else {
    const known = cells.map((c) => weights.get(c.name)).filter((w): w is number => w !== undefined && Number.isFinite(w) && w >= 0);
    const sorted = [...known].sort((a, b) => a - b);
    const fallback = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 1;
    const w = (c: ShardKeyCell) => {
      const x = weights.get(c.name);
      return x !== undefined && Number.isFinite(x) && x >= 0 ? x : fallback;
    };
    const sum = cells.reduce((s, c) => s + w(c), 0);
    const cap = Math.max((sum / total) * 1.25, ...cells.map(w));
    load = new Map(Array.from({ length: total }, (_, i) => [i + 1, 0]));
    const order = [...cells].sort((a, b) => w(b) - w(a) || (shardKey(a) < shardKey(b) ? -1 : shardKey(a) > shardKey(b) ? 1 : 0));
    for (const c of order) {
      const pref = preference(shardKey(c), total);
      const fits = pref.find((s) => load!.get(s)! + w(c) <= cap + 1e-9);
      const pick = fits ?? pref.reduce((best, s) => (load!.get(s)! < load!.get(best)! ? s : best), pref[0]!);
      shardOf.set(c.name, pick);
      load.set(pick, load.get(pick)! + w(c));
    }
  }
  const byShard = new Map<number, string[]>(Array.from({ length: total }, (_, i) => [i + 1, []]));
  for (const c of cells) byShard.get(shardOf.get(c.name)!)!.push(c.name);
  return { total, shardOf, cells: byShard, load };
}

/** The cells of one shard, in matrix order. */
export function shardCells<C extends ShardKeyCell>(cells: readonly C[], spec: ShardSpec, weights?: ReadonlyMap<string, number>): C[] {
  const plan = planShards(cells, spec.total, weights);
  return cells.filter((c) => plan.shardOf.get(c.name) === spec.index);
}

/** Parse `I/N` (1-based); `flag` names the source in the error. */
export function parseShard(value: string, flag = '--shard'): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new InputError(flag, null, null, `expects I/N (1-based shard index / shard count), got '${value}'`);
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || total > MAX_SHARDS) throw new InputError(flag, null, null, `shard count must be 1..${MAX_SHARDS}, got ${total}`);
  if (index < 1 || index > total) throw new InputError(flag, null, null, `shard index must be 1..${total}, got ${index}`);
  return { index, total };
}

/**
 * The shard to run from `--shard`: `I/N`, or `auto` (a bare `--shard`) to read GitLab's
 * `CI_NODE_INDEX`/`CI_NODE_TOTAL` (1-based) or a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`
 * (0-based) with the total from `--shards` or `KMATRIX_SHARDS`. Null without the flag: the
 * environment alone never shards a run.
 */
export function shardFromEnv(flag: string | undefined, env: Record<string, string | undefined>, shards?: number): ShardSpec | null {
  if (flag === undefined) return null;
  if (flag !== 'auto') return parseShard(flag);
  if (env['CI_NODE_INDEX'] !== undefined && env['CI_NODE_TOTAL'] !== undefined) {
    return parseShard(`${env['CI_NODE_INDEX']}/${env['CI_NODE_TOTAL']}`, 'CI_NODE_INDEX/CI_NODE_TOTAL');
  }
  if (env['JOB_COMPLETION_INDEX'] !== undefined) {
    const raw = env['JOB_COMPLETION_INDEX'];
    if (!/^\d+$/.test(raw)) throw new InputError('JOB_COMPLETION_INDEX', null, null, `expects a 0-based index, got '${raw}'`);
    const total = shards ?? (env['KMATRIX_SHARDS'] !== undefined ? Number(env['KMATRIX_SHARDS']) : NaN);
    if (!Number.isInteger(total)) throw new InputError('--shards', null, null, 'JOB_COMPLETION_INDEX is set: give the shard count with --shards N or KMATRIX_SHARDS');
    return parseShard(`${Number(raw) + 1}/${total}`, 'JOB_COMPLETION_INDEX/KMATRIX_SHARDS');
  }
  throw new InputError('--shard', null, null, 'without I/N it reads CI_NODE_INDEX/CI_NODE_TOTAL or JOB_COMPLETION_INDEX (+ --shards N or KMATRIX_SHARDS), and none is set');
}

/** Parse a weights document (`{"cells": {"cfg/variant": seconds}}`) as written by `kmatrix shards --weights`. */
export function parseWeights(text: string, file: string): Map<string, number> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, null, null, `not JSON: ${(e as Error).message}`);
  }
  const cells = (doc as { cells?: unknown } | null)?.cells;
  if (typeof cells !== 'object' || cells === null || Array.isArray(cells)) throw new InputError(file, null, null, 'expects {"cells": {"<cell>": seconds, ...}}');
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(cells)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError(file, null, null, `cells.${k}: expects a non-negative number of seconds`);
    out.set(k, v);
  }
  return out;
}
