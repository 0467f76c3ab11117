/** A run's recorder: it alone writes the run's builds to the store, and knows which (commit, cell) has none and why. */
import { existsSync, statSync } from 'node:fs';
import type { BuildOutcome } from '../kbuild/build.js';
import { fingerprint } from '../fingerprint.js';
import type { Cell } from '../matrix/load.js';
import type { ToolchainIdentity } from '../runtime/runtime.js';
import { buildDiagnostics, cellId, recordBuild, recordStoreTime, upsertCommit, type Store, type StoredBuild } from '../store/db.js';
import { timed } from '../timed.js';
import { placeKey, type CommitInfo, type Diagnostic } from '../types.js';
import type { MissingBuild, RunBuild } from './run-types.js';
import { errorText, toolchainUsed } from './toolchains.js';

/** How a build that could not run or threw is recorded: when it started, how long it took, its log and the kind of its diagnostic. */
export interface ErrorContext {
  /** Date.now() when the attempt began (default: now, 0 seconds). */
  t0?: number;
  startedAt?: string;
  logPath?: string;
  kind?: 'infra' | 'toolchain-missing';
}

/** Records a run's builds (fresh, reused, ERROR) and notes the places that have none. */
export interface Recorder {
  /** Record a build made by this run; it also gets the time recording it took (`stages.store`). */
  built(commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, r: BuildOutcome): RunBuild;
  /** Reuse a stored result of the same build key (recorded again when it was seen at another commit of the same tree). */
  reused(commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, hit: StoredBuild): RunBuild;
  /** Record a cell whose build could not run or threw as ERROR with a diagnostic naming the cause; throws if the store does. */
  error(commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, cause: string, at?: ErrorContext): RunBuild;
  /** Like `error`, but a store that fails is noted as the reason the place has no build. */
  errorOrNote(commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, cause: string, at?: ErrorContext): void;
  /** Note why a place has no recorded build. */
  failed(commit: CommitInfo, cell: Cell, reason: string): void;
  /** Every recorded build in commit then cell order, and every place with none (with why). */
  result(commits: readonly CommitInfo[], cells: readonly Cell[], interrupted: boolean): { builds: RunBuild[]; missing: MissingBuild[] };
}

/** The one error diagnostic of a build that kmatrix could not run (or finish): `infra` or `toolchain-missing`, naming the cause. */
export function causeDiagnostic(kind: 'infra' | 'toolchain-missing', message: string): Diagnostic {
  const base = { kind, severity: 'error', file: null, line: null, column: null, symbol: null, module: null } as const;
  return { ...base, message, fingerprint: fingerprint({ ...base, message }) };
}

/**
 * The outcome of a build that could not run or threw: ERROR with one diagnostic naming the cause (`infra`, or
 * `toolchain-missing` for a toolchain that is not there or misses its version pin).
 */
export function errorOutcome(cause: string, startedAt: string, seconds: number, logPath: string, kind: 'infra' | 'toolchain-missing' = 'infra'): BuildOutcome {
  const kept = [logPath, logPath.replace(/\.gz$/, '')].find((p) => p && existsSync(p) && statSync(p).isFile()) ?? '';
  return {
    status: 'ERROR',
    stage: 'build',
    exitCode: null,
    timedOut: false,
    aborted: false,
    seconds,
    startedAt,
    logPath: kept,
    diagnostics: [causeDiagnostic(kind, `kmatrix: ${cause}`)],
    stages: {},
    ccache: null,
  };
}

/** A stored build as the outcome of a build (reused, not built now: no stage times or ccache counts of this run). */
function storedOutcome(store: Store, hit: StoredBuild): BuildOutcome {
  const { status, stage, exitCode, timedOut, seconds, startedAt } = hit;
  return { status, stage, exitCode, timedOut, aborted: false, seconds, startedAt, logPath: hit.logPath ?? '', diagnostics: buildDiagnostics(store, hit.id), stages: {}, ccache: null };
}

/** The recorder of run `runId`. */
export function createRecorder(store: Store, runId: number): Recorder {
  const builds: RunBuild[] = [];
  /** (commit, cell) → why it has no recorded build (even recording an ERROR failed, e.g. the store is unwritable). */
  const failures = new Map<string, string>();
  const insert = (commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, r: BuildOutcome): number => {
    upsertCommit(store, commit);
    const cid = cellId(store, cell.name, cell.hash, cell);
    return recordBuild(store, { ...r, ...toolchainUsed(tc), runId, commitSha: commit.sha, cellId: cid, logPath: r.logPath || null });
  };
  const add = (commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, r: BuildOutcome, buildId: number, cached: boolean): RunBuild => {
    const b: RunBuild = { ...r, commit, cell, buildId, toolchain: tc.compiler, cached };
    builds.push(b);
    return b;
  };
  /** Record an outcome of this run (built, or ERROR); it also gets the time recording it took (`stages.store`). */
  const fresh = (commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, r: BuildOutcome): RunBuild => {
    const id = timed(r.stages, 'store', () => insert(commit, cell, tc, r));
    recordStoreTime(store, id, r.stages.store!);
    return add(commit, cell, tc, r, id, false);
  };
  const rec: Recorder = {
    built: fresh,
    reused(commit, cell, tc, hit) {
      const r = storedOutcome(store, hit);
      return add(commit, cell, tc, r, hit.commitSha === commit.sha ? hit.id : insert(commit, cell, tc, r), true);
    },
    error(commit, cell, tc, cause, at = {}) {
      const t0 = at.t0 ?? Date.now();
      const r = errorOutcome(cause, at.startedAt ?? new Date().toISOString(), (Date.now() - t0) / 1000, at.logPath ?? '', at.kind);
      return fresh(commit, cell, tc, r);
    },
    errorOrNote(commit, cell, tc, cause, at) {
      try {
        rec.error(commit, cell, tc, cause, at);
      } catch (e) {
        rec.failed(commit, cell, `${cause}; recording it failed: ${errorText(e)}`);
      }
    },
    failed(commit, cell, reason) {
      failures.set(placeKey(commit.sha, cell.name), reason);
    },
    result(commits, cells, interrupted) {
      const order = new Map(commits.map((c, i) => [c.sha, i]));
      const cellOrder = new Map(cells.map((c, i) => [c.name, i]));
      const sorted = [...builds].sort((a, b) => order.get(a.commit.sha)! - order.get(b.commit.sha)! || cellOrder.get(a.cell.name)! - cellOrder.get(b.cell.name)!);
      const have = new Set(sorted.map((b) => placeKey(b.commit.sha, b.cell.name)));
      const missing = commits.flatMap((commit) =>
        cells
          .filter((cell) => !have.has(placeKey(commit.sha, cell.name)))
          .map((cell) => ({ commit, cell, reason: failures.get(placeKey(commit.sha, cell.name)) ?? (interrupted ? 'interrupted before it was built' : 'not built') })),
      );
      return { builds: sorted, missing };
    },
  };
  return rec;
}
