/** Getting the builds a comparison needs: from the store, building what is missing via runMatrix (I/O). */
import type { Cell, Matrix } from '../matrix/load.js';
import { runMatrix, type RunOptions } from '../pipeline.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/db.js';
import { findBuild, loadBuild, type LoadedBuild } from '../store/queries.js';

/** Builds that are not in the store and may not be built (`--no-build`). */
export class MissingBuildsError extends Error {
  constructor(readonly missing: { sha: string; cell: string }[]) {
    super(`not in the store (and --no-build given): ${missing.map((m) => `${m.cell} @ ${m.sha.slice(0, 12)}`).join(', ')}`);
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
  /** The runtime, created only if something has to be built. */
  runtime: () => Promise<Runtime>;
  cache: string;
  resultsDir: string;
  jobs?: number;
  makeJobs?: number;
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

/** The stored build of a cell at a commit made with the cell's current definition under the runtime, if any. */
export function storedBuild(store: Store, sha: string, cell: Cell, runtimeName: string): LoadedBuild | null {
  return findBuild(store, sha, cell.name, { configHash: cell.hash, runtime: runtimeName, stage: 'build' });
}

/**
 * For every sha, the build of every cell: reused from the store when one exists for the cell's config hash
 * and runtime, else built (grouped into as few runMatrix calls as possible). Cells that could not be built
 * (interrupted) are absent from the result.
 */
export async function ensureBuilds(o: EnsureOptions): Promise<{ builds: Map<string, LoadedBuild[]>; built: number; runIds: number[] }> {
  const have = new Map<string, Map<string, LoadedBuild>>();
  const missing = new Map<string, Cell[]>();
  for (const sha of o.shas) {
    const m = new Map<string, LoadedBuild>();
    have.set(sha, m);
    for (const cell of o.cells) {
      const b = o.rebuild || o.record ? null : storedBuild(o.store, sha, cell, o.runtimeName);
      if (b) m.set(cell.name, b);
      else missing.set(sha, [...(missing.get(sha) ?? []), cell]);
    }
  }
  if (missing.size && o.noBuild) {
    throw new MissingBuildsError([...missing].flatMap(([sha, cells]) => cells.map((c) => ({ sha, cell: c.name }))));
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
