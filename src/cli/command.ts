/** Flags, runtime selection and signal handling shared by diff, nightly, report and log. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cacheRoot } from '../workspace/paths.js';
import { MissingBuildsError, usableIdentity, type BuildContext } from '../compare/builds.js';
import { UsageError, type KmatrixError } from '../errors.js';
import type { Cell, Matrix } from '../matrix/load.js';
import type { Toolchain } from '../matrix/toolchain.js';
import { runtimeOf, type RunOptions } from '../pipeline/run.js';
import { ContainerRuntime } from '../runtime/container.js';
import { ensureImage } from '../runtime/image.js';
import type { Runtime, ToolchainIdentity } from '../runtime/runtime.js';
import { openStore, type Store } from '../store/db.js';
import { createRuntime, resolveRuntime, runtimeSettings } from '../runtime/select.js';
import { addRuntimeOptions, runtimeOverrides, type RuntimeFlags } from './image.js';
import { DB_HELP, DEFAULT_MATRIX, defaultDb, positiveInt } from './options.js';

export { interruptible } from './signals.js';
import { interruptible } from './signals.js';

/** Exit codes every command uses (0 all PASS, 1 any FAIL, 2 usage/input, 3 infrastructure or interrupted). */
export const CODES = { OK: 0, FAIL: 1, USAGE: 2, INFRA: 3 } as const;

/** Flags of the store-reading / building commands. */
export interface StoreFlags extends RuntimeFlags {
  tree?: string;
  matrix?: string;
  db?: string;
  cells?: string;
  /** `--toolchain NAME` (commands that build). */
  toolchain?: string;
  jobs?: number;
  makeJobs?: number;
  /** false with `--no-ccache`. */
  ccache?: boolean;
  json?: boolean;
}

/** What a command function can be given instead of taking it from flags and the process (tests pass these). */
export interface CommandDeps {
  /** Use this runtime (e.g. `new HostRuntime()`) instead of the matrix's / --runtime's. */
  runtime?: Runtime;
  progress?: RunOptions['progress'];
  signal?: AbortSignal;
  /** Cache root (default: cacheRoot()). */
  cache?: string;
  /** Command line recorded with runs. */
  command?: string;
}

/** A command's outcome: exit code and what goes to stdout / stderr. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** --tree/--matrix/--db/--cells (and, for commands that build, -j/--make-jobs and the runtime flags). */
export function addStoreFlags(cmd: Command, build: boolean): Command {
  const c = cmd
    .option('--tree <dir>', 'kernel git tree (default: current directory)')
    .option('--matrix <file>', `matrix YAML (default: ${DEFAULT_MATRIX})`)
    .option('--db <file>', DB_HELP)
    .option('--cells <glob>', "only cells matching (e.g. 'virt-v7/*'; comma separates alternatives)");
  if (!build) return c;
  return addRuntimeOptions(
    c
      .option('--toolchain <name>', "only this toolchain's cells (a matrix `toolchains:` name; built-in when the matrix lacks it: gcc, clang = make LLVM=1, llvm = clang)")
      .option('-j, --jobs <n>', 'builds at once, per commit (default: min(cells, 1.5 × CPUs) when their build dirs are warm, else min(cells, CPUs/2))', positiveInt('--jobs'))
      .option('--make-jobs <n>', 'make -j per build (default: CPUs / jobs)', positiveInt('--make-jobs'))
      .option('--no-ccache', 'compile without ccache (the build dirs stay warm: ccache only passes the compiler through)'),
  );
}

/** Resolved paths of the common flags. */
export function paths(f: StoreFlags, deps: CommandDeps): { tree: string; dbPath: string; resultsDir: string; cache: string } {
  const dbPath = resolve(f.db ?? defaultDb());
  return { tree: resolve(f.tree ?? process.cwd()), dbPath, resultsDir: resolve(dbPath, '..'), cache: deps.cache ?? cacheRoot() };
}

