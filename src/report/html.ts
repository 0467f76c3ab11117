/** The history grid as one self-contained HTML page: inline CSS and JS only, no network (pure). */
import { cellLabels, diagnosticLine } from './diagnostic.js';
import { gridErrors, toolchainAxis, type HistoryEntry, type HistoryGrid } from './grid.js';

/** Escape text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
:root{--pass:#1f9d55;--fail:#d63b3b;--error:#e09b00;--none:#d9dde3;--ink:#1d2430;--muted:#6b7482;--bg:#f5f6f8;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{padding:20px 28px 8px}
h1{margin:0;font-size:22px;letter-spacing:.2px}
.sub{color:var(--muted);margin-top:4px}
.counts{display:flex;gap:10px;margin:14px 0 4px;flex-wrap:wrap}
.count{background:var(--card);border-radius:8px;padding:6px 12px;box-shadow:0 1px 2px #0001;font-weight:600}
.count b{font-size:18px;margin-right:4px}
.count.pass b{color:var(--pass)}.count.fail b{color:var(--fail)}.count.error b{color:var(--error)}
main{padding:8px 28px 28px}
.notes{background:var(--card);border-left:4px solid var(--fail);padding:8px 14px;margin:8px 0 14px;border-radius:6px;white-space:pre-wrap;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
.legend{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin:6px 0 14px;color:var(--muted)}
.legend span{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:14px;height:14px;border-radius:3px}
table.grid{border-collapse:separate;border-spacing:4px;background:var(--card);border-radius:10px;padding:8px;box-shadow:0 1px 3px #0002}
.grid th{font-weight:600;text-align:center;padding:6px 10px;color:var(--muted);font-size:13px;white-space:nowrap}
.grid th.commit{text-align:left;vertical-align:bottom}
.grid th.tc{color:var(--ink);border-bottom:2px solid var(--ink);letter-spacing:.4px}
.grid .tc-start{border-left:3px solid var(--none);padding-left:8px}
.tcs{margin:4px 0 10px;color:var(--muted)}
.tcs code{color:var(--ink)}
.grid td.commit{padding:4px 12px 4px 6px;white-space:nowrap;max-width:520px;overflow:hidden;text-overflow:ellipsis}
.sha{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;color:#3558a8;margin-right:8px}
.label{display:inline-block;background:#e8ecf4;color:#34435e;border-radius:10px;padding:0 8px;font-size:12px;margin-right:6px}
td.st{padding:0}
td.st a{display:block;min-width:120px;text-align:center;padding:9px 10px;border-radius:6px;color:#fff;font-weight:700;text-decoration:none;letter-spacing:.5px;position:relative}
td.st.PASS a{background:var(--pass)}td.st.FAIL a{background:var(--fail)}td.st.ERROR a{background:var(--error)}
td.st.none a{background:var(--none);color:var(--muted);font-weight:500}
td.st a:hover,td.st a.sel{outline:3px solid var(--ink);outline-offset:1px}
td.st.first a{box-shadow:inset 0 0 0 3px #fff,0 0 0 2px var(--fail)}
.first-mark{position:absolute;top:-7px;right:-6px;background:var(--ink);color:#fff;font-size:10px;border-radius:8px;padding:1px 6px;font-weight:600}
.errors{margin-top:18px;background:var(--card);border-radius:10px;padding:10px 16px;box-shadow:0 1px 3px #0002}
.errors h2,.detail h2{font-size:16px;margin:6px 0 8px}
.errors li{margin:4px 0}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.detail{display:none;position:fixed;top:0;right:0;bottom:0;width:min(760px,62vw);overflow:auto;background:var(--card);box-shadow:-6px 0 24px #0003;padding:18px 22px;z-index:2}
.detail:target{display:block}
.detail .close{float:right;text-decoration:none;font-size:22px;color:var(--muted)}
.detail .meta{color:var(--muted);margin-bottom:8px}
.badge{display:inline-block;border-radius:5px;color:#fff;padding:1px 8px;font-weight:700}
.badge.PASS{background:var(--pass)}.badge.FAIL{background:var(--fail)}.badge.ERROR{background:var(--error)}
ul.diags{padding-left:18px}
ul.diags li{margin:3px 0}
.sev-warning{color:var(--muted)}
pre{background:#10151d;color:#dfe6ee;padding:10px 12px;border-radius:6px;overflow:auto;line-height:1.4}
pre .hit{background:#6b1f1f;color:#fff;display:inline-block;min-width:100%}
pre .ln{color:#6f7c8c;user-select:none}
pre.repro{white-space:pre-wrap;word-break:break-all}
footer{color:var(--muted);padding:0 28px 24px;font-size:12px}
`;

const JS = `
(function(){
  function sync(){
    document.querySelectorAll('td.st a.sel').forEach(function(a){a.classList.remove('sel')});
    var id=location.hash.slice(1);
    if(!id) return;
    var a=document.querySelector('td.st a[href="#'+id+'"]');
    if(a) a.classList.add('sel');
  }
  window.addEventListener('hashchange',sync);
  document.addEventListener('keydown',function(e){if(e.key==='Escape'&&location.hash){history.pushState('',document.title,location.pathname+location.search);sync();}});
  sync();
})();
`;

function detailId(i: number, j: number): string {
  return `d-${i}-${j}`;
}

function excerptHtml(lines: string[], start: number, hit: number): string {
  return lines
    .map((l, k) => {
      const n = start + k;
      const text = `<span class="ln">${String(n).padStart(5)} </span>${esc(l)}`;
      return n === hit ? `<span class="hit">${text}</span>` : text;
    })
    .join('\n');
}

function detail(g: HistoryGrid, i: number, j: number, e: HistoryEntry): string {
  const b = e.build!;
  const c = g.commits[i]!;
  const errs = b.diagnostics.filter((d) => d.severity === 'error');
  const warns = b.diagnostics.filter((d) => d.severity !== 'error');
  const diag = (d: (typeof b.diagnostics)[number]) =>
    `<li class="sev-${d.severity}"><code>${esc(d.kind)}</code> ${esc(diagnosticLine(d))}</li>`;
  const parts = [
    `<section class="detail" id="${detailId(i, j)}">`,
    `<a class="close" href="#" title="close (Esc)">×</a>`,
    `<h2>${esc(g.cells[j]!)} @ <span class="sha">${esc(c.sha.slice(0, 12))}</span></h2>`,
    `<div class="meta"><span class="badge ${b.status}">${b.status}</span>${e.firstFailing ? ' <b>first failing commit</b> (previous build PASS)' : ''} · ${esc(c.subject)}</div>`,
    `<div class="meta">${b.seconds !== undefined ? `${b.seconds.toFixed(1)} s · ` : ''}${esc(b.toolchain ?? '')}${b.runtime ? ` [${esc(b.runtime)}]` : ''}</div>`,
  ];
  if (errs.length) parts.push(`<h3>Errors</h3><ul class="diags">${errs.map(diag).join('')}</ul>`);
  if (warns.length) parts.push(`<h3>Warnings</h3><ul class="diags">${warns.map(diag).join('')}</ul>`);
  if (!b.diagnostics.length) parts.push(`<p>No diagnostics.</p>`);
  for (const x of b.excerpts ?? []) {
    const d = b.diagnostics.find((y) => y.fingerprint === x.fingerprint);
    parts.push(`<h3>Log around ${esc(d ? diagnosticLine(d) : 'error')} (line ${x.hit})</h3><pre>${excerptHtml(x.lines, x.start, x.hit)}</pre>`);
  }
  if (b.reproducer) parts.push(`<h3>Reproduce</h3><pre class="repro">${esc(b.reproducer)}</pre>`);
  if (b.logPath) parts.push(`<p class="meta">full log: <code>${esc(b.logPath)}</code> (or <code>kmatrix log ${esc(c.sha.slice(0, 12))} ${esc(g.cells[j]!)}</code>)</p>`);
  parts.push(`</section>`);
  return parts.join('\n');
}

/** The grid's columns in display order: grid indices, grouped by toolchain when the grid has a toolchain axis. */
function columnOrder(g: HistoryGrid): { columns: number[]; groupStart: Set<number> } {
  const axis = toolchainAxis(g.cells);
  if (!axis) return { columns: g.cells.map((_, j) => j), groupStart: new Set() };
  const columns: number[] = [];
  const groupStart = new Set<number>();
  for (const t of axis.toolchains) {
    const js = axis.bases.map((b) => axis.column(b, t)).filter((j) => j >= 0);
    if (js.length) groupStart.add(js[0]!);
    columns.push(...js);
  }
  // Cells without a toolchain in their name (none in a consistent matrix) keep their place at the end.
  for (let j = 0; j < g.cells.length; j++) if (!columns.includes(j)) columns.push(j);
  return { columns, groupStart };
}

