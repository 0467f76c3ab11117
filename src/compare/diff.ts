/** The comparison of two sets of stored builds: per-cell transitions and per-fingerprint diagnostic changes (pure). */
import type { BuildStatus, Diagnostic } from '../types.js';

/** What the comparison needs from a stored build. */
export interface ComparableBuild {
  cell: string;
  commitSha: string;
  status: BuildStatus;
  configHash: string;
  /** Compiler identity (`arm-linux-gnueabi-gcc (Debian 12.2.0-14) 12.2.0`). */
  toolchain: string;
  runtime: string;
  image: string | null;
  diagnostics: Diagnostic[];
}

/** How a cell changed between the two sides. */
export type Transition = 'regression' | 'fixed' | 'still-failing' | 'still-passing' | 'not-comparable';

/** Why a cell is not comparable: an ERROR on either side, a different cell config, a different toolchain, or a side with no build. */
export type NotComparableReason = 'error' | 'config' | 'toolchain' | 'not-built' | 'no-baseline';

/** One cell of a diff. */
export interface CellDiff {
  cell: string;
  /** Status on the `from` side, or null when there is no build. */
  from: BuildStatus | null;
  to: BuildStatus | null;
  transition: Transition;
  /** Set for not-comparable cells. */
  reason: NotComparableReason | null;
  /** Human explanation of `reason`. */
  detail: string | null;
  new: Diagnostic[];
  gone: Diagnostic[];
  persisting: Diagnostic[];
}

/** How a diagnostic changed. */
export type DiagnosticChange = 'new' | 'gone' | 'persisting';

/** One diagnostic (by fingerprint) and change, once, with every cell it hits. */
export interface AggregatedDiagnostic {
  change: DiagnosticChange;
  diagnostic: Diagnostic;
  cells: string[];
}

/** The result of comparing two sides. */
export interface DiffResult {
  from: string | null;
  to: string;
  cells: CellDiff[];
  diagnostics: AggregatedDiagnostic[];
}

/** Diagnostics of a build, one per fingerprint, in recorded order. */
function unique(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => (seen.has(d.fingerprint) ? false : (seen.add(d.fingerprint), true)));
}

/** The not-comparable reason of a pair of builds, if any (ERROR first: it decides the exit code). */
function incomparable(a: ComparableBuild | null, b: ComparableBuild | null): { reason: NotComparableReason; detail: string } | null {
  if (!b) return { reason: 'not-built', detail: 'no build on the new side' };
  if (!a) return { reason: 'no-baseline', detail: 'no build on the old side to compare with' };
  const errs = [a.status === 'ERROR' ? 'old' : '', b.status === 'ERROR' ? 'new' : ''].filter(Boolean);
  if (errs.length) {
    const first = (x: ComparableBuild) => x.diagnostics.find((d) => d.severity === 'error')?.message ?? 'infrastructure error';
    const which = [a.status === 'ERROR' ? `old: ${first(a)}` : '', b.status === 'ERROR' ? `new: ${first(b)}` : ''].filter(Boolean);
    return { reason: 'error', detail: `ERROR on the ${errs.join(' and ')} side (${which.join('; ')})` };
  }
  if (a.configHash !== b.configHash) return { reason: 'config', detail: `cell config differs (${a.configHash} vs ${b.configHash})` };
  if (a.toolchain !== b.toolchain || a.runtime !== b.runtime || (a.image ?? '') !== (b.image ?? '')) {
    const id = (x: ComparableBuild) => `${x.toolchain} [${x.runtime}${x.image ? ` ${x.image}` : ''}]`;
    return { reason: 'toolchain', detail: `toolchain differs (${id(a)} vs ${id(b)})` };
  }
  return null;
}

/** Compare one cell's builds (either may be missing). */
export function diffCell(cell: string, a: ComparableBuild | null, b: ComparableBuild | null): CellDiff {
  const before = unique(a?.diagnostics ?? []);
  const after = unique(b?.diagnostics ?? []);
  const had = new Set(before.map((d) => d.fingerprint));
  const has = new Set(after.map((d) => d.fingerprint));
  const nc = incomparable(a, b);
  let transition: Transition;
  if (nc) transition = 'not-comparable';
  else if (a!.status === 'PASS') transition = b!.status === 'PASS' ? 'still-passing' : 'regression';
  else transition = b!.status === 'PASS' ? 'fixed' : 'still-failing';
  return {
    cell,
    from: a?.status ?? null,
    to: b?.status ?? null,
    transition,
    reason: nc?.reason ?? null,
    detail: nc?.detail ?? null,
    new: after.filter((d) => !had.has(d.fingerprint)),
    gone: before.filter((d) => !has.has(d.fingerprint)),
    persisting: after.filter((d) => had.has(d.fingerprint)),
  };
}

