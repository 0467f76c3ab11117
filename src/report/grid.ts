/** The history grid: commits (rows, newest first) × cells (columns), with first-failing markers (pure). */
import { cellToolchains, splitCellName } from '../compare/toolchains.js';
import { cellLabels, diagnosticLine } from './diagnostic.js';
import { placeKey, type BuildStatus, type Diagnostic } from '../types.js';
import type { LogExcerpt } from './log-excerpt.js';

/** A row of the grid. */
export interface HistoryCommit {
  sha: string;
  subject: string;
  /** Optional name (`baseline`, `tip`, a nightly ref). */
  label?: string;
}

/** What the grid takes per build. */
export interface HistoryBuild {
  commitSha: string;
  cell: string;
  status: BuildStatus;
  diagnostics: Diagnostic[];
  seconds?: number;
  logPath?: string | null;
  buildId?: number;
  toolchain?: string;
  runtime?: string;
  /** Shell commands that rebuild the cell at the commit (failing cells). */
  reproducer?: string | null;
  excerpts?: LogExcerpt[];
}

/** One grid cell: the build there (status null = not built) and whether the cell broke here. */
export interface HistoryEntry {
  status: BuildStatus | null;
  /** FAIL here and PASS at the previous built commit of this cell: the first failing commit of a streak. */
  firstFailing: boolean;
  build: HistoryBuild | null;
}

/** Grid data, ready to render. */
export interface HistoryGrid {
  title: string;
  generatedAt: string;
  /** Newest first. */
  commits: HistoryCommit[];
  cells: string[];
  /** entries[commit][cell]. */
  entries: HistoryEntry[][];
  /** Free lines shown above the grid (e.g. a nightly's regressions). */
  notes?: string[];
}

/** Assemble the grid from commits (newest first), the cells (column order) and the builds found. */
export function historyGrid(
  commits: readonly HistoryCommit[],
  cells: readonly string[],
  builds: readonly HistoryBuild[],
  meta: { title?: string; generatedAt?: string; notes?: string[] } = {},
): HistoryGrid {
  const at = new Map(builds.map((b) => [placeKey(b.commitSha, b.cell), b]));
  const entries: HistoryEntry[][] = commits.map((c) =>
    cells.map((cell) => {
      const b = at.get(placeKey(c.sha, cell)) ?? null;
      return { status: b?.status ?? null, firstFailing: false, build: b };
    }),
  );
  cells.forEach((_, j) => {
    let prev: BuildStatus | null = null;
    for (let i = commits.length - 1; i >= 0; i--) {
      const e = entries[i]![j]!;
      if (e.status === null) continue;
      if (e.status === 'FAIL' && prev === 'PASS') e.firstFailing = true;
      // An ERROR build says nothing about the code: the FAIL after it may have started there, so it is not marked.
      prev = e.status;
    }
  });
  return {
    title: meta.title ?? 'kmatrix history',
    generatedAt: meta.generatedAt ?? new Date().toISOString(),
    commits: [...commits],
    cells: [...cells],
    entries,
    notes: meta.notes,
  };
}

/** Each distinct error (by fingerprint) once, with the cells and commits it hits, oldest commit first. */
export function gridErrors(g: HistoryGrid): { diagnostic: Diagnostic; cells: string[]; commits: string[] }[] {
  const seen = new Map<string, { diagnostic: Diagnostic; cells: string[]; commits: string[] }>();
  for (let i = g.commits.length - 1; i >= 0; i--) {
    g.entries[i]!.forEach((e, j) => {
      for (const d of e.build?.diagnostics ?? []) {
        if (d.severity !== 'error') continue;
        const x = seen.get(d.fingerprint) ?? { diagnostic: d, cells: [], commits: [] };
        const cell = g.cells[j]!;
        const sha = g.commits[i]!.sha;
        if (!x.cells.includes(cell)) x.cells.push(cell);
        if (!x.commits.includes(sha)) x.commits.push(sha);
        seen.set(d.fingerprint, x);
      }
    });
  }
  return [...seen.values()];
}

const COLORS: Record<BuildStatus, string> = { PASS: '\x1b[32m', FAIL: '\x1b[31m', ERROR: '\x1b[33m' };

/**
 * The toolchain axis of a grid whose cells are named `<config>/<variant>@<toolchain>` (a matrix with several
 * toolchains): the toolchains and base cells in first-seen order, and the grid column of each (base, toolchain), -1
 * where the matrix does not build that base with that toolchain. Null for a grid with at most one toolchain.
 */
