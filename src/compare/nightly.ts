/** Nightly: build a ref, compare with the last nightly of the matrix (or a baseline), record it (I/O orchestration). */
import { commitInfo, resolveRevisions } from '../build/git.js';
import type { Cell, Matrix } from '../matrix/load.js';
import { runMatrix, type RunOptions } from '../pipeline.js';
import type { HistoryGrid } from '../report/grid.js';
import { historyGrid } from '../report/grid.js';
import type { NightlyCell, NightlyReport } from '../report/nightly-report.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/db.js';
import { findBuild, lastNightly, loadBuild, nightlyBuilds, partialNightliesSince, recordNightly, storedCommit, type LoadedBuild } from '../store/queries.js';
import { ensureBuilds, storedBuild } from './builds.js';
import { diagnosticLine, diffBuilds, type DiffResult } from './diff.js';
import { buildExcerpts, buildReproducer, historyBuild } from './enrich.js';

/** Options of one nightly. */
export interface NightlyOptions {
  store: Store;
  tree: string;
  matrix: Matrix;
  cells: Cell[];
  ref: string;
  /** `last` (default): the previous nightly of this matrix name; else a revision. */
  baseline?: string;
  runtimeName: string;
  runtime: () => Promise<Runtime>;
  rebuild?: boolean;
  /** Build nothing: the ref's and a `--baseline REV`'s results come from the store; cells without one are missing. */
  noBuild?: boolean;
  cache: string;
  resultsDir: string;
  jobs?: number;
  makeJobs?: number;
  command: string;
  progress?: RunOptions['progress'];
  signal?: AbortSignal;
  now?: Date;
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

/** Run a nightly: build the ref, diff against the baseline, record it; returns the report (files are the caller's). */
export async function runNightly(o: NightlyOptions): Promise<{ report: NightlyReport; grid: HistoryGrid }> {
  const [sha] = await resolveRevisions(o.tree, [o.ref]);
  const base = await baselineBuilds(o);
  // --no-build: the ref's results come from the store (e.g. merged shard stores); a cell without one is missing.
  const run = o.noBuild ? null : await runMatrix({
    tree: o.tree,
    matrix: o.matrix,
    cells: o.cells,
    revisions: [sha!],
    store: o.store,
    cache: o.cache,
    resultsDir: o.resultsDir,
    runtime: await o.runtime(),
    jobs: o.jobs,
    makeJobs: o.makeJobs,
    command: o.command,
    progress: o.progress,
    signal: o.signal,
    rebuild: o.rebuild ?? false,
  });
  const now = run
    ? run.builds.map((b) => loadBuild(o.store, b.buildId)).filter((b): b is LoadedBuild => b !== null)
    : o.cells.map((c) => storedBuild(o.store, sha!, c, o.runtimeName)).filter((b): b is LoadedBuild => b !== null);
  const order = o.cells.map((c) => c.name);
  const diff = diffBuilds(base.builds, now, { fromSha: base.sha, toSha: sha!, order });
  const exitCode = nightlyExitCode(diff);
  const at = new Map(now.map((b) => [b.cell, b]));
  const cells: NightlyCell[] = diff.cells
    .filter((c) => order.includes(c.cell))
    .map((change) => {
      const b = at.get(change.cell) ?? null;
      const failing = b !== null && b.status !== 'PASS';
      return {
        cell: change.cell,
        status: b?.status ?? null,
        seconds: b?.seconds ?? 0,
        diagnostics: b?.diagnostics ?? [],
        logPath: b?.logPath ?? null,
        reproducer: failing ? buildReproducer(b) : null,
        excerpts: failing ? buildExcerpts(b) : [],
        change,
      };
    });
  const info = storedCommit(o.store, sha!) ?? (await commitInfo(o.tree, sha!));
  const baseInfo = base.sha ? storedCommit(o.store, base.sha) : null;
  const createdAt = (o.now ?? new Date()).toISOString();
  const regressions = diff.cells.filter((c) => c.transition === 'regression').length;
  const partial = partialReason(diff, o.signal?.aborted ?? false);
  const id = recordNightly(o.store, {
    runId: run?.runId ?? null,
    ref: o.ref,
    sha: sha!,
    matrixName: o.matrix.name,
    matrixHash: o.matrix.hash,
    baselineSha: base.sha,
    createdAt,
    regressions,
    exitCode,
    partial,
  }, now.map((b) => b.id));
  const report: NightlyReport = {
    id,
    ref: o.ref,
    sha: sha!,
    subject: info.subject,
    matrixName: o.matrix.name,
    matrixHash: o.matrix.hash,
    baselineSha: base.sha,
    baselineSubject: baseInfo?.subject ?? null,
    baselineNote: base.note,
    partial,
    createdAt,
    cells,
    diff,
    exitCode,
  };
  const commits = [{ sha: sha!, subject: info.subject, label: o.ref }];
  if (base.sha && base.sha !== sha) commits.push({ sha: base.sha, subject: baseInfo?.subject ?? '', label: 'baseline' });
  const grid = historyGrid(commits, order, [...now, ...(base.sha !== sha ? base.builds : [])].map(historyBuild), {
    title: `kmatrix nightly #${id}${partial ? ' (partial)' : ''}: ${o.matrix.name} @ ${sha!.slice(0, 12)}`,
    generatedAt: createdAt,
    notes: nightlyNotes(report),
  });
  return { report, grid };
}

/** The verdict lines a nightly shows above its grid. */
export function nightlyNotes(r: NightlyReport): string[] {
  const n = (t: string) => r.diff.cells.filter((c) => c.transition === t);
  const L = [
    ...(r.partial ? [`PARTIAL nightly (${r.partial}): not a baseline for the next one`] : []),
    ...(r.baselineNote ? [`baseline: ${r.baselineNote}`] : []),
    `${n('regression').length} regression(s), ${n('fixed').length} fixed, ${n('still-failing').length} still failing, ${n('not-comparable').length} not comparable` +
      (r.baselineSha ? ` (baseline ${r.baselineSha.slice(0, 12)})` : ' (no baseline: first nightly)'),
  ];
  for (const x of r.diff.diagnostics.filter((d) => d.change === 'new' && d.diagnostic.severity === 'error')) {
    L.push(`new: ${x.diagnostic.kind}: ${diagnosticLine(x.diagnostic)} — ${x.cells.join(', ')}`);
  }
  return L;
}

/** The `--json` document of a nightly. */
export function nightlyJson(r: NightlyReport): Record<string, unknown> {
  return {
    id: r.id,
    ref: r.ref,
    sha: r.sha,
    subject: r.subject,
    matrix: { name: r.matrixName, hash: r.matrixHash },
    baseline: r.baselineSha,
    baselineNote: r.baselineNote,
    partial: r.partial,
    createdAt: r.createdAt,
    exitCode: r.exitCode,
    cells: r.cells.map((c) => ({
      cell: c.cell,
      status: c.status,
      from: c.change.from,
      to: c.change.to,
      transition: c.change.transition,
      reason: c.change.reason,
      detail: c.change.detail,
      seconds: c.seconds,
      log: c.logPath,
      new: c.change.new,
      gone: c.change.gone,
      persisting: c.change.persisting,
      diagnostics: c.diagnostics,
      reproducer: c.reproducer,
    })),
    diagnostics: r.diff.diagnostics.map((x) => ({ change: x.change, ...x.diagnostic, cells: x.cells })),
  };
}
