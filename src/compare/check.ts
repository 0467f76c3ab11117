/** `kmatrix check`: what each patch of a series introduces, fixes and touches, over stored builds (pure) plus git I/O at the edges. */
import { git } from '../workspace/git.js';
import { InputError } from '../errors.js';
import type { BuildStatus, Diagnostic } from '../types.js';
import { aggregateDiagnostics, diffCell, UNKNOWN_REASONS, type ComparableBuild } from './diff.js';
import { splitCellName } from './toolchains.js';

/** Added line ranges per file (`git diff -U0` new-side hunks), inclusive. */
export type TouchedLines = Map<string, [number, number][]>;

/** Parse `git diff -U0 parent patch` output into the new-side files and the line ranges each hunk adds. */
export function parseHunks(diff: string): TouchedLines {
  const out: TouchedLines = new Map();
  let file: string | null = null;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const p = line.slice(4).replace(/\t.*$/, '');
      file = p === '/dev/null' ? null : p.replace(/^"?b\//, '').replace(/"$/, '');
      if (file && !out.has(file)) out.set(file, []);
      continue;
    }
    const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (m && file) {
      const start = Number(m[1]);
      const count = m[2] === undefined ? 1 : Number(m[2]);
      if (count > 0) out.get(file)!.push([start, start + count - 1]);
    }
  }
  return out;
}

/** Whether a diagnostic's file:line falls in lines the patch added or changed. */
export function inTouchedLines(t: TouchedLines, d: Pick<Diagnostic, 'file' | 'line'>): boolean {
  if (!d.file || d.line === null) return false;
  return (t.get(d.file) ?? []).some(([a, b]) => d.line! >= a && d.line! <= b);
}

/** One diagnostic (by fingerprint) in a patch's report, with the cells it hits. */
export interface CheckDiagnostic {
  diagnostic: Diagnostic;
  cells: string[];
  /** The diagnostic's file:line is in a line the patch itself added/changed. */
  touched: boolean;
}

/** A cell that could not be judged at a patch: an ERROR build (infrastructure) or no build on one side. */
export interface InfraCell {
  cell: string;
  detail: string;
}

/** What one patch does to the build, relative to its parent. */
export interface PatchCheck {
  sha: string;
  parent: string;
  subject: string;
  /** Status per cell at the patch (null: no build). */
  status: Record<string, BuildStatus | null>;
  /** Diagnostics present at the patch and absent at its parent (the `>>` lines). */
  new: CheckDiagnostic[];
  /** Diagnostics at the patch that its parent already had. */
  preexisting: CheckDiagnostic[];
  /** Errors at the parent that are gone at the patch. */
  fixed: CheckDiagnostic[];
  infra: InfraCell[];
}

/** The whole series. */
export interface CheckResult {
  base: string;
  cells: string[];
  /** Distinct toolchain identities (compiler version strings) of the builds. */
  toolchains: string[];
  /**
   * With several toolchains in the matrix (cells named `<config>/<variant>@<toolchain>`): each toolchain's name and
   * the identities its builds recorded, in cell order; empty for a one-toolchain matrix.
   */
  byToolchain: { name: string; identities: string[] }[];
  /** Architecture label (e.g. `ARM`). */
  arch: string;
  patches: PatchCheck[];
}

/** One patch to analyse: its builds, its parent's builds and its touched lines. */
export interface PatchInput {
  sha: string;
  parent: string;
  subject: string;
  builds: readonly ComparableBuild[];
  parentBuilds: readonly ComparableBuild[];
  touched: TouchedLines;
}

/** Analyse one patch: introduced vs pre-existing vs fixed, per cell then aggregated; ERROR/missing cells set aside. */
export function checkPatch(p: PatchInput, order: readonly string[]): PatchCheck {
  const a = new Map(p.parentBuilds.map((b) => [b.cell, b]));
  const b = new Map(p.builds.map((x) => [x.cell, x]));
  const infra: InfraCell[] = [];
  const diffs = [];
  const status: Record<string, BuildStatus | null> = {};
  for (const cell of order) {
    const from = a.get(cell) ?? null;
    const to = b.get(cell) ?? null;
    status[cell] = to?.status ?? null;
    const d = diffCell(cell, from, to);
    if (d.reason !== null && UNKNOWN_REASONS.has(d.reason)) {
      infra.push({ cell, detail: d.detail ?? d.reason });
      continue;
    }
    diffs.push(d);
  }
  const agg = aggregateDiagnostics(diffs);
  const mark = (x: { diagnostic: Diagnostic; cells: string[] }): CheckDiagnostic => ({
    diagnostic: x.diagnostic,
    cells: x.cells,
    touched: inTouchedLines(p.touched, x.diagnostic),
  });
  return {
    sha: p.sha,
    parent: p.parent,
    subject: p.subject,
    status,
    new: agg.filter((x) => x.change === 'new').map(mark),
    preexisting: agg.filter((x) => x.change === 'persisting').map(mark),
    fixed: agg.filter((x) => x.change === 'gone' && x.diagnostic.severity === 'error').map(mark),
    infra,
  };
}

