/** Text report of a bisect (pure). */
import type { BisectOutcome } from '../compare/bisect.js';
import { diagnosticLine } from './diagnostic.js';

/** Text report of a bisect (pure): endpoints, target, steps, the answer and the reproducer if given. */
export function renderBisectText(o: Pick<BisectOutcome, 'row' | 'doc' | 'steps' | 'targetDiagnostics' | 'commits'>, reproducer: string | null = null): string {
  const { row, doc } = o;
  const subj = (sha: string) => o.commits.get(sha)?.subject ?? '';
  const L: string[] = [];
  L.push(`bisect #${row.id} ${row.cell}${row.reverse ? ' (reverse: looking for the fix)' : ''}`);
  L.push(`  good ${short(row.good)} ${subj(row.good)}`);
  L.push(`  bad  ${short(row.bad)} ${subj(row.bad)}`);
  if (row.match) L.push(`  match ${row.match}`);
  if (o.targetDiagnostics.length) {
    L.push('target:');
    for (const d of o.targetDiagnostics) L.push(`  ${d.kind}: ${diagnosticLine(d)} [${d.fingerprint.slice(0, 12)}]`);
  }
  L.push('steps:');
  for (const s of o.steps) L.push(`  ${s.verdict.padEnd(4)}  ${short(s.sha)}  ${s.seconds.toFixed(1).padStart(6)}s  ${subj(s.sha)}`);
  L.push('');
  const what = row.reverse ? 'first good commit (the fix)' : 'first bad commit';
  if (doc.state === 'found' && doc.firstBad) {
    const f = doc.firstBad;
    L.push(`${what}: ${f.sha}`, `  subject: ${f.subject}`, `  author:  ${f.author}`, `  date:    ${f.date}`);
    for (const d of o.targetDiagnostics) L.push(`  ${row.reverse ? 'fixes' : 'introduces'}: ${d.kind}: ${diagnosticLine(d)}`);
  } else if (doc.state === 'ambiguous') {
    L.push(`${doc.message}:`);
    for (const c of doc.candidates) L.push(`  ${c} ${subj(c)}${doc.skipped.includes(c) ? ' (skipped)' : ''}`);
  } else if (doc.state === 'invalid') {
    L.push(`cannot bisect: ${doc.message}`);
  } else {
    L.push(`unfinished (${doc.message ?? 'interrupted'}); continue with: kmatrix bisect --resume`);
  }
  L.push(`${doc.builds} build(s) (endpoints included), ${doc.seconds.toFixed(1)} s`);
  if (doc.skipped.length) L.push(`skipped (FAIL with errors that stop the build before the target could show, or ERROR): ${doc.skipped.map(short).join(' ')}`);
  if (reproducer) L.push('', `reproducer (${row.cell} at ${short(doc.firstBad?.sha ?? '')}):`, reproducer.trimEnd());
  return L.join('\n') + '\n';
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
