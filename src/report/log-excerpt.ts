/** Log excerpts: the lines around each error of a build log (pure), and reading a stored gzipped log (I/O). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Diagnostic } from '../types.js';

/** The lines around one diagnostic in a log. */
export interface LogExcerpt {
  fingerprint: string;
  /** 1-based number of the first line shown. */
  start: number;
  /** 1-based number of the line that matched the diagnostic. */
  hit: number;
  lines: string[];
}

/** Excerpt limits. */
export interface ExcerptOptions {
  /** Lines before and after the matching line (default 5). */
  context?: number;
  /** At most this many excerpts (default 10). */
  maxExcerpts?: number;
  /** Cap on the characters of all excerpts together (default 16 KiB); long lines are clipped at 400. */
  maxChars?: number;
}

const norm = (s: string) => s.replace(/[‘’`]/g, "'").replace(/\s+/g, ' ');

/** Substrings that identify the log line a diagnostic came from, most specific first. */
export function needles(d: Diagnostic): string[] {
  const n: string[] = [];
  if (d.file && d.line !== null) n.push(`${d.file}:${d.line}:`);
  if (d.symbol && d.module) n.push(`"${d.symbol}" [${d.module}]`);
  const msg = norm(d.message).replace(/^(ERROR|WARNING): modpost: /, '');
  if (msg.length >= 8) n.push(msg.slice(0, 80));
  if (d.symbol) n.push(d.symbol);
  return n;
}

/** The excerpt around each diagnostic (errors only unless `all`) found in `log`; overlapping duplicates dropped. */
export function logExcerpts(log: string, diagnostics: readonly Diagnostic[], o: ExcerptOptions & { all?: boolean } = {}): LogExcerpt[] {
  const context = o.context ?? 5;
  const maxChars = o.maxChars ?? 16384;
  const lines = log.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const normed = lines.map(norm);
  const out: LogExcerpt[] = [];
  const hits = new Set<number>();
  let used = 0;
  for (const d of diagnostics) {
    if (!o.all && d.severity !== 'error') continue;
    if (out.length >= (o.maxExcerpts ?? 10)) break;
    let at = -1;
    for (const needle of needles(d)) {
      at = normed.findIndex((l) => l.includes(needle));
      if (at >= 0) break;
    }
    if (at < 0 || hits.has(at)) continue;
    hits.add(at);
    const start = Math.max(0, at - context);
    const chunk = lines.slice(start, Math.min(lines.length, at + context + 1)).map((l) => (l.length > 400 ? `${l.slice(0, 399)}…` : l));
    const size = chunk.reduce((s, l) => s + l.length + 1, 0);
    if (used + size > maxChars) break;
    used += size;
    out.push({ fingerprint: d.fingerprint, start: start + 1, hit: at + 1, lines: chunk });
  }
  return out;
}

/** Render excerpts as text, `NNNN| line` with `>` marking the matching line, separated by `--`. */
export function renderExcerpts(ex: readonly LogExcerpt[]): string {
  return (
    ex
      .map((e) => e.lines.map((l, i) => `${String(e.start + i).padStart(5)}${e.start + i === e.hit ? '>' : '|'} ${l}`).join('\n'))
      .join('\n--\n') + (ex.length ? '\n' : '')
  );
}

/** Read a stored build log (gzipped or plain) as text; null if it is missing or unreadable. */
export function readLog(path: string | null): string | null {
  if (!path) return null;
  try {
    const buf = readFileSync(path);
    return (buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf).toString('utf8');
  } catch {
    return null;
  }
}
