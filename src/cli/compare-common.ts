/** Flags, runtime selection and signal handling shared by diff, nightly, report and log. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cacheRoot } from '../build/paths.js';
import type { Cell } from '../matrix/load.js';
import type { RunOptions } from '../pipeline.js';
import { ContainerRuntime } from '../runtime/container.js';
import { ensureImage } from '../runtime/image.js';
import type { Runtime } from '../runtime/runtime.js';
import { createRuntime, resolveRuntime, runtimeSettings } from '../runtime/select.js';
import { addRuntimeOptions, runtimeOverrides, type RuntimeFlags } from './image.js';
import { DEFAULT_DB, DEFAULT_MATRIX, positiveInt } from './options.js';

export { interruptible } from './signals.js';

/** Exit codes (same values as main.ts's EXIT, which cannot be imported: main.ts runs the CLI on import). */
export const CODES = { OK: 0, FAIL: 1, USAGE: 2, INFRA: 3 } as const;

/** Flags of the store-reading / building commands. */
export interface StoreFlags extends RuntimeFlags {
  tree?: string;
  matrix?: string;
  db?: string;
  cells?: string;
  jobs?: number;
  makeJobs?: number;
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
    .option('--db <file>', `result store (default: ${DEFAULT_DB})`)
    .option('--cells <glob>', "only cells matching (e.g. 'virt-v7/*'; comma separates alternatives)");
  if (!build) return c;
  return addRuntimeOptions(
    c
      .option('-j, --jobs <n>', 'builds at once', positiveInt('--jobs'))
      .option('--make-jobs <n>', 'make -j per build', positiveInt('--make-jobs')),
  );
}

/** Resolved paths of the common flags. */
export function paths(f: StoreFlags, deps: CommandDeps): { tree: string; dbPath: string; resultsDir: string; cache: string } {
  const dbPath = resolve(f.db ?? DEFAULT_DB);
  return { tree: resolve(f.tree ?? process.cwd()), dbPath, resultsDir: resolve(dbPath, '..'), cache: deps.cache ?? cacheRoot() };
}

/** The runtime name stored builds are matched against, and the runtime itself (created, image ensured, only when needed). */
export function runtimeFor(cells: Cell[], f: StoreFlags, deps: CommandDeps, cache: string): { name: string; get: () => Promise<Runtime> } {
  if (deps.runtime) {
    const rt = deps.runtime;
    return { name: rt.name, get: async () => rt };
  }
  const settings = runtimeSettings(cells[0]!, runtimeOverrides(f));
  let made: Promise<Runtime> | null = null;
  return {
    name: resolveRuntime(settings.runtime),
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

/** Write a command result and set the exit code. */
export function emit(r: CommandResult): void {
  if (r.stderr) process.stderr.write(r.stderr);
  process.stdout.write(r.stdout);
  process.exitCode = r.code;
}