/** Each (change, fingerprint) once with the cells it hits, errors before warnings, in first-seen order. */
export function aggregateDiagnostics(cells: readonly CellDiff[]): AggregatedDiagnostic[] {
  const out = new Map<string, AggregatedDiagnostic>();
  for (const c of cells) {
    for (const change of ['new', 'gone', 'persisting'] as const) {
      for (const d of c[change]) {
        const key = `${change}\0${d.fingerprint}`;
        const e = out.get(key) ?? { change, diagnostic: d, cells: [] };
        if (!e.cells.includes(c.cell)) e.cells.push(c.cell);
        out.set(key, e);
      }
    }
  }
  const rank = { new: 0, gone: 1, persisting: 2 } as const;
  return [...out.values()].sort(
    (x, y) => rank[x.change] - rank[y.change] || Number(x.diagnostic.severity !== 'error') - Number(y.diagnostic.severity !== 'error'),
  );
}

/**
 * Compare the builds of two commits cell by cell. `from` may be empty (nothing to compare with: every cell is
 * not-comparable with reason `no-baseline`, never a regression). Cells are ordered by `order`, then as found; a cell
 * of `order` without a build on either side is still listed (not-comparable, not-built): missing is never PASS.
 */
export function diffBuilds(
  from: readonly ComparableBuild[],
  to: readonly ComparableBuild[],
  opts: { fromSha?: string | null; toSha?: string; order?: readonly string[] } = {},
): DiffResult {
  const a = new Map(from.map((b) => [b.cell, b]));
  const b = new Map(to.map((x) => [x.cell, x]));
  const names = [...new Set([...(opts.order ?? []), ...to.map((x) => x.cell), ...from.map((x) => x.cell)])].filter((n) => a.has(n) || b.has(n) || opts.order?.includes(n));
  const cells = names.map((n) => diffCell(n, a.get(n) ?? null, b.get(n) ?? null));
  return {
    from: opts.fromSha ?? from[0]?.commitSha ?? null,
    to: opts.toSha ?? to[0]?.commitSha ?? '',
    cells,
    diagnostics: aggregateDiagnostics(cells),
  };
}

/** Reasons that leave a cell unknown (an ERROR, or no build on a side): never a clean result. */
export const UNKNOWN_REASONS: ReadonlySet<NotComparableReason> = new Set<NotComparableReason>(['error', 'not-built', 'no-baseline']);

/**
 * Whether a not-comparable cell leaves the verdict unknown: the new side is not PASS (it may be a regression nobody
 * can tell), or the two sides differ in cell config or toolchain (nothing was really compared).
 */
export function unknownVerdict(c: CellDiff): boolean {
  return c.transition === 'not-comparable' && (c.to !== 'PASS' || c.reason === 'config' || c.reason === 'toolchain');
}

/** Whether a cell that failed on both sides fails with a new error-severity diagnostic (a regression for the exit code, as in `check`). */
export function newErrorsInFailing(c: CellDiff): boolean {
  return c.transition === 'still-failing' && c.new.some((d) => d.severity === 'error');
}

/** Cells that count as regressions: PASS→FAIL, plus still-failing cells with new errors. */
export function regressionCells(d: Pick<DiffResult, 'cells'>): { all: CellDiff[]; newErrors: CellDiff[] } {
  const newErrors = d.cells.filter(newErrorsInFailing);
  return { all: d.cells.filter((c) => c.transition === 'regression' || newErrorsInFailing(c)), newErrors };
}

/** The regression count as summaries say it, e.g. `1 regression(s) (1 with new errors in an already failing cell)`. */
export function regressionSummary(d: Pick<DiffResult, 'cells'>): string {
  const r = regressionCells(d);
  return `${r.all.length} regression(s)${r.newErrors.length ? ` (${r.newErrors.length} with new errors in an already failing cell)` : ''}`;
}

/**
 * Exit code of a diff: 1 any regression (PASS→FAIL, or new errors in a still-failing cell); else 3 when a cell is
 * unknown (ERROR or no build on either side, new side not PASS without a comparable old side, config or toolchain
 * differing); else 0.
 */
export function diffExitCode(d: Pick<DiffResult, 'cells'>): 0 | 1 | 3 {
  if (regressionCells(d).all.length) return 1;
  if (d.cells.some((c) => unknownVerdict(c) || (c.reason !== null && UNKNOWN_REASONS.has(c.reason)))) return 3;
  return 0;
}
