/** The toolchains of one commit side by side: `X@gcc` against `X@clang`, per cell (pure). */
import type { BuildStatus, Diagnostic } from '../types.js';
import type { ComparableBuild } from './diff.js';

/** A cell name split into its base (`<config>/<variant>`) and toolchain (`gcc` in `virt-v7/UP@gcc`; null without `@`). */
export function splitCellName(name: string): { base: string; toolchain: string | null } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { base: name, toolchain: null } : { base: name.slice(0, at), toolchain: name.slice(at + 1) };
}

/** The toolchain names found in cell names, in first-seen order (empty when no cell carries one). */
export function cellToolchains(cells: readonly string[]): string[] {
  return [...new Set(cells.map((c) => splitCellName(c).toolchain).filter((t): t is string => t !== null))];
}

/**
 * How the two toolchains did on one cell: `same-pass` (both PASS), `same-fail` (both FAIL: the differing diagnostics
 * say whether with the same errors), `only-one-fails` (`failsOnlyWith` names it), `unknown` (an ERROR or no build on
 * either side: nothing can be said).
 */
export type ToolchainVerdict = 'same-pass' | 'same-fail' | 'only-one-fails' | 'unknown';

/** One toolchain's side of a cell. */
export interface ToolchainSide {
  toolchain: string;
  /** Full cell name (`virt-v7/UP@clang`). */
  cell: string;
  status: BuildStatus | null;
  /** Compiler identity of the build (null: not built). */
  identity: string | null;
}

/** One cell compared across the two toolchains. */
export interface ToolchainCell {
  /** Cell without the toolchain (`virt-v7/UP`). */
  cell: string;
  a: ToolchainSide;
  b: ToolchainSide;
  verdict: ToolchainVerdict;
  /** Toolchain name for `only-one-fails`, else null. */
  failsOnlyWith: string | null;
  /** Why the verdict is unknown: an ERROR build or no build, with the side(s); null otherwise. */
  reason: 'error' | 'not-built' | null;
  detail: string | null;
  /** Diagnostics only the first toolchain reports (no counterpart in the second's). */
  onlyA: Diagnostic[];
  /** Diagnostics only the second toolchain reports. */
  onlyB: Diagnostic[];
  /** Diagnostics both report (the first toolchain's copy). */
  common: Diagnostic[];
  /** Both fail, but not with the same errors. */
  errorsDiffer: boolean;
}

/** The comparison of two toolchains at one commit. */
export interface ToolchainComparison {
  sha: string;
  toolchains: [string, string];
  cells: ToolchainCell[];
}

/**
 * Whether two diagnostics from different compilers name the same problem: same fingerprint, or same kind and the same
 * symbol + module (link/modpost), or same kind at the same file:line (compilers word the same error differently).
 */
export function sameProblem(x: Diagnostic, y: Diagnostic): boolean {
  if (x.fingerprint === y.fingerprint) return true;
  if (x.kind !== y.kind) return false;
  if (x.symbol && x.symbol === y.symbol) return (x.module ?? x.file) === (y.module ?? y.file);
  return x.file !== null && x.line !== null && x.file === y.file && x.line === y.line;
}

/** Diagnostics of a build, one per fingerprint. */
function unique(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => (seen.has(d.fingerprint) ? false : (seen.add(d.fingerprint), true)));
}

function side(toolchain: string, cell: string, b: ComparableBuild | null): ToolchainSide {
  return { toolchain, cell, status: b?.status ?? null, identity: b?.toolchain ?? null };
}

/** The first error message of a build, for an ERROR's explanation. */
function firstError(b: ComparableBuild): string {
  return b.diagnostics.find((d) => d.severity === 'error')?.message ?? 'infrastructure error';
}

