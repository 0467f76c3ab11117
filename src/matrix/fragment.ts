/** Config fragments: `CONFIG_X=value` / `# CONFIG_X is not set` lines, parsed, rendered and merged. */
import { UsageError } from '../errors.js';

/** One assignment from a config fragment; `symbol` has no CONFIG_ prefix, string values are unquoted. */
export interface FragmentLine {
  symbol: string;
  value: string;
  /** 1-based line in its source text. */
  line: number;
  /** True when the value was written as a quoted string. */
  quoted?: boolean;
  /** Where the line came from (file name), when known. */
  source?: string;
}

/** A malformed fragment line; `line` and `column` are 1-based. */
export class FragmentError extends UsageError {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
    readonly source?: string,
  ) {
    super(`${source ?? '<fragment>'}:${line}:${column}: ${reason}`);
    this.name = 'FragmentError';
  }
}

const ASSIGN = /^CONFIG_([A-Za-z0-9_]+)=/;
const NOT_SET = /^#\s*CONFIG_([A-Za-z0-9_]+) is not set\s*$/;
const PLAIN_VALUE = /^(y|m|n|-?[0-9]+|0[xX][0-9a-fA-F]+)$/;

/** Parse a quoted string starting at `text[0] === '"'`; returns the unescaped value and its raw length, or an error column offset. */
function parseQuoted(text: string): { value: string; length: number } | { errorAt: number; reason: string } {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (i + 1 >= text.length) break;
      value += text[++i];
    } else if (c === '"') {
      return { value, length: i + 1 };
    } else {
      value += c;
    }
  }
  return { errorAt: 0, reason: 'unterminated string' };
}

/** Parse one non-blank, non-comment line (already known to start at `indent`). */
function parseAssignment(raw: string, lineNo: number, source: string | undefined): FragmentLine {
  const indent = raw.length - raw.trimStart().length;
  const text = raw.trimStart().replace(/\s+$/, '');
  const m = ASSIGN.exec(text);
  if (!m) throw new FragmentError(lineNo, indent + 1, `expected CONFIG_<SYMBOL>=<value> or "# CONFIG_<SYMBOL> is not set"`, source);
  const symbol = m[1]!;
  const valueCol = indent + m[0].length + 1;
  const rest = text.slice(m[0].length);
  if (rest === '') throw new FragmentError(lineNo, valueCol, `missing value for CONFIG_${symbol}`, source);
  if (rest.startsWith('"')) {
    const q = parseQuoted(rest);
    if ('errorAt' in q) throw new FragmentError(lineNo, valueCol + q.errorAt, q.reason, source);
    if (q.length !== rest.length) {
      throw new FragmentError(lineNo, valueCol + q.length, 'unexpected characters after string value', source);
    }
    return withSource({ symbol, value: q.value, line: lineNo, quoted: true }, source);
  }
  if (!PLAIN_VALUE.test(rest)) {
    throw new FragmentError(lineNo, valueCol, `invalid value "${rest}" (expected y, m, n, "string", number or 0x-hex)`, source);
  }
  return withSource({ symbol, value: rest, line: lineNo, quoted: false }, source);
}

function withSource(line: FragmentLine, source: string | undefined): FragmentLine {
  return source === undefined ? line : { ...line, source };
}

/** Parse fragment text into assignments (`# CONFIG_X is not set` = n); throws FragmentError on a malformed line. */
export function parseFragment(text: string, source?: string): FragmentLine[] {
  const out: FragmentLine[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) {
      const ns = NOT_SET.exec(trimmed);
      if (ns) out.push(withSource({ symbol: ns[1]!, value: 'n', line: lineNo, quoted: false }, source));
      return;
    }
    out.push(parseAssignment(raw, lineNo, source));
  });
  return out;
}

/** Quote a string value the way .config does. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Render one assignment as a fragment/.config line. */
export function renderFragmentLine(l: Pick<FragmentLine, 'symbol' | 'value' | 'quoted'>): string {
  if (l.value === 'n' && !l.quoted) return `# CONFIG_${l.symbol} is not set`;
  const plain = !l.quoted && PLAIN_VALUE.test(l.value);
  return `CONFIG_${l.symbol}=${plain ? l.value : quote(l.value)}`;
}

/** Render assignments back to fragment text (one line each, trailing newline). */
export function renderFragment(lines: readonly FragmentLine[]): string {
  return lines.map((l) => renderFragmentLine(l) + '\n').join('');
}

/** Merge fragments in order: a later assignment wins, each symbol keeps the position of its first appearance. */
export function mergeFragments(lists: readonly (readonly FragmentLine[])[]): FragmentLine[] {
  const bySymbol = new Map<string, FragmentLine>();
  for (const list of lists) for (const l of list) bySymbol.set(l.symbol, l);
  // Map keeps first-insertion order even when a key is overwritten.
  return [...bySymbol.values()];
}

/** Symbol → requested value of (merged) fragment lines, for `explainUnmet`. */
export function fragmentValues(lines: readonly FragmentLine[]): Map<string, string> {
  return new Map(lines.map((l) => [l.symbol, l.value]));
}
