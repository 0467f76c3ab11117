/**
 * Line prefixes that CI systems, robots and wrappers put in front of a build's own lines: what is
 * always safe to strip (ANSI, CR, GitLab section markers, timestamps), what is stripped only
 * when a sample of the log shows it repeating (robot `>> ` markers, also under a mail reply's quote
 * levels; a wrapper's `name: `), and the indentation of a build system's tail after its header line
 * (Nix, BitBake; `tailIndent`, applied by the classifier).
 */

/** What to strip from every line besides the always-safe cleanup, decided from a sample of the log. */
export interface PrefixPlan {
  /** Literal wrapper prefixes, outermost first (e.g. `akmods: `). */
  wrappers: readonly string[];
  /** Kernel test robot report: `>> ` (new) and three-space (old) markers, `--` separators. */
  robot: boolean;
  /** A mail reply quoting a robot report: quote levels (`> `, `>`) before the robot's markers. */
  quoted: boolean;
}

/** The plan for a log without any detected prefix. */
export const NO_PREFIX: PrefixPlan = { wrappers: [], robot: false, quoted: false };

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
const GITLAB_SECTION = /section_(?:start|end):\d+:[^\r\s]*(?:\[[^\]\r]*\])?\r?/g;
/**
 * GitHub Actions (`2024-05-01T12:34:56.1234567Z `), ISO with a space or offset, Jenkins' bracketed
 * form, and a time of day alone (LAVA/KernelCI `00:00:14 `, `[00:00:14]`).
 */
const TIMESTAMP =
  /^(?:\[\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|\[?\d\d:\d\d:\d\d(?:[.,]\d+)?\]?)(?: |\t|$)/;
/** A wrapper's own tag: `name: `, `name[pid]: `, `[tag] `, `service | `. */
const WRAPPER = /^(?:[A-Za-z][\w.+-]{0,62}(?:\[\d+\])?: |\[[^\]\s][^\]]{0,62}\] |[\w.-]{1,63} *\| )/;
/** Tags that are the build's own words, never a wrapper's (tools, make, modpost levels, gcc's words). */
const OWN_TAG =
  /^(?:g?make(?:\[\d+\])?|(?:[\w.+-]*-)?(?:ld|ld\.bfd|ld\.gold|ld\.lld|gcc|g\+\+|cc|c\+\+|clang|as|ar|nm|objcopy|objdump|strip|cc1|objtool|pahole|sh|bash)(?:-\d+(?:\.\d+)*)?|cc1plus|collect2|dtc|depmod|modpost|fixdep|genksyms|kmatrix|ERROR|WARNING|FATAL|error|warning|note|fatal error|BTF|DESCEND|INSTALL|Error|Warning|In file included from)$/;
const SAMPLE_MIN = 3;
const SHARE = 0.6;
const MAX_WRAPPERS = 3;

/**
 * The always-safe cleanup of one raw line: terminal overwrites (`\r`) keep the last segment, GitLab
 * section markers and ANSI sequences go, a leading timestamp goes.
 */
export function cleanLine(raw: string): string {
  let line = raw;
  if (line.includes('section_')) line = line.replace(GITLAB_SECTION, '');
  if (line.includes('\r')) {
    const t = line.replace(/\r+$/, '');
    const cr = t.lastIndexOf('\r');
    line = cr === -1 ? t : t.slice(cr + 1);
  }
  if (line.includes('\x1b')) line = line.replace(ANSI, '');
  const c0 = line.charCodeAt(0);
  if ((c0 >= 0x30 && c0 <= 0x39) || c0 === 0x5b) {
    const ts = TIMESTAMP.exec(line);
    if (ts) line = line.slice(ts[0].length);
  }
  return line;
}

/** Apply a plan to a cleaned line; null means "not a build line" (a robot `--` separator). */
export function stripPrefixes(line: string, plan: PrefixPlan): string | null {
  let s = line;
  for (const w of plan.wrappers) {
    if (s.startsWith(w)) s = s.slice(w.length);
    else if (s === w.trimEnd()) s = '';
  }
  if (plan.quoted) s = peelQuotes(s);
  if (plan.robot) {
    if (s === '--') return null;
    if (s.startsWith('>> ') && !s.startsWith('>>> ')) s = s.slice(3);
    else if (s.startsWith('   ')) s = s.slice(3);
  }
  return s;
}

/**
 * The most common wrapper tag of the sample, if it starts at least SHARE of the non-empty lines and
 * SAMPLE_MIN of them; a shorter log needs it on every one of its (at least two) lines.
 */
