import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { resultsRoot } from '../workspace/paths.js';
import { FragmentError, mergeFragments, parseFragment, type FragmentLine } from '../matrix/fragment.js';
import { InputError } from '../errors.js';
import { checkInputFile } from '../output-path.js';
import { cellMatcher } from '../matrix/glob.js';
import { adhocMatrix, selectToolchain, withExtraLines } from '../matrix/adhoc.js';
import { loadMatrix, type Cell, type Matrix } from '../matrix/load.js';
import { parseWeights, shardCells, shardFromEnv, type ShardSpec } from '../matrix/shard.js';
import { PACKAGE_ROOT } from '../version.js';

/** The project's default matrix file. */
export const DEFAULT_MATRIX = join(PACKAGE_ROOT, 'matrix', 'zsmalloc-arm.yaml');
/** The default result store: `kmatrix.db` in the results directory (logs go to `logs/` beside it). */
export function defaultDb(env: NodeJS.ProcessEnv = process.env): string {
  return join(resultsRoot(env), 'kmatrix.db');
}

/** How --db's default reads in help texts. */
export const DB_HELP = 'result store (default: $KMATRIX_RESULTS/kmatrix.db, else $XDG_DATA_HOME/kmatrix/kmatrix.db, else ~/.local/share/kmatrix/kmatrix.db)';

/** Options shared by every command that selects cells. */
export interface CellOptions {
  matrix?: string;
  cells?: string;
  kconfig?: string;
  kconfigAdd?: string[];
  variants?: string;
  /** `--toolchain NAME`: only that toolchain's cells (or a built-in toolchain the matrix does not define). */
  toolchain?: string;
  /** `--shard I/N`, or true/`auto` for the CI environment's index (see shardFromEnv). */
  shard?: string | boolean;
  /** Shard count for a Kubernetes JOB_COMPLETION_INDEX. */
  shards?: number;
  /** `--shard-weights FILE`: balance shards by these recorded seconds per cell. */
  shardWeights?: string;
}

/** Parse one --kconfig-add value: a `CONFIG_X=y` / `# CONFIG_X is not set` line or a fragment file. */
export function kconfigAddLines(value: string): FragmentLine[] {
  const trimmed = value.trim();
  const looksLikeLine = /^(#\s*)?CONFIG_/.test(trimmed);
  if (!looksLikeLine) {
    if (!existsSync(value)) throw new InputError('--kconfig-add', null, null, `'${value}' is neither a CONFIG_X=value line nor an existing fragment file`);
    try {
      return parseFragment(readFileSync(value, 'utf8'), value);
    } catch (e) {
      if (e instanceof FragmentError) throw new InputError(resolve(value), e.line, e.column, e.reason);
      throw e;
    }
  }
  try {
    return parseFragment(trimmed, '--kconfig-add');
  } catch (e) {
    if (e instanceof FragmentError) throw new InputError('--kconfig-add', null, null, `malformed Kconfig line '${value}': ${e.reason}`);
    throw e;
  }
}

/** The matrix and the cells selected by --matrix/--toolchain/--cells/--kconfig/--kconfig-add/--variants. */
export function selectCells(o: CellOptions): { matrix: Matrix; cells: Cell[]; shard: ShardSpec | null } {
  let matrix = loadMatrix(o.matrix ?? DEFAULT_MATRIX);
  // First: a built-in toolchain re-expands the matrix file, which the ad-hoc cells below are made from.
  const tsel = o.toolchain !== undefined ? selectToolchain(matrix, o.toolchain) : null;
  if (tsel) matrix = tsel.matrix;
  const extra = mergeFragments((o.kconfigAdd ?? []).map(kconfigAddLines));
  if (o.kconfig !== undefined) matrix = adhocMatrix(matrix, o.kconfig, extra);
  else if (extra.length) matrix = withExtraLines(matrix, extra);
  let cells = tsel ? matrix.cells.filter(tsel.keep) : matrix.cells;
  if (o.variants !== undefined) {
    const wanted = o.variants.split(',').map((v) => v.trim()).filter(Boolean);
    const known = Object.keys(matrix.file.variants);
    for (const v of wanted) {
      if (!known.includes(v)) throw new InputError('--variants', null, null, `unknown variant '${v}' (known: ${known.join(', ')})`);
    }
    cells = cells.filter((c) => wanted.includes(c.variant));
  }
  if (o.cells !== undefined) {
    const match = cellMatcher(o.cells);
    const all = cells;
    cells = cells.filter((c) => match(c.name));
    if (cells.length === 0) {
      throw new InputError('--cells', null, null, `'${o.cells}' matches no cell (cells: ${all.map((c) => c.name).join(', ')})`);
    }
  }
  if (cells.length === 0) throw new InputError('--variants', null, null, 'no cell left to build');
  const shard = selectedShard(o);
  if (shard) {
    // Planned over the whole matrix so that --cells/--variants never move a cell to another shard.
    const mine = new Set(shardCells(matrix.cells, shard, shardWeights(o)).map((c) => c.name));
    cells = cells.filter((c) => mine.has(c.name));
  }
  return { matrix, cells, shard };
}

/** The shard selected by --shard/--shards and the CI environment, or null. */
export function selectedShard(o: CellOptions, env: Record<string, string | undefined> = process.env): ShardSpec | null {
  const flag = o.shard === true ? 'auto' : o.shard === false ? undefined : o.shard;
  return shardFromEnv(flag, env, o.shards);
}

/** Largest --shard-weights file read (seconds per cell: a few kB even for a large matrix). */
const MAX_WEIGHTS_FILE = 16 * 1024 * 1024;

/** Weights of --shard-weights FILE, if given. */
export function shardWeights(o: CellOptions): Map<string, number> | undefined {
  if (o.shardWeights === undefined) return undefined;
  // A regular file of bounded size: /dev/zero or a FIFO would be read forever.
  checkInputFile('--shard-weights', o.shardWeights, MAX_WEIGHTS_FILE);
  let text: string;
  try {
    text = readFileSync(o.shardWeights, 'utf8');
  } catch (e) {
    throw new InputError('--shard-weights', null, null, `cannot read '${o.shardWeights}': ${(e as Error).message}`);
  }
  return parseWeights(text, resolve(o.shardWeights));
}

/** The --shard/--shards/--shard-weights options (run, diff, check). */
export function addShardOptions<T extends Command>(cmd: T): T {
  return cmd
    .option('--shard [I/N]', 'only the cells of shard I of N (1-based); bare: from CI_NODE_INDEX/CI_NODE_TOTAL or JOB_COMPLETION_INDEX')
    .option('--shards <n>', 'shard count when the index comes from JOB_COMPLETION_INDEX (or KMATRIX_SHARDS)', positiveInt('--shards'))
    .option('--shard-weights <file>', 'balance shards by recorded seconds per cell (kmatrix shards --weights)') as T;
}

/** Parse a positive integer flag or throw a usage error naming it. */
export function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InputError(flag, null, null, `expects a positive integer, got '${v}'`);
    return n;
  };
}
