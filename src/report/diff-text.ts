/** Text and JSON renderings of a diff (pure). */
import { diffExitCode, newErrorsInFailing, regressionSummary, unknownVerdict, type DiffResult, type Transition } from '../compare/diff.js';
import { cellLabels, diagnosticLine } from './diagnostic.js';

/** Text rendering of a diff (pure): transition table, then each diagnostic once with its cells. */
export function renderDiffText(d: DiffResult, subjects: Record<string, string> = {}): string {
  const sh = (s: string | null) => (s ? `${s.slice(0, 12)}${subjects[s] ? ` (${subjects[s]})` : ''}` : '(nothing)');
  const lines = [`diff ${sh(d.from)} → ${sh(d.to)}`, ''];
  const w = Math.max(4, ...d.cells.map((c) => c.cell.length));
  lines.push(`${'cell'.padEnd(w)}  from   to     transition`);
  for (const c of d.cells) {
    const extra = c.transition === 'not-comparable' ? ` (${c.reason}: ${c.detail})` : newErrorsInFailing(c) ? ' (new errors: counts as a regression)' : '';
    lines.push(`${c.cell.padEnd(w)}  ${(c.from ?? '-').padEnd(5)}  ${(c.to ?? '-').padEnd(5)}  ${c.transition}${extra}`);
  }
  const label = cellLabels(d.cells.map((c) => c.cell));
  for (const change of ['new', 'gone', 'persisting'] as const) {
    const ds = d.diagnostics.filter((x) => x.change === change);
    if (!ds.length) continue;
    lines.push('', `${change} diagnostics:`);
    for (const x of ds) {
      const sev = x.diagnostic.severity === 'warning' ? ' (warning)' : '';
      lines.push(`  ${x.diagnostic.kind}: ${diagnosticLine(x.diagnostic)}${sev} — ${x.cells.map(label).join(', ')}`);
    }
  }
  const n = (t: Transition) => d.cells.filter((c) => c.transition === t).length;
  lines.push(
    '',
    `${regressionSummary(d)}, ${n('fixed')} fixed, ${n('still-failing')} still failing, ${n('still-passing')} still passing, ${n('not-comparable')} not comparable`,
  );
  const unknown = d.cells.filter(unknownVerdict);
  if (unknown.length) lines.push(`verdict unknown (never all clear) for: ${unknown.map((c) => `${c.cell} (${c.reason})`).join(', ')}`);
  return lines.join('\n') + '\n';
}

/** The `--json` shape of a diff. */
export function diffJson(d: DiffResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    from: d.from,
    to: d.to,
    ...extra,
    exitCode: diffExitCode(d),
    cells: d.cells,
    diagnostics: d.diagnostics.map((x) => ({ change: x.change, ...x.diagnostic, cells: x.cells })),
  };
}
