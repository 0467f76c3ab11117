/** The history grid: commits (rows, newest first) × cells (columns), with first-failing markers (pure). */
import { cellLabels, diagnosticLine } from './diagnostic.js';
import type { BuildStatus, Diagnostic } from '../types.js';
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
  const at = new Map(builds.map((b) => [`${b.commitSha}\0${b.cell}`, b]));
  const entries: HistoryEntry[][] = commits.map((c) =>
    cells.map((cell) => {
      const b = at.get(`${c.sha}\0${cell}`) ?? null;
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

/** Terminal rendering: the grid (`FAIL*` = first failing, `·` = not built), a legend, each error once, reproducers. */
export function renderHistoryText(g: HistoryGrid, o: { color?: boolean; reproducers?: boolean } = {}): string {
  const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
  const label = (c: HistoryCommit) => `${c.sha.slice(0, 12)} ${c.label ? `[${c.label}] ` : ''}${clip(c.subject, 56)}`;
  const head = 'commit (newest first)';
  const w0 = Math.max(head.length, ...g.commits.map((c) => label(c).length));
  const widths = g.cells.map((c) => Math.max(c.length, 5));
  const L: string[] = [];
  for (const n of g.notes ?? []) L.push(n);
  if (g.notes?.length) L.push('');
  L.push([head.padEnd(w0), ...g.cells.map((c, j) => c.padEnd(widths[j]!))].join('  ').trimEnd());
  L.push(['-'.repeat(w0), ...widths.map((w) => '-'.repeat(w))].join('  '));
  g.commits.forEach((c, i) => {
    const row = [label(c).padEnd(w0)];
    g.entries[i]!.forEach((e, j) => {
      const text = (e.status === null ? '·' : `${e.status}${e.firstFailing ? '*' : ''}`).padEnd(widths[j]!);
      row.push(e.status && o.color ? `${COLORS[e.status]}${text}\x1b[0m` : text);
    });
    L.push(row.join('  ').trimEnd());
  });
  L.push('', 'legend: PASS  FAIL (code at fault)  ERROR (infrastructure)  · not built  * first failing commit (PASS before)');
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
    grid: g.commits.flatMap((c, i) =>
      g.entries[i]!.map((e, j) => ({
        commit: c.sha,
        cell: g.cells[j],
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