/** The table head: one row of cell names, or with a toolchain axis a row of toolchain column groups above the cells. */
function tableHead(g: HistoryGrid, columns: number[], groupStart: Set<number>): string {
  const axis = toolchainAxis(g.cells);
  if (!axis) return `<tr><th class="commit">commit</th>${g.cells.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const short = cellLabels(axis.bases);
  const groups = axis.toolchains
    .map((t) => ({ t, n: axis.bases.filter((b) => axis.column(b, t) >= 0).length }))
    .filter((x) => x.n > 0)
    .map((x) => `<th class="tc tc-start" colspan="${x.n}" data-toolchain="${esc(x.t)}">${esc(x.t)}</th>`)
    .join('');
  const names = columns
    .map((j) => {
      const name = g.cells[j]!;
      const at = name.lastIndexOf('@');
      const base = at < 0 ? name : name.slice(0, at);
      return `<th${groupStart.has(j) ? ' class="tc-start"' : ''} title="${esc(name)}">${esc(short(base))}</th>`;
    })
    .join('');
  return `<tr><th class="commit" rowspan="2">commit</th>${groups}</tr>\n<tr>${names}</tr>`;
}

/** The toolchains line under the title: each toolchain's name and the compiler identities its builds recorded. */
function toolchainsLine(g: HistoryGrid): string {
  const axis = toolchainAxis(g.cells);
  if (!axis) return '';
  const items = axis.toolchains.map((t) => {
    const ids = new Set<string>();
    for (const b of axis.bases) {
      const j = axis.column(b, t);
      if (j >= 0) for (const row of g.entries) if (row[j]!.build?.toolchain) ids.add(row[j]!.build!.toolchain!);
    }
    return `<span data-toolchain="${esc(t)}"><b>${esc(t)}</b>: <code>${esc([...ids].join(' | ') || 'no build')}</code></span>`;
  });
  return `<div class="tcs">toolchains: ${items.join(' · ')}</div>`;
}

/** ` (3 cells × 2 toolchains)` for a grid with a toolchain axis, else empty. */
function axisNote(g: HistoryGrid): string {
  const axis = toolchainAxis(g.cells);
  return axis ? ` (${axis.bases.length} × ${axis.toolchains.length} toolchains)` : '';
}

/** The grid as a complete HTML document: colour grid, first-failing markers, legend, click-through details (CSS :target). */
export function renderHistoryHtml(g: HistoryGrid): string {
  const all = g.entries.flat();
  const count = (s: string) => all.filter((e) => e.status === s).length;
  const { columns, groupStart } = columnOrder(g);
  const head = tableHead(g, columns, groupStart);
  const rows = g.commits
    .map((c, i) => {
      const tds = columns.map((j) => {
        const e = g.entries[i]![j]!;
        const name = g.cells[j]!;
        const at = name.lastIndexOf('@');
        const tc = at < 0 ? '' : ` data-toolchain="${esc(name.slice(at + 1))}"`;
        const start = groupStart.has(j) ? ' tc-start' : '';
        if (e.status === null) return `<td class="st none${start}" data-cell="${esc(name)}"${tc} data-status="none"><a>not built</a></td>`;
        const mark = e.firstFailing ? '<span class="first-mark">1st fail</span>' : '';
        return `<td class="st ${e.status}${e.firstFailing ? ' first' : ''}${start}" data-cell="${esc(name)}"${tc} data-status="${e.status}"${e.firstFailing ? ' data-first-failing="true"' : ''}><a href="#${detailId(i, j)}" title="${esc(`${name} @ ${c.sha.slice(0, 12)}: ${e.status}`)}">${e.status}${mark}</a></td>`;
      }).join('');
      const label = c.label ? `<span class="label">${esc(c.label)}</span>` : '';
      return `<tr data-sha="${esc(c.sha)}"><td class="commit"><span class="sha">${esc(c.sha.slice(0, 12))}</span>${label}${esc(c.subject)}</td>${tds}</tr>`;
    })
    .join('\n');
  const details = g.commits.flatMap((_, i) => g.entries[i]!.map((e, j) => (e.build ? detail(g, i, j, e) : ''))).join('\n');
  const short = cellLabels(g.cells);
  const errs = gridErrors(g);
  const errList = errs.length
    ? `<div class="errors"><h2>Errors (each once, with where it hits)</h2><ul>${errs
        .map(
          (e) =>
            `<li><code>${esc(e.diagnostic.kind)}</code> ${esc(diagnosticLine(e.diagnostic))} — <b>${esc(e.cells.map(short).join(', '))}</b> <span class="sha">${esc(e.commits.map((s) => s.slice(0, 12)).join(', '))}</span></li>`,
        )
        .join('')}</ul></div>`
    : '';
  const notes = g.notes?.length ? `<div class="notes">${esc(g.notes.join('\n'))}</div>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(g.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(g.title)}</h1>
<div class="sub">${g.commits.length} commits × ${g.cells.length} cells${axisNote(g)} · generated ${esc(g.generatedAt)}</div>
${toolchainsLine(g)}
<div class="counts"><span class="count pass"><b>${count('PASS')}</b>PASS</span><span class="count fail"><b>${count('FAIL')}</b>FAIL</span><span class="count error"><b>${count('ERROR')}</b>ERROR</span><span class="count"><b>${all.filter((e) => e.status === null).length}</b>not built</span></div>
</header>
<main>
${notes}
<div class="legend"><span><i class="sw" style="background:var(--pass)"></i>PASS</span><span><i class="sw" style="background:var(--fail)"></i>FAIL (the code is at fault)</span><span><i class="sw" style="background:var(--error)"></i>ERROR (infrastructure)</span><span><i class="sw" style="background:var(--none)"></i>not built</span><span><span class="label" style="background:var(--ink);color:#fff">1st fail</span>first failing commit (PASS before)</span><span>newest commit on top · click a cell for diagnostics, log and reproducer</span></div>
<table class="grid" id="grid">
<thead>${head}</thead>
<tbody>
${rows}
</tbody>
</table>
${errList}
${details}
</main>
<footer>kmatrix · self-contained report (no external assets)</footer>
<script>${JS}</script>
</body>
</html>
`;
}