/** The runtime name stored builds are matched against, and the runtime itself (created, image ensured, only when needed). */
export function runtimeFor(
  cells: Cell[],
  f: StoreFlags,
  deps: CommandDeps,
  cache: string,
): { name: string; get: () => Promise<Runtime>; identify: (crossCompile: string, toolchain: Toolchain) => Promise<ToolchainIdentity | null> } {
  /** The toolchain identity as the runtime (in the toolchain's image) reports it, without preparing anything; null when it cannot tell. */
  const identifyWith = (rt: Runtime) => async (cc: string, tc: Toolchain) => {
    const id = await runtimeOf(rt, { toolchain: tc }).identity(cc, tc).catch(() => null);
    return id && usableIdentity(id);
  };
  if (deps.runtime) {
    const rt = deps.runtime;
    return { name: rt.name, get: async () => rt, identify: identifyWith(rt) };
  }
  const settings = runtimeSettings(cells[0]!, runtimeOverrides(f));
  let made: Promise<Runtime> | null = null;
  let bare: Runtime | null = null;
  return {
    name: resolveRuntime(settings.runtime),
    identify: (cc, tc) => identifyWith((bare ??= createRuntime(settings, { cache })))(cc, tc),
    get: () =>
      (made ??= (async () => {
        const rt = createRuntime(settings, { cache });
        if (rt instanceof ContainerRuntime) {
          await ensureImage(rt.settings, rt.settings.image, join(cache, 'image'), (s) => process.stderr.write(`${s}\n`), deps.signal);
        }
        return rt;
      })()),
  };
}

/** A usage / input failure as a command result (exit 2, nothing written to stdout). */
export function usage(message: string): CommandResult {
  return { code: CODES.USAGE, stdout: '', stderr: `kmatrix: ${message}\n` };
}

/** An expected error as a command result: the exit code its class carries (usage 2, infrastructure 3), its message (or `message`). */
export function failure(e: KmatrixError, message = e.message): CommandResult {
  return { code: e.exitCode, stdout: '', stderr: `kmatrix: ${message}\n` };
}

/**
 * The skeleton of every command that builds: open the store, give `body` the build context for the cells, close
 * the store; bad input and builds missing under --no-build become exit 2, an interrupted run exit 3.
 */
export async function withBuildContext(
  f: StoreFlags,
  deps: CommandDeps,
  sel: { matrix: Matrix; cells: Cell[]; command: string; tree?: string },
  body: (ctx: BuildContext & { cells: Cell[] }) => Promise<CommandResult>,
): Promise<CommandResult> {
  const p = paths(f, deps);
  const rt = runtimeFor(sel.cells, f, deps, p.cache);
  let store: Store | null = null;
  try {
    store = openStore(p.dbPath);
    const r = await body({
      store,
      tree: sel.tree ?? p.tree,
      matrix: sel.matrix,
      cells: sel.cells,
      runtimeName: rt.name,
      runtime: rt.get,
      identify: rt.identify,
      cache: p.cache,
      resultsDir: p.resultsDir,
      jobs: f.jobs,
      makeJobs: f.makeJobs,
      ccache: f.ccache,
      command: deps.command ?? sel.command,
      progress: deps.progress,
      signal: deps.signal,
    });
    return deps.signal?.aborted && r.code !== CODES.USAGE ? { ...r, code: CODES.INFRA } : r;
  } catch (e) {
    if (e instanceof MissingBuildsError) return failure(e, `${e.message}; run without --no-build to build them (${rt.name} runtime, current cell config and toolchain)`);
    if (e instanceof UsageError) return failure(e);
    throw e;
  } finally {
    store?.close();
  }
}

/** A commander action body: Ctrl-C aborts (unless the caller gave a signal), the real command line is recorded, the result written. */
export async function runAction(deps: CommandDeps, run: (deps: CommandDeps) => Promise<CommandResult>): Promise<void> {
  const intr = deps.signal ? null : interruptible();
  try {
    emit(await run({ ...deps, signal: deps.signal ?? intr?.signal, command: process.argv.slice(2).join(' ') }));
  } finally {
    intr?.dispose();
  }
}

/** Write a command result and set the exit code. */
export function emit(r: CommandResult): void {
  if (r.stderr) process.stderr.write(r.stderr);
  process.stdout.write(r.stdout);
  process.exitCode = r.code;
}