export function toolchainAxis(cells: readonly string[]): { toolchains: string[]; bases: string[]; column: (base: string, toolchain: string) => number } | null {
  const toolchains = cellToolchains(cells);
  if (toolchains.length < 2) return null;
  const bases = [...new Set(cells.map((c) => splitCellName(c).base))];
  const at = new Map(cells.map((c, j) => [c, j]));
  return { toolchains, bases, column: (base, t) => at.get(`${base}@${t}`) ?? -1 };
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}…`);
const commitLabel = (c: HistoryCommit, subject: number) => `${c.sha.slice(0, 12)} ${c.label ? `[${c.label}] ` : ''}${clip(c.subject, subject)}`;
const entryText = (e: HistoryEntry) => (e.status === null ? '·' : `${e.status}${e.firstFailing ? '*' : ''}`);

/**
 * Grid rows with a toolchain axis: one sub-row per toolchain under each commit, one column per base cell (short
 * labels), the commit's subject clipped so a row fits in 80 columns.
 */
function toolchainRows(g: HistoryGrid, axis: NonNullable<ReturnType<typeof toolchainAxis>>, color: boolean): string[] {
  const short = cellLabels(axis.bases);
  const labels = axis.bases.map(short);
  const widths = labels.map((l) => Math.max(l.length, 5));
  const tw = Math.max('toolchain'.length, ...axis.toolchains.map((t) => t.length));
  const head = 'commit (newest first)';
  const rest = 2 + tw + widths.reduce((a, w) => a + 2 + w, 0);
  const longest = Math.max(head.length, ...g.commits.map((c) => commitLabel(c, 56).length));
  const w0 = Math.min(longest, Math.max(head.length, 80 - rest));
  const L = [[head.padEnd(w0), 'toolchain'.padEnd(tw), ...labels.map((l, k) => l.padEnd(widths[k]!))].join('  ').trimEnd()];
  L.push(['-'.repeat(w0), '-'.repeat(tw), ...widths.map((w) => '-'.repeat(w))].join('  '));
  g.commits.forEach((c, i) => {
    const full = commitLabel(c, 56);
    const first = clip(full, w0);
    axis.toolchains.forEach((t, k) => {
      const row = [(k === 0 ? first : '').padEnd(w0), t.padEnd(tw)];
      axis.bases.forEach((b, m) => {
        const j = axis.column(b, t);
        const e = j < 0 ? null : g.entries[i]![j]!;
        const text = (e ? entryText(e) : '').padEnd(widths[m]!);
        row.push(e?.status && color ? `${COLORS[e.status]}${text}\x1b[0m` : text);
      });
      L.push(row.join('  ').trimEnd());
    });
  });
  return L;
}

/** Terminal rendering: the grid (`FAIL*` = first failing, `·` = not built), a legend, each error once, reproducers. */
export function renderHistoryText(g: HistoryGrid, o: { color?: boolean; reproducers?: boolean } = {}): string {
  const label = (c: HistoryCommit) => commitLabel(c, 56);
  const head = 'commit (newest first)';
  const w0 = Math.max(head.length, ...g.commits.map((c) => label(c).length));
  const widths = g.cells.map((c) => Math.max(c.length, 5));
  const L: string[] = [];
  for (const n of g.notes ?? []) L.push(n);
  if (g.notes?.length) L.push('');
  const axis = toolchainAxis(g.cells);
  if (axis) {
    L.push(...toolchainRows(g, axis, o.color === true));
  } else {
    L.push([head.padEnd(w0), ...g.cells.map((c, j) => c.padEnd(widths[j]!))].join('  ').trimEnd());
    L.push(['-'.repeat(w0), ...widths.map((w) => '-'.repeat(w))].join('  '));
    g.commits.forEach((c, i) => {
      const row = [label(c).padEnd(w0)];
      g.entries[i]!.forEach((e, j) => {
        const text = entryText(e).padEnd(widths[j]!);
        row.push(e.status && o.color ? `${COLORS[e.status]}${text}\x1b[0m` : text);
      });
      L.push(row.join('  ').trimEnd());
    });
  }
  L.push('', 'legend: PASS  FAIL (code at fault)  ERROR (infrastructure)  · not built  * first failing commit (PASS before)');
  if (axis) {
    L.push(`toolchains (a row each per commit; a column per cell, its name without @toolchain):`);
    const tw = Math.max(...axis.toolchains.map((t) => t.length));
    for (const t of axis.toolchains) {
      const ids = new Set<string>();
      for (const b of axis.bases) {
        const j = axis.column(b, t);
        if (j >= 0) for (const row of g.entries) if (row[j]!.build?.toolchain) ids.add(row[j]!.build!.toolchain!);
      }
      L.push(`  ${t.padEnd(tw)}  ${[...ids].join(' | ') || '(no build)'}`);
    }
  }
  const errs = gridErrors(g);
  if (errs.length) {
    const short = cellLabels(g.cells);
    L.push('', 'errors (each once):');
    for (const e of errs) {
      L.push(`  ${e.diagnostic.kind}: ${diagnosticLine(e.diagnostic)} — ${e.cells.map(short).join(', ')} @ ${e.commits.map((s) => s.slice(0, 12)).join(', ')}`);
    }
  }
  if (o.reproducers !== false) {
    const rep: string[] = [];
    g.commits.forEach((c, i) =>
      g.entries[i]!.forEach((e, j) => {
        if (e.status === 'FAIL' && e.build?.reproducer) rep.push(`## ${g.cells[j]} @ ${c.sha.slice(0, 12)}`, e.build.reproducer.trimEnd(), '');
      }),
    );
    if (rep.length) L.push('', 'reproducers (failing cells):', '', ...rep);
  }
  return L.join('\n').trimEnd() + '\n';
}

/** JSON shape of a grid: commits, cells and one record per built entry. */
export function historyJson(g: HistoryGrid): Record<string, unknown> {
  return {
    title: g.title,
    generatedAt: g.generatedAt,
    commits: g.commits,
    cells: g.cells,
    toolchains: cellToolchains(g.cells),
    grid: g.commits.flatMap((c, i) =>
      g.entries[i]!.map((e, j) => ({
        commit: c.sha,
        cell: g.cells[j],
        toolchain: splitCellName(g.cells[j]!).toolchain,
        status: e.status,
        firstFailing: e.firstFailing,
        seconds: e.build?.seconds ?? null,
        log: e.build?.logPath ?? null,
        diagnostics: e.build?.diagnostics ?? [],
        reproducer: e.build?.reproducer ?? null,
      })),
    ),
  };
}