/** Compare one cell built with two toolchains at the same commit (either build may be missing). */
export function compareToolchainCell(
  cell: string,
  a: { toolchain: string; cell: string; build: ComparableBuild | null },
  b: { toolchain: string; cell: string; build: ComparableBuild | null },
): ToolchainCell {
  const da = unique(a.build?.diagnostics ?? []);
  const db = unique(b.build?.diagnostics ?? []);
  const onlyA = da.filter((x) => !db.some((y) => sameProblem(x, y)));
  const onlyB = db.filter((y) => !da.some((x) => sameProblem(x, y)));
  const common = da.filter((x) => db.some((y) => sameProblem(x, y)));
  const base = { cell, a: side(a.toolchain, a.cell, a.build), b: side(b.toolchain, b.cell, b.build), onlyA, onlyB, common };
  const none = { failsOnlyWith: null, errorsDiffer: false };
  const missing = [a, b].filter((x) => !x.build).map((x) => x.toolchain);
  if (missing.length) {
    return { ...base, ...none, verdict: 'unknown', reason: 'not-built', detail: `not built with ${missing.join(' and ')}` };
  }
  const errs = [a, b].filter((x) => x.build!.status === 'ERROR');
  if (errs.length) {
    const detail = `ERROR with ${errs.map((x) => `${x.toolchain} (${firstError(x.build!)})`).join(' and ')}`;
    return { ...base, ...none, verdict: 'unknown', reason: 'error', detail };
  }
  const fa = a.build!.status === 'FAIL';
  const fb = b.build!.status === 'FAIL';
  const noReason = { reason: null, detail: null };
  if (fa && fb) {
    const errorsDiffer = [...onlyA, ...onlyB].some((d) => d.severity === 'error');
    return { ...base, ...noReason, verdict: 'same-fail', failsOnlyWith: null, errorsDiffer };
  }
  if (fa || fb) return { ...base, ...noReason, verdict: 'only-one-fails', failsOnlyWith: fa ? a.toolchain : b.toolchain, errorsDiffer: false };
  return { ...base, ...noReason, ...none, verdict: 'same-pass' };
}

/**
 * Put two toolchains of one commit side by side: every base cell of `order` (`virt-v7/UP`) is compared as
 * `<base>@<a>` against `<base>@<b>`; builds are matched by their full cell names, never across other cells.
 */
export function compareToolchains(
  sha: string,
  toolchains: [string, string],
  order: readonly string[],
  builds: readonly ComparableBuild[],
): ToolchainComparison {
  const [ta, tb] = toolchains;
  const byName = new Map(builds.filter((x) => x.commitSha === sha).map((x) => [x.cell, x]));
  const cells = order.map((base) => {
    const na = `${base}@${ta}`;
    const nb = `${base}@${tb}`;
    return compareToolchainCell(base, { toolchain: ta, cell: na, build: byName.get(na) ?? null }, { toolchain: tb, cell: nb, build: byName.get(nb) ?? null });
  });
  return { sha, toolchains: [ta, tb], cells };
}

/** Counts per verdict (`only-one-fails` split by toolchain). */
export function toolchainCounts(r: ToolchainComparison): { samePass: number; sameFail: number; onlyA: number; onlyB: number; unknown: number } {
  const n = (f: (c: ToolchainCell) => boolean) => r.cells.filter(f).length;
  return {
    samePass: n((c) => c.verdict === 'same-pass'),
    sameFail: n((c) => c.verdict === 'same-fail'),
    onlyA: n((c) => c.failsOnlyWith === r.toolchains[0]),
    onlyB: n((c) => c.failsOnlyWith === r.toolchains[1]),
    unknown: n((c) => c.verdict === 'unknown'),
  };
}

/**
 * Exit code of `diff --toolchains`: 1 when a cell fails with only one of the two toolchains; else 3 when a cell could
 * not be compared (ERROR or not built with either); else 0 (every cell compared and both toolchains give it the same
 * status: both PASS, or both FAIL).
 */
export function toolchainExitCode(r: Pick<ToolchainComparison, 'cells'>): 0 | 1 | 3 {
  if (r.cells.some((c) => c.verdict === 'only-one-fails')) return 1;
  if (r.cells.some((c) => c.verdict === 'unknown')) return 3;
  return 0;
}