/** Analyse a series: each patch against its parent. */
export function checkSeries(
  base: string,
  patches: readonly PatchInput[],
  o: { order: readonly string[]; arch?: string },
): CheckResult {
  const all = patches.flatMap((p) => [...p.builds, ...p.parentBuilds]);
  const names = [...new Set(o.order.map((c) => splitCellName(c).toolchain).filter((t): t is string => t !== null))];
  const byToolchain =
    names.length < 2
      ? []
      : names.map((name) => ({
          name,
          identities: [...new Set(all.filter((b) => splitCellName(b.cell).toolchain === name).map((b) => b.toolchain).filter(Boolean))],
        }));
  return {
    base,
    cells: [...o.order],
    toolchains: [...new Set(all.map((b) => b.toolchain).filter(Boolean))],
    byToolchain,
    arch: (o.arch ?? 'arm').toUpperCase(),
    patches: patches.map((p) => checkPatch(p, o.order)),
  };
}

/** New errors of a patch (warnings do not fail a check). */
export function newErrors(p: PatchCheck): CheckDiagnostic[] {
  return p.new.filter((x) => x.diagnostic.severity === 'error');
}

/** Exit code of a check: 1 any new error, else 3 any ERROR/missing build, else 0. */
export function checkExitCode(r: CheckResult): 0 | 1 | 3 {
  if (r.patches.some((p) => newErrors(p).length)) return 1;
  if (r.patches.some((p) => p.infra.length)) return 3;
  return 0;
}

/** A series to check: base and patches (oldest first) with each patch's parent. */
export interface Series {
  base: string;
  patches: { sha: string; parent: string }[];
}

/** A revision of a series as a commit sha; an unknown one is an exit-2 InputError carrying git's own message. */
async function seriesRev(tree: string, rev: string, spec: string): Promise<string> {
  try {
    return await git(tree, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`]);
  } catch (e) {
    const said = (e as Error).message.replace(/^git [^:]*\(in [^)]*\): /, '');
    throw new InputError('range', null, null, `unknown revision '${rev}' in '${spec}' (git: ${said})`);
  }
}

/**
 * Resolve a range (`A..B`; a single rev R means `R..HEAD`; none means `@{upstream}..HEAD` or `HEAD~1..HEAD`) to a
 * series (git I/O). Bad input (unknown revision, empty or symmetric range, --worktree misuse) is an exit-2 InputError
 * with git's message; git failing for other reasons is a plain Error (exit 3) with git's message.
 */
export async function resolveSeries(tree: string, range: string | undefined, tipOnly = false, worktree = false): Promise<Series> {
  let spec = range;
  if (!spec) {
    const up = await git(tree, ['rev-parse', '--verify', '--quiet', '@{upstream}']).catch(() => '');
    spec = up ? '@{upstream}..HEAD' : 'HEAD~1..HEAD';
  } else if (!spec.includes('..')) spec = `${spec}..HEAD`;
  if (spec.includes('...')) throw new InputError('range', null, null, `symmetric range '${spec}' is not a series; use A..B`);
  const [fromRev, toRev] = spec.split('..') as [string, string];
  const from = await seriesRev(tree, fromRev || 'HEAD', spec);
  const to = await seriesRev(tree, toRev || 'HEAD', spec);
  const list = (await git(tree, ['rev-list', '--reverse', '--topo-order', '--first-parent', `${from}..${to}`])).split('\n').filter(Boolean);
  if (worktree) {
    // Uncommitted changes to tracked files as a temporary commit on top of HEAD (`git stash create`
    // writes the commit object only: the checkout, the index and the stash list are untouched).
    const head = await git(tree, ['rev-parse', 'HEAD']);
    if (to !== head) throw new InputError('--worktree', null, null, `needs a range that ends at HEAD ('${spec}' ends at ${to.slice(0, 12)})`);
    const wip = await git(tree, ['stash', 'create', 'kmatrix check: uncommitted changes']);
    if (!wip) throw new InputError('--worktree', null, null, 'no uncommitted changes to tracked files');
    list.push(wip);
  }
  if (!list.length) throw new InputError('range', null, null, `'${spec}' is empty: ${to.slice(0, 12)} has no commits that ${from.slice(0, 12)} lacks`);
  const base = await git(tree, ['rev-parse', '--verify', '--quiet', `${list[0]}^`]).catch(() => '');
  if (!base) throw new InputError('range', null, null, `the first commit of '${spec}' (${list[0]!.slice(0, 12)}) has no parent to compare with`);
  if (tipOnly) return { base, patches: [{ sha: list[list.length - 1]!, parent: base }] };
  return { base, patches: list.map((sha, i) => ({ sha, parent: i ? list[i - 1]! : base })) };
}

/** The lines a patch adds (`git diff -U0 parent patch`, git I/O). */
export async function touchedLines(tree: string, parent: string, sha: string): Promise<TouchedLines> {
  return parseHunks(await git(tree, ['diff', '-U0', '--no-color', '--no-ext-diff', '--no-renames', parent, sha]));
}
