/** JUnit XML for a nightly: one testcase per cell (pure). */
import { diagnosticLine } from './diagnostic.js';
import type { NightlyReport } from './nightly-report.js';

/** Escape text for XML content and attributes, dropping characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The JUnit document: classname = matrix name, name = cell; FAIL → <failure>, ERROR → <error>, not built → <skipped>. */
export function renderJunit(r: NightlyReport): string {
  const a = xmlEscape;
  const failures = r.cells.filter((c) => c.status === 'FAIL').length;
  const errors = r.cells.filter((c) => c.status === 'ERROR').length;
  const skipped = r.cells.filter((c) => c.status === null).length;
  const time = r.cells.reduce((s, c) => s + c.seconds, 0).toFixed(3);
  const L: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const name = `kmatrix nightly ${r.matrixName}${r.partial ? ' (partial)' : ''}`;
  L.push(`<testsuites name="${a(name)}" tests="${r.cells.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">`);
  L.push(
    `  <testsuite name="${a(r.matrixName)}" tests="${r.cells.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${a(r.createdAt.replace(/Z$/, ''))}">`,
  );
  L.push('    <properties>');
  const props: [string, string | null][] = [
    ['ref', r.ref],
    ['sha', r.sha],
    ['subject', r.subject],
    ['baseline', r.baselineSha],
    ['matrix_hash', r.matrixHash],
    ['baseline_note', r.baselineNote],
    ['partial', r.partial ? `partial: ${r.partial}` : 'complete'],
  ];
  for (const [k, v] of props) L.push(`      <property name="${k}" value="${a(v ?? '')}"/>`);
  L.push('    </properties>');
  for (const c of r.cells) {
    L.push(`    <testcase classname="${a(r.matrixName)}" name="${a(c.cell)}" time="${c.seconds.toFixed(3)}">`);
    const errs = c.diagnostics.filter((d) => d.severity === 'error');
    const text = [
      `${c.change.transition}${c.change.detail ? ` (${c.change.detail})` : ''}`,
      ...errs.map((d) => `${d.kind}: ${diagnosticLine(d)}\n  ${d.message}`),
      ...(c.reproducer ? ['', 'reproduce:', c.reproducer] : []),
    ].join('\n');
    const first = errs[0] ? `${errs[0].kind}: ${diagnosticLine(errs[0])}` : c.status ?? 'not built';
    if (c.status === 'FAIL') L.push(`      <failure type="${a(c.change.transition)}" message="${a(first)}">${a(text)}</failure>`);
    else if (c.status === 'ERROR') L.push(`      <error type="infrastructure" message="${a(first)}">${a(text)}</error>`);
    else if (c.status === null) L.push(`      <skipped message="not built"/>`);
    if (c.logPath) L.push(`      <system-out>${a(`log: ${c.logPath}`)}</system-out>`);
    L.push('    </testcase>');
  }
  L.push('  </testsuite>', '</testsuites>');
  return L.join('\n') + '\n';
}
