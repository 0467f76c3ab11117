import { homedir } from 'node:os';
import { join } from 'node:path';
import { toolchainDirKey, type Toolchain } from '../matrix/toolchain.js';

/** The cache root: `$KMATRIX_CACHE`, else `$XDG_CACHE_HOME/kmatrix`, else `~/.cache/kmatrix`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KMATRIX_CACHE']) return env['KMATRIX_CACHE'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'kmatrix');
}

/**
 * Where results (the SQLite store and the build logs) go by default: `$KMATRIX_RESULTS`, else
 * `$XDG_DATA_HOME/kmatrix`, else `~/.local/share/kmatrix` — a directory the user owns, wherever kmatrix is installed.
 */
export function resultsRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['KMATRIX_RESULTS']) return env['KMATRIX_RESULTS'];
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'kmatrix');
}

/** Per-tree cache layout: one worktree at a fixed path (stable for incremental builds) and one O= dir per cell. */
export interface TreeSlot {
  root: string;
  worktree: string;
  /** O= dir of a cell under one runtime (host and container builds never share a build dir). */
  buildDir(cell: string, runtime: string): string;
  lockFile: string;
}

/** File-system-safe form of a cell name (`virt-v7/UP-on-SMP` → `virt-v7__UP-on-SMP`, `virt-v7/UP@clang` → `virt-v7__UP@clang`). */
export function cellSlug(cell: string): string {
  return cell.replace(/\//g, '__').replace(/[^A-Za-z0-9._+@-]/g, '_');
}

/**
 * What names a cell's build dir: `<config>/<variant>` for the default toolchain (today's dirs), else
 * `<config>/<variant>@<family>-<hash>` from what defines the toolchain's build (not its name, not its pin): a
 * non-default toolchain never shares a dir with gcc, even when it is the matrix's only toolchain.
 */
export function buildDirName(cell: { config: string; variant: string; toolchain: Pick<Toolchain, 'family' | 'make' | 'image'> }): string {
  const key = toolchainDirKey(cell.toolchain);
  return `${cell.config}/${cell.variant}${key ? `@${key}` : ''}`;
}

/** The cache slot of one tree (by id) under `cache`. */
export function treeSlot(cache: string, id: string): TreeSlot {
  const root = join(cache, 'trees', id);
  return {
    root,
    worktree: join(root, 'src'),
    buildDir: (cell, runtime) => join(root, 'build', runtime, cellSlug(cell)),
    lockFile: join(root, 'lock'),
  };
}