function commonWrapper(lines: readonly string[]): string | null {
  const counts = new Map<string, number>();
  let nonEmpty = 0;
  for (const l of lines) {
    if (l.trim() === '') continue;
    nonEmpty++;
    const w = WRAPPER.exec(l)?.[0];
    if (w !== undefined) counts.set(w, (counts.get(w) ?? 0) + 1);
    else if (/^[A-Za-z][\w.+-]{0,62}(?:\[\d+\])?:$/.test(l)) counts.set(`${l} `, (counts.get(`${l} `) ?? 0) + 1);
  }
  let best: string | null = null;
  let n = 0;
  for (const [w, c] of counts) if (c > n) [best, n] = [w, c];
  if (best === null || n < SHARE * nonEmpty || n < Math.min(SAMPLE_MIN, Math.max(2, nonEmpty))) return null;
  const tag = best.replace(/(?::|\]|\s*\|) $/, '').replace(/^\[/, '');
  return OWN_TAG.test(tag) || /\.(?:[chsSo]|ko|lds)$/.test(tag) ? null : best;
}

/** Whether the sample looks like a kernel test robot report (markers on most lines, or its header). */
function isRobot(lines: readonly string[]): boolean {
  let marked = 0;
  let fresh = 0;
  let nonEmpty = 0;
  for (const l of lines) {
    if (l.includes('new ones prefixed by >>')) return true;
    if (l.trim() === '') continue;
    nonEmpty++;
    if (l.startsWith('>> ') && !l.startsWith('>>> ')) {
      fresh++;
      marked++;
    } else if (l.startsWith('   ') || l === '--') marked++;
  }
  return fresh >= 1 && marked >= SHARE * nonEmpty;
}

/** Where a quoted line's own text starts: the robot's `>> ` marker (not ld.lld's `>>> `) or ld.lld's `>>> ` reference. */
const QUOTE_END = /^>>(?: (?!>)|> (?:referenced|defined|did you mean| +\S))/;

/**
 * Drop mail quote levels (`>` with or without a space after each) from a line, keeping the kernel
 * test robot's `>> ` marker and ld.lld's `>>> ` lines: `> > > >> a.o: error: x` → `>> a.o: error: x`,
 * `> >    b.c: note` → `   b.c: note`, `>>> >>> referenced by a.c` → `>>> referenced by a.c`.
 */
export function peelQuotes(line: string): string {
  let s = line;
  while (s.startsWith('>') && !QUOTE_END.test(s)) s = s.slice(s[1] === ' ' ? 2 : 1);
  return s;
}

/** Whether the sample quotes a robot report in a mail reply: a quoted line that starts with the robot's `>> ` marker. */
function isQuotedRobot(lines: readonly string[]): boolean {
  return lines.some((l) => {
    if (!l.startsWith('>')) return false;
    const p = peelQuotes(l);
    return p !== l && /^>> [^>\s]/.test(p);
  });
}

/** Decide what to strip from a sample of cleaned lines (the start of the log). */
export function detectPrefixes(sample: readonly string[]): PrefixPlan {
  const wrappers: string[] = [];
  let lines = sample;
  for (let i = 0; i < MAX_WRAPPERS; i++) {
    const w = commonWrapper(lines);
    if (w === null) break;
    wrappers.push(w);
    lines = lines.map((l) => (l.startsWith(w) ? l.slice(w.length) : l));
  }
  const quoted = isQuotedRobot(lines);
  // A reply's own prose dilutes the markers: a quoted robot line is evidence enough.
  return { wrappers, quoted, robot: quoted || isRobot(lines) };
}

/** A build system's tail of a failed build's log: its header line and the indentation of the lines after it. */
interface TailStyle {
  header: RegExp;
  indent: RegExp;
}

/**
 * Tails that build systems print with their own header and indentation: Nix ≤ 2.3 (`builder for
 * '/nix/store/…drv' failed with exit code 2; last 10 log lines:`, two spaces), Nix ≥ 2.4 (`last 10 log
 * lines:`, then `       > `) and BitBake/Yocto (`Log data follows:`, then `| `).
 */
const TAILS: readonly TailStyle[] = [
  { header: /^(?:error: )?builder for [‘'].+[’'] failed with exit code \d+; last \d+ log lines:$/, indent: /^ {2}/ },
  { header: /^\s*last \d+ log lines:$/, indent: /^\s+> ?/ },
  { header: /^Log data follows:$/, indent: /^\|(?: |$)/ },
];

/** The indentation of the tail a line starts, or null when it is no tail header. */
export function tailIndent(line: string): RegExp | null {
  if (!line.includes('log lines:') && !line.startsWith('Log data')) return null;
  return TAILS.find((t) => t.header.test(line))?.indent ?? null;
}
