/** Getting the builds a comparison needs: from the store, building what is missing via runMatrix (I/O). */
import { UsageError } from '../errors.js';
import type { Cell, Matrix } from '../matrix/load.js';
import { versionPinProblem, type Toolchain } from '../matrix/toolchain.js';
import { cellToolchainKey, runMatrix, runtimeOf, type RunOptions } from '../pipeline/run.js';
import { unidentified, type Runtime, type ToolchainIdentity } from '../runtime/runtime.js';
import type { Store } from '../store/db.js';
import { findBuild, loadBuild, type LoadedBuild } from '../store/queries.js';

/** Builds that are not in the store and may not be built (`--no-build`). */
export class MissingBuildsError extends UsageError {
  /** `other`: the toolchain of a stored build that exists but was made with another toolchain than the current one. */
  constructor(readonly missing: { sha: string; cell: string; other?: string }[]) {
    super(
      `not in the store (and --no-build given): ${missing
        .map((m) => `${m.cell} @ ${m.sha.slice(0, 12)}${m.other ? ` (stored build made with another toolchain: ${m.other})` : ''}`)
        .join(', ')}`,
    );
    this.name = 'MissingBuildsError';
  }
}

/** What every command that builds needs: the store, the tree and matrix, the runtime, where things go, how many at once. */
export interface BuildContext {
  store: Store;
  tree: string;
  matrix: Matrix;
  /** Runtime name stored builds must have been made with (host, podman, docker). */
  runtimeName: string;
  /** The runtime, created only if something has to be built (or its toolchain identified). */
  runtime: () => Promise<Runtime>;
  /**
   * The current toolchain identity without preparing anything (no image build), for `--no-build`; null when it cannot be
   * told (no engine, no image, no compiler on this machine). Without it, `--no-build` asks `runtime()`.
   */
  identify?: (crossCompile: string, toolchain: Toolchain) => Promise<ToolchainIdentity | null>;
  cache: string;
  resultsDir: string;
  jobs?: number;
  makeJobs?: number;
  /** false = `--no-ccache` (RunOptions.ccache). */
  ccache?: boolean;
  /** Command line recorded with the runs. */
  command: string;
  progress?: RunOptions['progress'];
  signal?: AbortSignal;
}

/** What ensureBuilds needs besides the context: which cells at which commits, and whether it may (re)build. */
export interface EnsureOptions extends BuildContext {
  cells: Cell[];
  shas: string[];
  noBuild?: boolean;
  /** Build everything again (passed to runMatrix as `rebuild`). */
  rebuild?: boolean;
  /** Run every cell through runMatrix even when stored, so the builds belong to a run of this command (its result cache still applies). */
  record?: boolean;
}

/** The current toolchain per cell toolchain key (cellToolchainKey; null: not identifiable, then only the runtime name is matched). */
export type Toolchains = ReadonlyMap<string, ToolchainIdentity | null>;

/** A usable identity, or null for a compiler the runtime reports missing / unknown. */
export function usableIdentity(id: ToolchainIdentity): ToolchainIdentity | null {
  return unidentified(id.compiler) ? null : id;
}

/**
 * The toolchain each cell would be built with now (runtime name, image ID, compiler version line): asked of the
 * runtime (cheap: one `gcc --version`, cached); with `noBuild` through `identify` so nothing is prepared.
 */
export async function currentToolchains(o: BuildContext & { cells: Cell[]; noBuild?: boolean }): Promise<Toolchains> {
  const out = new Map<string, ToolchainIdentity | null>();
  for (const cell of o.cells) {
    const key = cellToolchainKey(cell);
    if (out.has(key)) continue;
    let id: ToolchainIdentity | null = null;
    try {
      id =
        o.noBuild && o.identify
          ? await o.identify(cell.crossCompile, cell.toolchain)
          : usableIdentity(await runtimeOf(await o.runtime(), cell).identity(cell.crossCompile, cell.toolchain));
    } catch {
      id = null; // no engine / no image: the builds that need it fail as ERROR later; matching falls back to the runtime name
    }
    out.set(key, id);
  }
  return out;
}

/** Whether a stored build was made with this toolchain (any, when it could not be identified). */
export function sameToolchain(b: Pick<LoadedBuild, 'runtime' | 'image' | 'toolchain'>, runtimeName: string, tc: ToolchainIdentity | null | undefined): boolean {
  if (!tc) return b.runtime === runtimeName;
  return b.runtime === tc.runtime && (b.image ?? null) === (tc.image ?? null) && b.toolchain === tc.compiler;
}

