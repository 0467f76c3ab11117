/** `kmatrix run`: build revisions × cells, record every build, print the grid (or JSON); also the run behind `demo`. */
import type { Command } from 'commander';
import { runMatrix } from '../pipeline/run.js';
import { historyBuild } from '../report/enrich.js';
import { historyGrid, renderHistoryText } from '../report/grid.js';
import { buildJson, demoExitCode, exitCodeFor } from '../report/run-json.js';
import { HostRuntime } from '../runtime/host.js';
import type { Runtime } from '../runtime/runtime.js';
import { openStore } from '../store/db.js';
import { loadBuild, type LoadedBuild } from '../store/queries.js';
import { addStoreFlags, CODES, paths, runtimeFor, type StoreFlags } from './command.js';
import { addShardOptions, selectCells, type CellOptions } from './options.js';
import { preflight } from './preflight.js';
import { interruptible } from './signals.js';

/** Exit codes every command uses. */
const EXIT = CODES;

/** Flags of run and demo: the store/build flags, the cell selection (ad-hoc cells, shards) and the run-only ones. */
export interface RunFlags extends StoreFlags, CellOptions {
  kconfigOnly?: boolean;
  rebuild?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Common run/demo flags: the store/build flags every building command has, and the run-only ones. */
export function addRunFlags(cmd: Command): Command {
  return addStoreFlags(cmd, true)
    .option('--json', 'machine-readable output on stdout (progress goes to stderr)')
    .option('--kconfig-only', 'stop after the Kconfig stage (seconds per cell)')
    .option('--rebuild', 'build even when the store has this (tree, cell, toolchain) result already')
    .option('--kconfig <name|file>', 'ad-hoc base config (a defconfig/all*config target or a config file)')
    .option('--kconfig-add <CONFIG_X=y|file>', 'extra Kconfig line or fragment file (repeatable)', collect)
    .option('--variants <list>', 'only these variants, e.g. UP,SMP,UP-on-SMP');
}

/** Execute a matrix run from flags; returns the exit code of `run` and of `demo` (see demoExitCode). */
export async function doRun(
  revs: string[],
  f: RunFlags,
  treeOverride?: string,
  prepared?: Runtime,
): Promise<{ code: number; output: string; demoCode: 0 | 3 }> {
  const { matrix, cells, shard } = selectCells(f);
  if (shard) process.stderr.write(`kmatrix: shard ${shard.index}/${shard.total}: ${cells.length ? cells.map((c) => c.name).join(', ') : 'no cells'}\n`);
  const { dbPath, resultsDir, cache, ...p } = paths(f, {});
  const tree = treeOverride ?? p.tree;
  // Bad trees, revisions and --db are usage errors: reported before anything is written or an image is made.
  await preflight({ tree, revs, cells: cells.length ? cells : matrix.cells, dbPath });
  // From here on a signal stops the work cleanly (an image build included) and exits 3.
  const intr = interruptible();
  let store: ReturnType<typeof openStore> | null = null;
  try {
    // Cells of one matrix share their runtime settings: one runtime for the whole run (made only when a shard has cells).
    const rt = runtimeFor(cells.length ? cells : matrix.cells, f, { signal: intr.signal }, cache);
    const runtime = cells.length ? (prepared ?? (await rt.get())) : null;
    const db = openStore(dbPath);
    store = db;
    const { builds, missing } = await runMatrix({
      tree,
      matrix,
      cells,
      revisions: revs,
      store: db,
      cache,
      resultsDir,
      // A shard without cells runs nothing: no runtime (and no image) is needed for it.
      runtime: runtime ?? new HostRuntime(),
      jobs: f.jobs,
      makeJobs: f.makeJobs,
      ccache: f.ccache,
      kconfigOnly: f.kconfigOnly,
      rebuild: f.rebuild,
      command: process.argv.slice(2).join(' '),
      shard: shard ? `${shard.index}/${shard.total}` : undefined,
      signal: intr.signal,
    });
    const statuses = builds.map((b) => b.status);
    // A cell with no recorded build is unknown: never PASS, so never exit 0.
    const code = intr.signal.aborted ? EXIT.INFRA : exitCodeFor(missing.length ? [...statuses, 'ERROR'] : statuses);
    for (const m of missing) process.stderr.write(`kmatrix: ${m.cell.name} @ ${m.commit.sha.slice(0, 12)} has no result: ${m.reason}\n`);
    const notBuilt = missing.map((m) => ({ commit: m.commit.sha, cell: m.cell.name, reason: m.reason }));
    let output: string;
    if (f.json) {
      const doc = { ...(shard ? { shard: `${shard.index}/${shard.total}` } : {}), builds: builds.map((b) => buildJson({ ...b, toolchain: b.toolchain })), missing: notBuilt };
      output = JSON.stringify(doc, null, 2) + '\n';
    }
    else {
      // The same grid as `kmatrix report`: the last given revision first, each error once, reproducers.
      const commits = [...new Map(builds.map((b) => [b.commit.sha, b.commit])).values()].reverse();
      const stored = builds.map((b) => loadBuild(db, b.buildId)).filter((b): b is LoadedBuild => b !== null);
      const grid = historyGrid(commits, cells.map((c) => c.name), stored.map(historyBuild));
      output = renderHistoryText(grid, { color: process.stdout.isTTY });
    }
    return { code, output, demoCode: demoExitCode(statuses, missing.length, intr.signal.aborted) };
  } finally {
    intr.dispose();
    store?.close();
  }
}

/** Register `kmatrix run`. */
export function registerRunCommand(p: Command): void {
  addShardOptions(addRunFlags(
    p
      .command('run')
      .description('build revisions (default HEAD; A..B ranges accepted) × matrix cells; record and print results')
      .argument('[revisions...]', 'commits or A..B ranges'),
  )).action(async (revs: string[], f: RunFlags) => {
    const { code, output } = await doRun(revs, f);
    process.stdout.write(output);
    process.exitCode = code;
  });
}
