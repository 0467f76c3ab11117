/** Renderers of `kmatrix check` (pure): terminal summary, paste-ready Markdown for under a patch's `---`, JSON. */
import { cellLabels, diagnosticLine } from './diagnostic.js';
import { checkExitCode, newErrors, type CheckDiagnostic, type CheckResult, type PatchCheck } from '../compare/check.js';

/** Reproducers by patch sha, then cell name (only failing cells need one). */
export type Reproducers = Record<string, Record<string, string>>;

const short = (s: string) => s.slice(0, 12);

function line(x: CheckDiagnostic, label: (c: string) => string, all: number): string {
  const d = x.diagnostic;
  const sev = d.severity === 'warning' ? ' (warning)' : '';
  const touched = x.touched ? ' [in lines this patch touched]' : '';
  const cells = x.cells.length === all ? 'all cells' : x.cells.map(label).join(', ');
  return `${d.kind}: ${diagnosticLine(d)}${sev}${touched} — ${cells}`;
}

function verdict(p: PatchCheck): string {
  const e = newErrors(p).length;
  const w = p.new.length - e;
  const parts = [e ? `${e} new error(s)` : 'no new errors'];
  if (w) parts.push(`${w} new warning(s)`);
  if (p.fixed.length) parts.push(`fixes ${p.fixed.length} error(s)`);
  if (p.infra.length) parts.push(`${p.infra.length} cell(s) not judged`);
  return parts.join(', ');
}

/** The toolchains a check built with: `gcc: <identity>; clang: <identity>` with a toolchain axis, else the identities. */
export function checkToolchains(r: CheckResult): string {
  if (r.byToolchain.length) return r.byToolchain.map((t) => `${t.name}: ${t.identities.join(' | ') || 'no build'}`).join('; ');
  return r.toolchains.join('; ') || 'unknown toolchain';
}

/** Terminal summary: one block per patch (`>>` for introduced diagnostics), then a verdict line. */
export function renderCheckText(r: CheckResult): string {
  const label = cellLabels(r.cells);
  const n = r.patches.length;
  const L = [
    `check ${short(r.base)}..${short(r.patches[n - 1]?.sha ?? r.base)}: ${n} patch(es) × ${r.cells.map(label).join(', ')}`,
    `${r.byToolchain.length ? 'toolchains' : 'toolchain'}: ${checkToolchains(r)}`,
    '',
  ];
  r.patches.forEach((p, i) => {
    const st = r.cells.map((c) => `${label(c)} ${p.status[c] ?? '-'}`).join('  ');
    L.push(`[${i + 1}/${n}] ${short(p.sha)} ${p.subject}`, `      ${st} — ${verdict(p)}`);
    for (const x of p.new) L.push(`  >> ${line(x, label, r.cells.length)}`);
    for (const x of p.fixed) L.push(`  fixed: ${line(x, label, r.cells.length)}`);
    for (const x of p.preexisting.filter((y) => y.touched)) L.push(`  pre-existing, in touched lines: ${line(x, label, r.cells.length)}`);
    const pre = p.preexisting.filter((y) => !y.touched).length;
    if (pre) L.push(`     (${pre} pre-existing diagnostic(s) not shown)`);
    for (const c of p.infra) L.push(`  !! ${label(c.cell)}: ${c.detail}`);
  });
  const code = checkExitCode(r);
  L.push('', code === 1 ? 'new errors: see >> lines' : code === 3 ? 'some cells could not be judged (ERROR builds)' : 'no new errors');
  return L.join('\n') + '\n';
}

/** Paste-ready Markdown for under the `---` of a patch email: one line when clean, else the failures with reproducers. */
export function renderCheckMarkdown(r: CheckResult, repro: Reproducers = {}): string {
  const label = cellLabels(r.cells);
  const n = r.patches.length;
  const head = `Build-tested on ${r.arch} (${checkToolchains(r)}): ${r.cells.map(label).join(', ')}`;
  const bad = r.patches.filter((p) => newErrors(p).length);
  const L: string[] = [];
  if (!bad.length) L.push(`${head} — no new errors${n > 1 ? ` at any of the ${n} patches` : ''}.`);
  else L.push(`${head} — **new errors** in ${bad.length} of ${n} patch(es):`);
  for (const p of r.patches) {
    const i = r.patches.indexOf(p) + 1;
    const warnTouched = p.new.filter((x) => x.diagnostic.severity === 'warning' && x.touched);
    if (!newErrors(p).length && !warnTouched.length && !p.fixed.length && !p.infra.length) continue;
    L.push('', `**[${i}/${n}] ${p.subject}** (${short(p.sha)})`, '', '```');
    for (const x of p.new) L.push(`>> ${line(x, label, r.cells.length)}`);
    for (const x of p.fixed) L.push(`fixed: ${line(x, label, r.cells.length)}`);
    for (const c of p.infra) L.push(`not judged: ${label(c.cell)}: ${c.detail}`);
    L.push('```');
    const failing = newErrors(p).flatMap((x) => x.cells);
    const cell = failing.find((c) => repro[p.sha]?.[c]);
    if (cell) L.push('', `Reproducer (${label(cell)}):`, '', '```sh', repro[p.sha]![cell]!.trimEnd(), '```');
  }
  return L.join('\n') + '\n';
}

/** The `--json` shape: `{"base", "exitCode", "patches": [{"sha","subject","new":[diagnostic + cells],"fixed":[…]}]}`. */
export function checkJson(r: CheckResult): Record<string, unknown> {
  const flat = (x: CheckDiagnostic) => ({ ...x.diagnostic, cells: x.cells, touched: x.touched });
  return {
    base: r.base,
    exitCode: checkExitCode(r),
    cells: r.cells,
    toolchains: r.toolchains,
    byToolchain: r.byToolchain,
    patches: r.patches.map((p) => ({
      sha: p.sha,
      parent: p.parent,
      subject: p.subject,
      status: p.status,
      new: p.new.map(flat),
      fixed: p.fixed.map(flat),
      preexisting: p.preexisting.map(flat),
      infra: p.infra,
    })),
  };
}