/**
 * The stored build of a cell at a commit made with the cell's current definition under the runtime, if any; with
 * `tc`, only one made with exactly that toolchain (runtime, image ID, compiler version line).
 */
export function storedBuild(store: Store, sha: string, cell: Cell, runtimeName: string, tc?: ToolchainIdentity | null): LoadedBuild | null {
  const exact = tc ? { runtime: tc.runtime, image: tc.image ?? null, toolchain: tc.compiler } : { runtime: runtimeName };
  return findBuild(store, sha, cell.name, { configHash: cell.hash, stage: 'build', ...exact });
}

/**
 * For every sha, the build of every cell: reused from the store only when one exists for the cell's config hash
 * and the current toolchain identity (runtime, image ID, compiler: a build made with another toolchain is not
 * reused, so both sides of a comparison share one), else built (grouped into as few runMatrix calls as possible);
 * with `noBuild` a cell without such a build is missing (MissingBuildsError). Cells that could not be built
 * (interrupted) are absent from the result.
 */
export async function ensureBuilds(o: EnsureOptions): Promise<{ builds: Map<string, LoadedBuild[]>; built: number; runIds: number[] }> {
  const tcs = o.rebuild || o.record ? new Map<string, null>() : await currentToolchains(o);
  const have = new Map<string, Map<string, LoadedBuild>>();
  const missing = new Map<string, Cell[]>();
  for (const sha of o.shas) {
    const m = new Map<string, LoadedBuild>();
    have.set(sha, m);
    for (const cell of o.cells) {
      const tc = tcs.get(cellToolchainKey(cell));
      // A toolchain that misses its version pin now reuses nothing: runMatrix records its cells ERROR (never a stored PASS).
      const pinUnmet = tc ? versionPinProblem(cell.toolchain, tc.compiler) !== null : false;
      const b = o.rebuild || o.record || pinUnmet ? null : storedBuild(o.store, sha, cell, o.runtimeName, tc);
      if (b) m.set(cell.name, b);
      else missing.set(sha, [...(missing.get(sha) ?? []), cell]);
    }
  }
  if (missing.size && o.noBuild) {
    const other = (sha: string, c: Cell) => {
      const x = storedBuild(o.store, sha, c, o.runtimeName) ?? findBuild(o.store, sha, c.name, { configHash: c.hash, stage: 'build' });
      return x ? { other: `${x.toolchain} [${x.runtime}${x.image ? ` ${x.image}` : ''}]` } : {};
    };
    throw new MissingBuildsError([...missing].flatMap(([sha, cells]) => cells.map((c) => ({ sha, cell: c.name, ...other(sha, c) }))));
  }
  // One runMatrix per distinct set of missing cells (commonly: one call for everything).
  const groups = new Map<string, { cells: Cell[]; shas: string[] }>();
  for (const [sha, cells] of missing) {
    const key = cells.map((c) => c.name).join('\0');
    const g = groups.get(key) ?? { cells, shas: [] };
    g.shas.push(sha);
    groups.set(key, g);
  }
  let built = 0;
  const runIds: number[] = [];
  for (const g of groups.values()) {
    if (o.signal?.aborted) break;
    const runtime = await o.runtime();
    const r = await runMatrix({
      tree: o.tree,
      matrix: o.matrix,
      cells: g.cells,
      revisions: g.shas,
      store: o.store,
      cache: o.cache,
      resultsDir: o.resultsDir,
      runtime,
      jobs: o.jobs,
      makeJobs: o.makeJobs,
      ccache: o.ccache,
      command: o.command,
      progress: o.progress,
      signal: o.signal,
      rebuild: o.rebuild ?? false,
    });
    runIds.push(r.runId);
    for (const b of r.builds) {
      const loaded = loadBuild(o.store, b.buildId);
      if (loaded) {
        have.get(b.commit.sha)?.set(b.cell.name, loaded);
        built++;
      }
    }
  }
  const order = new Map(o.cells.map((c, i) => [c.name, i]));
  return {
    builds: new Map([...have].map(([sha, m]) => [sha, [...m.values()].sort((a, b) => order.get(a.cell)! - order.get(b.cell)!)])),
    built,
    runIds,
  };
}
