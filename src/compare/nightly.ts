/** Nightly: build a ref, compare with the last nightly of the matrix (or a baseline), record it (I/O orchestration). */
import { commitInfo, resolveRevisions } from '../build/git.js';
import type { Cell } from '../matrix/load.js';
import { findBuild, lastNightly, nightlyBuilds, recordNightly, storedCommit, type LoadedBuild } from '../store/queries.js';
import { ensureBuilds, storedBuild, type BuildContext } from './builds.js';
import { diffBuilds, type DiffResult } from './diff.js';

/** Options of one nightly. */
export interface NightlyOptions extends BuildContext {
  cells: Cell[];
  ref: string;
  /** `last` (default): the previous nightly of this matrix name; else a revision. */
  baseline?: string;
  rebuild?: boolean;
  /** Do not build a `--baseline REV` that is missing from the store. */
  noBuild?: boolean;
  now?: Date;
}

/** A recorded nightly: what was built, what it was compared with, and the verdict (renderers take it from here). */
export interface NightlyOutcome {
  id: number;
  ref: string;
  sha: string;
  subject: string;
  matrixName: string;
  matrixHash: string;
  baselineSha: string | null;
  baselineSubject: string | null;
  createdAt: string;
  /** Cell names in matrix order. */
  order: string[];
  /** The builds at the ref. */
  builds: LoadedBuild[];
  /** The baseline's builds ([] without a baseline). */
  baselineBuilds: LoadedBuild[];
  diff: DiffResult;
  exitCode: 0 | 1 | 3;
}

/** Exit code of a nightly: 1 on regressions only, 3 when a cell at the ref is ERROR or not built, else 0. */
export function nightlyExitCode(diff: DiffResult): 0 | 1 | 3 {
  if (diff.cells.some((c) => c.transition === 'regression')) return 1;
  if (diff.cells.some((c) => c.to === 'ERROR' || c.to === null)) return 3;
  return 0;
}

/** Baseline builds: the previous nightly's run (or the latest builds at its sha), or a given revision's. */
async function baselineBuilds(o: NightlyOptions): Promise<{ sha: string | null; builds: LoadedBuild[] }> {
  const which = o.baseline ?? 'last';
  if (which === 'last') {
    const prev = lastNightly(o.store, o.matrix.name);
    if (!prev) return { sha: null, builds: [] };
    // The builds that nightly compared; for cells it did not have, the latest build at its sha.
    const own = new Map(nightlyBuilds(o.store, prev.id).map((b) => [b.cell, b]));
    const builds = o.cells
      .map((c) => own.get(c.name) ?? storedBuild(o.store, prev.sha, c, o.runtimeName) ?? findBuild(o.store, prev.sha, c.name, { stage: 'build' }))
      .filter((b): b is LoadedBuild => b !== null);
    return { sha: prev.sha, builds };
  }
  const [sha] = await resolveRevisions(o.tree, [which]);
  const r = await ensureBuilds({ ...o, shas: [sha!], noBuild: o.noBuild, rebuild: false });
  return { sha: sha!, builds: r.builds.get(sha!) ?? [] };
}

/** Run a nightly: build the ref (a run of its own; the result cache applies), diff against the baseline, record it. */
export async function runNightly(o: NightlyOptions): Promise<NightlyOutcome> {
  const [sha] = await resolveRevisions(o.tree, [o.ref]);
  const base = await baselineBuilds(o);
  const got = await ensureBuilds({ ...o, shas: [sha!], noBuild: false, record: true });
  const now = got.builds.get(sha!) ?? [];
  const order = o.cells.map((c) => c.name);
  const diff = diffBuilds(base.builds, now, { fromSha: base.sha, toSha: sha!, order });
  const exitCode = nightlyExitCode(diff);
  const info = storedCommit(o.store, sha!) ?? (await commitInfo(o.tree, sha!));
  const baseInfo = base.sha ? storedCommit(o.store, base.sha) : null;
  const createdAt = (o.now ?? new Date()).toISOString();
  const regressions = diff.cells.filter((c) => c.transition === 'regression').length;
  const head = { ref: o.ref, sha: sha!, matrixName: o.matrix.name, matrixHash: o.matrix.hash, baselineSha: base.sha, createdAt };
  const id = recordNightly(o.store, { ...head, runId: got.runIds[0] ?? null, regressions, exitCode }, now.map((b) => b.id));
  return {
    ...head,
    id,
    subject: info.subject,
    baselineSubject: baseInfo?.subject ?? null,
    order,
    builds: now,
    baselineBuilds: base.builds,
    diff,
    exitCode,
  };
}
