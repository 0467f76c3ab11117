/** Reading a generated `.config`. */

const ASSIGN = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Undo .config string quoting (`"a\"b"` → `a"b`); unquoted values are returned as-is. */
function unquote(raw: string): string {
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return raw;
  return raw.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Parse .config text into symbol (no CONFIG_ prefix) → value; `is not set` → 'n'; strings unquoted; other lines ignored. */
export function parseDotConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const a = ASSIGN.exec(line);
    if (a) {
      values.set(a[1]!, unquote(a[2]!));
      continue;
    }
    const n = NOT_SET.exec(line);
    if (n) values.set(n[1]!, 'n');
  }
  return values;
}

/** Value of a symbol in a parsed .config; 'n' when absent. */
export function dotConfigValue(values: ReadonlyMap<string, string>, symbol: string): string {
  return values.get(symbol.replace(/^CONFIG_/, '')) ?? 'n';
}
