import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { cacheRoot } from '../build/paths.js';
import { exitCodeOf, KmatrixError } from '../errors.js';
import { runMatrix } from '../pipeline.js';
import { minutesAndSeconds } from '../pipeline/stages.js';
import { historyBuild } from '../report/enrich.js';
import { historyGrid, renderHistoryText } from '../report/grid.js';
import { buildJson, demoExitCode, exitCodeFor } from '../report/run-json.js';
import { registerBisectCommand } from './bisect.js';
import { registerCheckCommand } from './check.js';
import { registerClassifyCommand } from './classify.js';
import { registerCompareCommands } from './compare.js';
import { addStoreFlags, CODES, paths, runtimeFor, type StoreFlags } from './compare-common.js';
import { guardSignals, interruptible } from './signals.js';
import { registerDoctor } from './doctor.js';
import { registerImageCommands } from './image.js';
import { HostRuntime } from '../runtime/host.js';
import { checkStorePath, openStore } from '../store/db.js';
import type { Cell } from '../matrix/load.js';
import type { Runtime } from '../runtime/runtime.js';
import { loadBuild, type LoadedBuild } from '../store/queries.js';
import { TOOL_VERSION } from '../version.js';
import { addShardOptions, selectCells, type CellOptions } from './options.js';
import { preflight } from './preflight.js';
import { registerMergeCommands } from './merge.js';
import { registerCiCommand } from './ci.js';
import { demoCommits } from '../demo/commits.js';
import { ensureReplayTree } from '../demo/replay.js';

/** Exit codes every command uses. */
const EXIT = CODES;

/** Flags of run and demo: the store/build flags, the cell selection (ad-hoc cells, shards) and the run-only ones. */
interface RunFlags extends StoreFlags, CellOptions {
  kconfigOnly?: boolean;
  rebuild?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Common run/demo flags: the store/build flags every building command has, and the run-only ones. */
function addRunFlags(cmd: Command): Command {
  return addStoreFlags(cmd, true)
    .option('--json', 'machine-readable output on stdout (progress goes to stderr)')
    .option('--kconfig-only', 'stop after the Kconfig stage (seconds per cell)')
    .option('--rebuild', 'build even when the store has this (tree, cell, toolchain) result already')
    .option('--kconfig <name|file>', 'ad-hoc base config (a defconfig/all*config target or a config file)')
    .option('--kconfig-add <CONFIG_X=y|file>', 'extra Kconfig line or fragment file (repeatable)', collect)
    .option('--variants <list>', 'only these variants, e.g. UP,SMP,UP-on-SMP');
}

/** Execute a matrix run from flags; returns the exit code of `run` and of `demo` (see demoExitCode). */
async function doRun(
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

/** Seconds for the demo's phase line. */
function secs(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const [m, rest] = minutesAndSeconds(s);
  return `${m} min ${rest} s`;
}

/**
 * The demo's two independent preparations side by side: the build image (made if missing) and the replay tree.
 * A signal stops both (each removes its scratch dir); if one fails the other is stopped too and the first
 * failure is thrown. Returns the tree, the ready runtime and a line saying how long each took.
 */
async function prepareDemo(
  cells: Cell[],
  f: RunFlags,
  cache: string,
  log: (s: string) => void,
): Promise<{ tree: string; runtime: Runtime; phases: string }> {
  const intr = interruptible();
  const failed = new AbortController();
  const signal = AbortSignal.any([intr.signal, failed.signal]);
  const t0 = Date.now();
  const timed = async <T>(p: () => Promise<T>): Promise<{ value: T; seconds: number }> => {
    try {
      const value = await p();
      return { value, seconds: (Date.now() - t0) / 1000 };
    } catch (e) {
      failed.abort('failed');
      throw e;
    }
  };
  try {
    const rt = runtimeFor(cells, f, { signal }, cache);
    const [image, replay] = await Promise.allSettled([timed(() => rt.get()), timed(() => ensureReplayTree(cacheRoot(), log, signal))]);
    // The replay tree's failure says more (and an image build stopped because of it only says it was stopped).
    if (replay.status === 'rejected') throw replay.reason;
    if (image.status === 'rejected') throw image.reason;
    const both = Math.max(image.value.seconds, replay.value.seconds);
    return {
      tree: replay.value.value,
      runtime: image.value.value,
      phases: `image ${secs(image.value.seconds)} and replay tree ${secs(replay.value.seconds)}, side by side: ${secs(both)}`,
    };
  } finally {
    intr.dispose();
  }
}

/** The kmatrix command line. */
export function program(): Command {
  const p = new Command('kmatrix')
    .description('Run a Kconfig build matrix of Linux kernel cross-compiles and remember every result')
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();

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

  registerClassifyCommand(p);

  addRunFlags(
    p
      .command('demo')
      .description('prepare the replay tree (Debian linux-source-6.1 + the seed series) and run the matrix on its interesting commits')
      .option('--path', 'prepare the tree if needed and print only its path'),
  ).action(async (f: RunFlags & { path?: boolean }) => {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    if (f.path) {
      const intr = interruptible();
      const tree = await ensureReplayTree(cacheRoot(), log, intr.signal).finally(intr.dispose);
      process.stdout.write(`${tree}\n`);
      return;
    }
    const t0 = Date.now();
    // Bad flags (matrix, cells, --db) are exit 2 before anything is made.
    const { matrix, cells } = selectCells(f);
    const { dbPath, cache } = paths(f, {});
    checkStorePath(dbPath);
    const { tree, runtime, phases } = await prepareDemo(cells.length ? cells : matrix.cells, f, cache, log);
    const commits = await demoCommits(tree);
    log(`kmatrix: building ${commits.length} commits of the replay tree: ${commits.map((c) => c.label).join(', ')}`);
    const t1 = Date.now();
    const { output, demoCode } = await doRun(commits.map((c) => c.sha), f, tree, runtime);
    process.stdout.write(output);
    log(`kmatrix: demo phases: ${phases}; builds ${secs((Date.now() - t1) / 1000)}; total ${secs((Date.now() - t0) / 1000)}`);
    // FAIL cells are the story the demo tells; an ERROR or missing cell (even next to them) fails the demo: exit 3.
    process.exitCode = demoCode;
  });

  registerImageCommands(p);
  registerDoctor(p, EXIT);
  registerCompareCommands(p);
  registerBisectCommand(p);
  registerCheckCommand(p);
  registerMergeCommands(p);
  registerCiCommand(p);
  return p;
}

/** Run the CLI and map errors to exit codes. */
export async function main(argv: string[]): Promise<void> {
  guardSignals();
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.USAGE;
      return;
    }
    // The one place exit codes come from errors: a usage error 2, an infrastructure error 3, anything unexpected 3.
    process.stderr.write(`kmatrix: ${(e as Error).message}\n`);
    if (!(e instanceof KmatrixError) && process.env['KMATRIX_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = exitCodeOf(e);
  }
}
