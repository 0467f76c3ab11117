/** Nightly: build a ref, compare with the last nightly of the matrix (or a baseline), record it (I/O orchestration). */
import { commitInfo, resolveRevisions } from '../build/git.js';
import type { Cell } from '../matrix/load.js';
import { findBuild, lastNightly, nightlyBuilds, partialNightliesSince, recordNightly, storedCommit, type LoadedBuild } from '../store/queries.js';
import { ensureBuilds, storedBuild, type BuildContext } from './builds.js';
import { diffBuilds, type DiffResult } from './diff.js';

/** Options of one nightly. */
export interface NightlyOptions extends BuildContext {
  cells: Cell[];
  ref: string;
  /** `last` (default): the previous nightly of this matrix name; else a revision. */
  baseline?: string;
  rebuild?: boolean;
  /** Build nothing: the ref's and a `--baseline REV`'s results come from the store; cells without one are missing. */
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
  /** How the baseline was chosen, e.g. `nightly #4 (last complete; skipped partial #5)` or `--baseline v6.1`. */
  baselineNote: string | null;
  /** Why this nightly is partial (interrupted, ERROR or unbuilt cells): it is not a baseline for the next one. Null when complete. */
  partial: string | null;
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

/** Why a nightly is partial (interrupted, or a cell at the ref ERROR or not built), or null when complete (pure). */
export function partialReason(diff: DiffResult, interrupted: boolean): string | null {
  const why: string[] = [];
  if (interrupted) why.push('interrupted');
  const err = diff.cells.filter((c) => c.to === 'ERROR').map((c) => c.cell);
  const none = diff.cells.filter((c) => c.to === null).map((c) => c.cell);
  if (err.length) why.push(`ERROR in ${err.join(', ')}`);
  if (none.length) why.push(`not built: ${none.join(', ')}`);
  return why.length ? why.join('; ') : null;
}

/** Baseline builds: the last complete nightly's (or the latest builds at its sha), or a given revision's; and how it was chosen. */
async function baselineBuilds(o: NightlyOptions): Promise<{ sha: string | null; builds: LoadedBuild[]; note: string | null }> {
  const which = o.baseline ?? 'last';
  if (which === 'last') {
    // Only a complete nightly is a baseline: a partial one could hide a regression in the cells it lacks.
    const prev = lastNightly(o.store, o.matrix.name, { complete: true });
    const skipped = partialNightliesSince(o.store, o.matrix.name, prev?.id ?? 0);
    const skips = skipped.length ? `; skipped partial ${skipped.map((n) => `#${n.id} (${n.partial})`).join(', ')}` : '';
    if (!prev) return { sha: null, builds: [], note: skipped.length ? `no complete nightly yet${skips}` : null };
    // The builds that nightly compared; for cells it did not have, the latest build at its sha.
    const own = new Map(nightlyBuilds(o.store, prev.id).map((b) => [b.cell, b]));
    const builds = o.cells
      .map((c) => own.get(c.name) ?? storedBuild(o.store, prev.sha, c, o.runtimeName) ?? findBuild(o.store, prev.sha, c.name, { stage: 'build' }))
      .filter((b): b is LoadedBuild => b !== null);
    return { sha: prev.sha, builds, note: `nightly #${prev.id} of ${prev.createdAt} (${prev.ref}), the last complete one${skips}` };
  }
  const [sha] = await resolveRevisions(o.tree, [which]);
  const r = await ensureBuilds({ ...o, shas: [sha!], noBuild: o.noBuild, rebuild: false });
  return { sha: sha!, builds: r.builds.get(sha!) ?? [], note: `--baseline ${which}` };
}

/** Run a nightly: build the ref (a run of its own; the result cache applies), diff against the baseline, record it. */
export async function runNightly(o: NightlyOptions): Promise<NightlyOutcome> {
  const [sha] = await resolveRevisions(o.tree, [o.ref]);
  const base = await baselineBuilds(o);
  // --no-build: the ref's results come from the store (e.g. merged shard stores); a cell without one is missing.
  const got = o.noBuild ? null : await ensureBuilds({ ...o, shas: [sha!], noBuild: false, record: true });
  const now = got
    ? (got.builds.get(sha!) ?? [])
    : o.cells.map((c) => storedBuild(o.store, sha!, c, o.runtimeName)).filter((b): b is LoadedBuild => b !== null);
  const order = o.cells.map((c) => c.name);
  const diff = diffBuilds(base.builds, now, { fromSha: base.sha, toSha: sha!, order });
  const exitCode = nightlyExitCode(diff);
  const info = storedCommit(o.store, sha!) ?? (await commitInfo(o.tree, sha!));
  const baseInfo = base.sha ? storedCommit(o.store, base.sha) : null;
  const createdAt = (o.now ?? new Date()).toISOString();
  const regressions = diff.cells.filter((c) => c.transition === 'regression').length;
  const partial = partialReason(diff, o.signal?.aborted ?? false);
  const head = { ref: o.ref, sha: sha!, matrixName: o.matrix.name, matrixHash: o.matrix.hash, baselineSha: base.sha, createdAt, partial };
  const id = recordNightly(o.store, { ...head, runId: got?.runIds[0] ?? null, regressions, exitCode }, now.map((b) => b.id));
  return {
    ...head,
    id,
    subject: info.subject,
    baselineSubject: baseInfo?.subject ?? null,
    baselineNote: base.note,
    order,
    builds: now,
    baselineBuilds: base.builds,
    diff,
    exitCode,
  };
}
