/** The data every nightly renderer (JUnit, Markdown, JSON, HTML) takes, made from a recorded nightly; its notes and JSON. */
import { regressionSummary, type CellDiff } from '../compare/diff.js';
import type { NightlyOutcome } from '../compare/nightly.js';
import type { BuildStatus, Diagnostic } from '../types.js';
import { diagnosticLine } from './diagnostic.js';
import { buildExcerpts, buildReproducer, historyBuild } from './enrich.js';
import { historyGrid, type HistoryGrid } from './grid.js';
import type { LogExcerpt } from './log-excerpt.js';

/** One cell of a nightly: its build at the ref and how it changed since the baseline. */
export interface NightlyCell {
  cell: string;
  status: BuildStatus | null;
  seconds: number;
  diagnostics: Diagnostic[];
  logPath: string | null;
  reproducer: string | null;
  excerpts: LogExcerpt[];
  change: CellDiff;
}

/** A finished nightly, ready to render (the recorded outcome with its cells enriched; id null for a preview). */
export interface NightlyReport extends Omit<NightlyOutcome, 'id' | 'exitCode' | 'builds' | 'baselineBuilds' | 'order'> {
  id: number | null;
  exitCode: number;
  cells: NightlyCell[];
}

/** A recorded nightly as its report (failing cells get reproducer and log excerpts: reads logs) and its history grid. */
export function nightlyReport(o: NightlyOutcome): { report: NightlyReport; grid: HistoryGrid } {
  const at = new Map(o.builds.map((b) => [b.cell, b]));
  const cells: NightlyCell[] = o.diff.cells
    .filter((c) => o.order.includes(c.cell))
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
  const { builds: _b, baselineBuilds: _bb, order: _o, ...head } = o;
  const report: NightlyReport = { ...head, cells };
  const commits = [{ sha: o.sha, subject: o.subject, label: o.ref }];
  const sameSha = o.baselineSha === o.sha;
  if (o.baselineSha && !sameSha) commits.push({ sha: o.baselineSha, subject: o.baselineSubject ?? '', label: 'baseline' });
  const grid = historyGrid(commits, o.order, [...o.builds, ...(sameSha ? [] : o.baselineBuilds)].map(historyBuild), {
    title: `kmatrix nightly #${o.id}${o.partial ? ' (partial)' : ''}: ${o.matrixName} @ ${o.sha.slice(0, 12)}`,
    generatedAt: o.createdAt,
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
    `${regressionSummary(r.diff)}, ${n('fixed').length} fixed, ${n('still-failing').length} still failing, ${n('not-comparable').length} not comparable` +
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
