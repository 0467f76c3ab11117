/** Text and JSON renderings of `diff --toolchains` (pure). */
import { toolchainCounts, toolchainExitCode, type ToolchainCell, type ToolchainComparison } from '../compare/toolchains.js';
import type { Diagnostic } from '../types.js';
import { diagnosticLine } from './diagnostic.js';

/** What a verdict says in a table row. */
export function toolchainVerdictText(c: ToolchainCell): string {
  switch (c.verdict) {
    case 'same-pass':
      return 'same (both pass)';
    case 'same-fail':
      return c.errorsDiffer ? 'both fail, with different errors' : 'same (both fail)';
    case 'only-one-fails':
      return `fails only with ${c.failsOnlyWith}`;
    default:
      return `unknown (${c.detail})`;
  }
}

const line = (d: Diagnostic) => `${d.kind}: ${diagnosticLine(d)}`;

/** Text rendering: one row per cell (status with each toolchain, verdict), the differing errors, a summary. */
export function renderToolchainsText(r: ToolchainComparison, subject = ''): string {
  const [ta, tb] = r.toolchains;
  const L = [`toolchains ${ta} vs ${tb} at ${r.sha.slice(0, 12)}${subject ? ` (${subject})` : ''}`, ''];
  const w = Math.max(4, ...r.cells.map((c) => c.cell.length));
  const wa = Math.max(5, ta.length);
  const wb = Math.max(5, tb.length);
  L.push(`${'cell'.padEnd(w)}  ${ta.padEnd(wa)}  ${tb.padEnd(wb)}  verdict`);
  for (const c of r.cells) L.push(`${c.cell.padEnd(w)}  ${(c.a.status ?? '-').padEnd(wa)}  ${(c.b.status ?? '-').padEnd(wb)}  ${toolchainVerdictText(c)}`);
  const tag = Math.max(ta.length, tb.length) + 'only with '.length + 1;
  for (const c of r.cells) {
    const errA = c.onlyA.filter((d) => d.severity === 'error');
    const errB = c.onlyB.filter((d) => d.severity === 'error');
    const warnA = c.onlyA.length - errA.length;
    const warnB = c.onlyB.length - errB.length;
    const shown = c.verdict === 'only-one-fails' || (c.verdict === 'same-fail' && c.errorsDiffer);
    if (!shown && !warnA && !warnB) continue;
    L.push('', `${c.cell}: ${toolchainVerdictText(c)}`);
    if (shown) {
      for (const d of errA) L.push(`  ${`only with ${ta}:`.padEnd(tag)} ${line(d)}`);
      for (const d of errB) L.push(`  ${`only with ${tb}:`.padEnd(tag)} ${line(d)}`);
      for (const d of c.common.filter((x) => x.severity === 'error')) L.push(`  ${'with both:'.padEnd(tag)} ${line(d)}`);
    }
    if (warnA || warnB) L.push(`  warnings only with ${ta}: ${warnA}, only with ${tb}: ${warnB}`);
  }
  const n = toolchainCounts(r);
  L.push(
    '',
    `${n.onlyA} cell(s) fail only with ${ta}, ${n.onlyB} only with ${tb}, ${n.sameFail} fail with both, ${n.samePass} pass with both, ${n.unknown} unknown`,
  );
  const unknown = r.cells.filter((c) => c.verdict === 'unknown');
  if (unknown.length) L.push(`not compared (never all clear) for: ${unknown.map((c) => `${c.cell} (${c.reason})`).join(', ')}`);
  const ids = (t: 'a' | 'b') => [...new Set(r.cells.map((c) => c[t].identity).filter((x): x is string => !!x))];
  L.push(`toolchains: ${ta} = ${ids('a').join(' | ') || 'not built'}; ${tb} = ${ids('b').join(' | ') || 'not built'}`);
  return L.join('\n') + '\n';
}

/** The `--json` shape: `{"sha","toolchains","exitCode","summary","cells":[{"cell","verdict","failsOnlyWith","sides","only",…}]}`. */
export function toolchainsJson(r: ToolchainComparison, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const n = toolchainCounts(r);
  const [ta, tb] = r.toolchains;
  return {
    sha: r.sha,
    ...extra,
    toolchains: r.toolchains,
    exitCode: toolchainExitCode(r),
    summary: { failsOnlyWith: { [ta]: n.onlyA, [tb]: n.onlyB }, sameFail: n.sameFail, samePass: n.samePass, unknown: n.unknown },
    cells: r.cells.map((c) => ({
      cell: c.cell,
      verdict: c.verdict,
      failsOnlyWith: c.failsOnlyWith,
      errorsDiffer: c.errorsDiffer,
      reason: c.reason,
      detail: c.detail,
      sides: [c.a, c.b],
      only: { [ta]: c.onlyA, [tb]: c.onlyB },
      common: c.common,
    })),
  };
}
