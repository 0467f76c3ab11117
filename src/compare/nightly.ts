/** Nightly: build a ref, compare with the last nightly of the matrix (or a baseline), record it (I/O orchestration). */
import { commitInfo, resolveRevisions } from '../workspace/git.js';
import type { Cell } from '../matrix/load.js';
import { cellToolchainKey } from '../pipeline/run.js';
import { lastNightly, nightlyBuilds, partialNightliesSince, recordNightly, storedCommit, type LoadedBuild } from '../store/queries.js';
import { currentToolchains, ensureBuilds, sameToolchain, storedBuild, type BuildContext } from './builds.js';
import { diffBuilds, regressionCells, unknownVerdict, type DiffResult } from './diff.js';

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

/**
 * Exit code of a nightly: 1 on regressions (PASS→FAIL, or new errors in a still-failing cell); else 3 when a cell's
 * verdict is unknown (ERROR or not built at the ref, config or toolchain differing from the baseline, a FAIL with an
 * ERROR or no build in the baseline — so the first nightly exits 3 when a cell fails, 0 when all pass); else 0.
 */
export function nightlyExitCode(diff: DiffResult): 0 | 1 | 3 {
  if (regressionCells(diff).all.length) return 1;
  if (diff.cells.some(unknownVerdict)) return 3;
  return 0;
}

/**
 * Why a nightly is partial (interrupted, a cell at the ref ERROR or not built, or compared with a baseline of another
 * cell config or toolchain), or null when complete (pure). A missing baseline (first nightly) does not make it partial.
 */
export function partialReason(diff: DiffResult, interrupted: boolean): string | null {
  const why: string[] = [];
  if (interrupted) why.push('interrupted');
  const err = diff.cells.filter((c) => c.to === 'ERROR').map((c) => c.cell);
  const none = diff.cells.filter((c) => c.to === null).map((c) => c.cell);
  const differs = diff.cells.filter((c) => c.to !== null && c.to !== 'ERROR' && (c.reason === 'config' || c.reason === 'toolchain'));
  if (err.length) why.push(`ERROR in ${err.join(', ')}`);
  if (none.length) why.push(`not built: ${none.join(', ')}`);
  if (differs.length) why.push(`not comparable with the baseline: ${differs.map((c) => `${c.cell} (${c.reason})`).join(', ')}`);
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
    // The builds that nightly compared, where they were made with tonight's cell config and toolchain; every other
    // cell is taken from the store at its sha only if it matches, else rebuilt there with the current toolchain (with
    // --no-build, a cell that nightly had and that no longer matches is missing: exit 2 naming it).
    const tcs = await currentToolchains(o);
    const fits = (b: LoadedBuild | undefined, c: Cell): b is LoadedBuild =>
      b !== undefined && b.configHash === c.hash && sameToolchain(b, o.runtimeName, tcs.get(cellToolchainKey(c)));
    const own = new Map(nightlyBuilds(o.store, prev.id).map((b) => [b.cell, b]));
    const kept = o.cells.filter((c) => fits(own.get(c.name), c));
    const rest = o.cells.filter((c) => !kept.includes(c));
    const required = o.noBuild ? rest.filter((c) => own.has(c.name)) : rest;
    const optional = o.noBuild ? rest.filter((c) => !own.has(c.name)) : [];
    const got = required.length ? await ensureBuilds({ ...o, cells: required, shas: [prev.sha], noBuild: o.noBuild, rebuild: false }) : null;
    const more = new Map((got?.builds.get(prev.sha) ?? []).map((b) => [b.cell, b]));
    const builds = o.cells
      .map((c) => (kept.includes(c) ? own.get(c.name)! : more.get(c.name) ?? (optional.includes(c) ? storedBuild(o.store, prev.sha, c, o.runtimeName, tcs.get(cellToolchainKey(c))) : null)))
      .filter((b): b is LoadedBuild => b !== null && b !== undefined);
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
  const tcs = got ? null : await currentToolchains(o);
  const now = got
    ? (got.builds.get(sha!) ?? [])
    : o.cells.map((c) => storedBuild(o.store, sha!, c, o.runtimeName, tcs?.get(cellToolchainKey(c)))).filter((b): b is LoadedBuild => b !== null);
  const order = o.cells.map((c) => c.name);
  const diff = diffBuilds(base.builds, now, { fromSha: base.sha, toSha: sha!, order });
  const exitCode = nightlyExitCode(diff);
  const info = storedCommit(o.store, sha!) ?? (await commitInfo(o.tree, sha!));
  const baseInfo = base.sha ? storedCommit(o.store, base.sha) : null;
  const createdAt = (o.now ?? new Date()).toISOString();
  const regressions = regressionCells(diff).all.length;
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
