import type { BuildStatus, Diagnostic } from '../types.js';

/** The minimum a grid needs from a build. */
export interface GridBuild {
  commit: { sha: string; subject: string };
  cell: { name: string };
  status: BuildStatus;
  seconds: number;
  diagnostics: Diagnostic[];
}

/** Whether to colour terminal output. */
export interface RenderOptions {
  color?: boolean;
}

const COLORS: Record<BuildStatus, string> = { PASS: '\x1b[32m', FAIL: '\x1b[31m', ERROR: '\x1b[33m' };

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** One-line summary of a diagnostic: `mm/zsmalloc.ko: "sym" undefined` style. */
export function diagnosticSummary(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line !== null ? `:${d.line}` : ''}${d.column !== null ? `:${d.column}` : ''}: ` : '';
  return `${d.kind}: ${where}${d.message}`;
}

/** Commits (rows, in the given order) × cells (columns) grid of statuses, then each distinct error once with its cells. */
export function renderGrid(builds: GridBuild[], opts: RenderOptions = {}): string {
  const commits: { sha: string; subject: string }[] = [];
  const cells: string[] = [];
  const at = new Map<string, GridBuild>();
  for (const b of builds) {
    if (!commits.some((c) => c.sha === b.commit.sha)) commits.push(b.commit);
    if (!cells.includes(b.cell.name)) cells.push(b.cell.name);
    at.set(`${b.commit.sha}\0${b.cell.name}`, b);
  }
  const label = (c: { sha: string; subject: string }) => `${c.sha.slice(0, 12)} ${clip(c.subject, 56)}`;
  const w0 = Math.max(6, ...commits.map((c) => label(c).length));
  const widths = cells.map((c) => Math.max(c.length, 5));
  const lines = [[pad('commit', w0), ...cells.map((c, i) => pad(c, widths[i]!))].join('  ')];
  lines.push([`${'-'.repeat(w0)}`, ...widths.map((w) => '-'.repeat(w))].join('  '));
  for (const c of commits) {
    const row = [pad(label(c), w0)];
    cells.forEach((cell, i) => {
      const b = at.get(`${c.sha}\0${cell}`);
      const text = pad(b ? b.status : '-', widths[i]!);
      row.push(b && opts.color ? `${COLORS[b.status]}${text}\x1b[0m` : text);
    });
    lines.push(row.join('  ').trimEnd());
  }
  // Each distinct error-severity diagnostic once, with the commits and cells it hits.
  const seen = new Map<string, { d: Diagnostic; cells: Set<string>; commits: Set<string> }>();
  for (const b of builds) {
    for (const d of b.diagnostics) {
      if (d.severity !== 'error') continue;
      const e = seen.get(d.fingerprint) ?? { d, cells: new Set<string>(), commits: new Set<string>() };
      e.cells.add(b.cell.name);
      e.commits.add(b.commit.sha.slice(0, 12));
      seen.set(d.fingerprint, e);
    }
  }
  if (seen.size) {
    lines.push('', 'errors (each once, with where it hits):');
    for (const { d, cells: cs, commits: cm } of seen.values()) {
      lines.push(`  ${diagnosticSummary(d)}`);
      lines.push(`      cells: ${[...cs].join(', ')}; commits: ${[...cm].join(', ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Exit code for a set of build statuses: 0 all PASS, 1 any FAIL, 3 any ERROR and no FAIL. */
export function exitCodeFor(statuses: BuildStatus[]): 0 | 1 | 3 {
  if (statuses.includes('FAIL')) return 1;
  if (statuses.includes('ERROR')) return 3;
  return 0;
}

/** The JSON shape `run --json` prints for one build. */
export function buildJson(
  b: GridBuild & { stage?: string; logPath?: string; toolchain?: string; exitCode?: number | null; cached?: boolean },
): Record<string, unknown> {
  return {
    commit: b.commit.sha,
    subject: b.commit.subject,
    cell: b.cell.name,
    status: b.status,
    seconds: Math.round(b.seconds * 100) / 100,
    stage: b.stage ?? null,
    exitCode: b.exitCode ?? null,
    toolchain: b.toolchain ?? null,
    log: b.logPath ?? null,
    cached: b.cached ?? false,
    diagnostics: b.diagnostics,
  };
}
