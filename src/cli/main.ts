import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { dirname, join } from 'node:path';
import { cacheRoot } from '../build/paths.js';
import { InputError } from '../matrix/errors.js';
import { runMatrix } from '../pipeline.js';
import { buildJson, diagnosticSummary, exitCodeFor, renderGrid } from '../report/table.js';
import { ContainerRuntime } from '../runtime/container.js';
import { ensureImage } from '../runtime/image.js';
import { createRuntime, runtimeSettings } from '../runtime/select.js';
import { registerBisectCommand } from './bisect.js';
import { registerCheckCommand } from './check.js';
import { registerClassifyCommand } from './classify.js';
import { registerCompareCommands } from './compare.js';
import { interruptible } from './compare-common.js';
import { registerDoctor } from './doctor.js';
import { addRuntimeOptions, registerImageCommands, runtimeOverrides, type RuntimeFlags } from './image.js';
import { openStore } from '../store/db.js';
import { preflight } from './preflight.js';
import { TOOL_VERSION } from '../version.js';
import { addShardOptions, DEFAULT_DB, DEFAULT_MATRIX, positiveInt, selectCells } from './options.js';
import { registerMergeCommands } from './merge.js';
import { registerCiCommand } from './ci.js';
import { demoCommits } from '../demo/commits.js';
import { ensureReplayTree, ReplayError } from '../demo/replay.js';

/** Exit codes every command uses. */
export const EXIT = { OK: 0, FAIL: 1, USAGE: 2, INFRA: 3 } as const;

interface RunFlags extends RuntimeFlags {
  tree?: string;
  matrix?: string;
  db?: string;
  json?: boolean;
  cells?: string;
  jobs?: number;
  makeJobs?: number;
  kconfigOnly?: boolean;
  rebuild?: boolean;
  kconfig?: string;
  kconfigAdd?: string[];
  variants?: string;
  shard?: string | boolean;
  shards?: number;
  shardWeights?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Common run/demo flags. */
function addRunFlags(cmd: Command): Command {
  const c = cmd
    .option('--tree <dir>', 'kernel git tree (default: current directory)')
    .option('--matrix <file>', `matrix YAML (default: ${DEFAULT_MATRIX})`)
    .option('--db <file>', `result store (default: ${DEFAULT_DB})`)
    .option('--json', 'machine-readable output on stdout (progress goes to stderr)')
    .option('--cells <glob>', "only cells matching (e.g. 'virt-v7/*'; comma separates alternatives)")
    .option('-j, --jobs <n>', 'builds at once (default: min(cells, CPUs/2))', positiveInt('--jobs'))
    .option('--make-jobs <n>', 'make -j per build (default: CPUs / jobs)', positiveInt('--make-jobs'))
    .option('--kconfig-only', 'stop after the Kconfig stage (seconds per cell)')
    .option('--rebuild', 'build even when the store has this (tree, cell, toolchain) result already')
    .option('--kconfig <name|file>', 'ad-hoc base config (a defconfig/all*config target or a config file)')
    .option('--kconfig-add <CONFIG_X=y|file>', 'extra Kconfig line or fragment file (repeatable)', collect)
    .option('--variants <list>', 'only these variants, e.g. UP,SMP,UP-on-SMP');
  return addRuntimeOptions(c);
}

/** Execute a matrix run from flags; returns the exit code. */
async function doRun(revs: string[], f: RunFlags, treeOverride?: string): Promise<{ code: number; output: string }> {
  const { matrix, cells, shard } = selectCells(f);
  if (shard) process.stderr.write(`kmatrix: shard ${shard.index}/${shard.total}: ${cells.length ? cells.map((c) => c.name).join(', ') : 'no cells'}\n`);
  const tree = resolve(treeOverride ?? f.tree ?? process.cwd());
  const dbPath = resolve(f.db ?? DEFAULT_DB);
  const cache = cacheRoot();
  // Cells of one matrix share their runtime settings: one runtime for the whole run.
  const runtime = createRuntime(runtimeSettings(cells[0] ?? matrix.cells[0]!, runtimeOverrides(f)), { cache });
  // Bad trees, revisions and --db are usage errors: reported before anything is written or an image is made.
  await preflight({ tree, revs, cells: cells.length ? cells : matrix.cells, dbPath });
  if (runtime instanceof ContainerRuntime && cells.length) {
    await ensureImage(runtime.settings, runtime.settings.image, join(cache, 'image'), (s) => process.stderr.write(`${s}\n`));
  }
  const store = openStore(dbPath);
  const intr = interruptible();
  try {
    const { builds, missing } = await runMatrix({
      tree,
      matrix,
      cells,
      revisions: revs,
      store,
      cache,
      resultsDir: dirname(dbPath),
      runtime,
      jobs: f.jobs,
      makeJobs: f.makeJobs,
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
    const output = f.json
      ? JSON.stringify(
          { ...(shard ? { shard: `${shard.index}/${shard.total}` } : {}), builds: builds.map((b) => buildJson({ ...b, toolchain: b.toolchain })), missing: notBuilt },
          null,
          2,
        ) + '\n'
      : renderGrid(builds, { color: process.stdout.isTTY });
    return { code, output };
  } finally {
    intr.dispose();
    store.close();
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
    const tree = await ensureReplayTree(cacheRoot(), log);
    if (f.path) {
      process.stdout.write(`${tree}\n`);
      return;
    }
    const commits = await demoCommits(tree);
    log(`kmatrix: building ${commits.length} commits of the replay tree: ${commits.map((c) => c.label).join(', ')}`);
    const { code, output } = await doRun(commits.map((c) => c.sha), f, tree);
    process.stdout.write(output);
    // FAIL cells are the story the demo tells; only infrastructure trouble fails the demo.
    process.exitCode = code === EXIT.INFRA ? EXIT.INFRA : EXIT.OK;
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
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.USAGE;
      return;
    }
    if (e instanceof InputError) {
      process.stderr.write(`kmatrix: ${e.message}\n`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    if (e instanceof ReplayError) {
      process.stderr.write(`kmatrix: ${e.message}\n`);
      process.exitCode = EXIT.INFRA;
      return;
    }
    process.stderr.write(`kmatrix: ${(e as Error).message}\n`);
    if (process.env['KMATRIX_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = EXIT.INFRA;
  }
}

