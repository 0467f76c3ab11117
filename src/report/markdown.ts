/** Markdown summary of a nightly (for a PR comment, a CI job summary or a mail) (pure). */
import { newErrorsInFailing, regressionSummary, unknownVerdict } from '../compare/diff.js';
import { cellLabels, diagnosticLine } from './diagnostic.js';
import { renderExcerpts } from './log-excerpt.js';
import type { NightlyReport } from './nightly-report.js';

const ICON: Record<string, string> = { PASS: '✅ PASS', FAIL: '❌ FAIL', ERROR: '⚠️ ERROR' };

/** Escape the characters that break a Markdown table cell or inline text. */
function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/([*_`<>[\]])/g, '\\$1');
}

/** The nightly as Markdown: verdict, per-cell table, diagnostic changes, then every failing cell with its reproducer. */
export function renderNightlyMarkdown(r: NightlyReport): string {
  const reg = r.cells.filter((c) => c.change.transition === 'regression' || newErrorsInFailing(c.change));
  const infra = r.cells.filter((c) => c.status === 'ERROR');
  const failing = r.cells.filter((c) => c.status === 'FAIL' || c.status === 'ERROR');
  const unbuilt = r.cells.filter((c) => c.status === null);
  const other = r.cells.filter((c) => c.status !== 'ERROR' && c.status !== null && unknownVerdict(c.change));
  const names = (cs: typeof r.cells) => cs.map((c) => `\`${c.cell}\``).join(', ');
  const verdict = reg.length
    ? `❌ **${regressionSummary(r.diff)}**: ${names(reg)}`
    : infra.length || unbuilt.length || other.length
      ? `⚠️ **unknown**: ${[
          infra.length ? `infrastructure errors in ${names(infra)}` : '',
          unbuilt.length ? `not built: ${names(unbuilt)}` : '',
          other.length ? `not comparable with the baseline: ${other.map((c) => `\`${c.cell}\` (${c.change.reason})`).join(', ')}` : '',
        ].filter(Boolean).join('; ')} (no regression seen)`
      : failing.length
        ? `✅ no regression (${failing.length} pre-existing failure(s) listed below)`
        : '✅ all cells pass';
  const L: string[] = [];
  L.push(`# kmatrix nightly${r.partial ? ' (partial)' : ''}: ${md(r.matrixName)} @ \`${r.sha.slice(0, 12)}\``, '');
  if (r.partial) L.push(`> ⚠️ **partial** nightly (${md(r.partial)}): some cells have no result; it is not a baseline for the next nightly.`, '');
  L.push(`- ref: \`${r.ref}\` → \`${r.sha}\` — ${md(r.subject)}`);
  L.push(
    `- baseline: ${r.baselineSha ? `\`${r.baselineSha.slice(0, 12)}\`${r.baselineSubject ? ` — ${md(r.baselineSubject)}` : ''}` : 'none (first nightly: nothing to compare with)'}`,
  );
  if (r.baselineNote) L.push(`- baseline chosen: ${md(r.baselineNote)}`);
  L.push(`- ${r.createdAt}`, '', verdict, '');
  L.push('| cell | baseline | now | change |', '|---|---|---|---|');
  for (const c of r.cells) {
    const ch = c.change.transition === 'not-comparable' ? `not comparable (${c.change.reason})` : c.change.transition;
    L.push(`| \`${c.cell}\` | ${c.change.from ? ICON[c.change.from] : '—'} | ${c.status ? ICON[c.status] : 'not built'} | ${ch} |`);
  }
  const label = cellLabels(r.cells.map((c) => c.cell));
  for (const change of ['new', 'gone', 'persisting'] as const) {
    const ds = r.diff.diagnostics.filter((x) => x.change === change && x.diagnostic.severity === 'error');
    if (!ds.length) continue;
    L.push('', `### ${change === 'new' ? 'New' : change === 'gone' ? 'Gone' : 'Persisting'} errors`, '');
    for (const x of ds) L.push(`- \`${x.diagnostic.kind}\` ${md(diagnosticLine(x.diagnostic))} — ${x.cells.map(label).join(', ')}`);
  }
  if (failing.length) {
    L.push('', '## Failing cells', '');
    for (const c of failing) {
      L.push(`### \`${c.cell}\` — ${c.status} (${c.change.transition})`, '');
      for (const d of c.diagnostics.filter((x) => x.severity === 'error')) L.push(`- \`${d.kind}\` ${md(diagnosticLine(d))}`);
      if (c.excerpts.length) L.push('', '<details><summary>log excerpt</summary>', '', '```', renderExcerpts(c.excerpts).trimEnd(), '```', '', '</details>');
      if (c.reproducer) L.push('', 'Reproduce:', '', '```sh', c.reproducer.trimEnd(), '```');
      if (c.logPath) L.push('', `Log: \`${c.logPath}\``);
      L.push('');
    }
  }
  return L.join('\n').trimEnd() + '\n';
}
