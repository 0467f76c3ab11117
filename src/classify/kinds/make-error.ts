/**
 * make-error: `make[N]: *** [...] Error N`, make's fatal errors `make: *** No rule to make target
 * ...  Stop.` and `Makefile:720: *** missing separator.  Stop.` (also `$(error ...)`), and the line
 * `make -k` ends with, `make: Target 'vmlinux' not remade because of errors.`. The classifier
 * reports these only when no more specific error-severity diagnostic explains them.
 *
 * Under all units lies the safety net (`safetyNet`): a line no unit explains that shows a failure at
 * any offset (make's `*** [target] ...`, `*** ... Stop.`, an `error:`/`Error:`/`ERROR:`/`FATAL:`
 * diagnostic word, a linker's `multiple definition of`/`undefined reference to`, a full disk, a
 * build system's own failure line: Nix's "builder ... failed", DKMS's `Error!`, GitHub's `##[error]`) is a make-error quoting the line,
 * whatever prefix an unknown CI system, mailer or wrapper put before it: a failed log is never PASS. A log cut off
 * in the middle of such a line (`cutFailure`, its last line) is a make-error too.
 */
import { defineUnit, draft, int, type Draft, type Hit, type LineContext } from '../unit.js';
import { parseMakeFailure } from './make.js';

const STOP =
  /^(?:g?make(?:\[\d+\])?|(?<file>[^\s:][^:]*?):(?<line>\d+)): (?<msg>\*\*\* (?<what>.+?)\.\s+Stop\.)\s*$/;
const NOT_REMADE = /^g?make(?:\[\d+\])?: (?<msg>Target [`'‘](?<t>[^'’]+)['’] not remade because of errors\.)\s*$/;
/** With -k make omits the `Stop.`. */
const NO_RULE = /^g?make(?:\[\d+\])?: (?<msg>\*\*\* No rule to make target [`'‘](?<t>[^'’]+)['’](?:, needed by [`'‘][^'’]+['’])?\.)/;

/** Unit recognising make's own failure lines (deferred by the classifier, see module doc). */
export const makeError = defineUnit({
  kind: 'make-error',
  stage: null,
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    const own = makeLine(line, ctx);
    if (own !== null) return own;
    const net = safetyNet(line, ctx.recent);
    return net === null ? null : { draft: net };
  },
});

/** make's own failure lines at the start of a line (after the known prefixes), or null. */
function makeLine(line: string, ctx: LineContext): Hit | null {
  const f = parseMakeFailure(line);
  if (f) {
    if (!f.what.startsWith('Error')) return null;
    return { draft: draft('make-error', 'error', f.message, { file: ctx.rel(f.target) }) };
  }
  if (!line.includes('***')) {
    const r = line.includes('not remade') ? NOT_REMADE.exec(line) : null;
    return r?.groups ? { draft: draft('make-error', 'error', r.groups.msg!, { file: ctx.rel(r.groups.t!) }) } : null;
  }
  const n = NO_RULE.exec(line);
  if (n?.groups) return { draft: draft('make-error', 'error', n.groups.msg!, { file: ctx.rel(n.groups.t!) }) };
  const s = STOP.exec(line);
  if (!s?.groups) return null;
  const at = s.groups.file === undefined ? {} : { file: ctx.rel(s.groups.file), line: int(s.groups.line) };
  return { draft: draft('make-error', 'error', s.groups.msg!, at) };
}

/** make's failure at any offset: `*** [target] What`, `*** No rule to make target`, `*** ... Stop.`. */
const NET_MAKE = /\*\*\* (?:\[[^\]]+\] \S|No rule to make target\b|.*\.\s+Stop\.)/;
/** A failing diagnostic word with its colon at any offset (not inside a word: `strerror:`, `-Werror:`, `CONFIG_X_ERROR:`). */
const NET_DIAG =
  /(?<![\w"'‘“`(-])(?:fatal error|error|Error)(?: \([\w-]+\))?:(?=\s|$)|(?<![A-Z0-9_"'‘“`(-])(?:ERROR|FATAL(?: ERROR)?)(?: \([\w-]+\))?:(?=\s|$)/;
/** A non-failing level word: an `error:` after it is quoted text of a warning or note. */
const NET_SOFT = /(?<![\w-])(?:warning|Warning|WARNING|note|info|remark)(?: \([\w-]+\))?:(?=\s|$)/;
/** A source excerpt under a diagnostic (gcc ≥ 9, clang): `  12 |  code`, `     |  ^~~`. */
const EXCERPT = /^\s*(?:\d+ )?\| /;
/** A numbered excerpt line, the one that shows code (`error:` labels, `case ERROR:`). */
const EXCERPT_CODE = /^\s*\d+ \| /;
/** A located diagnostic, the line a source excerpt follows (`x.c:12:5: warning: …`). */
const LOCATED = /\S:\d+(?::\d+)?: (?:fatal error|error|warning|note|remark):/;

/**
 * Whether `line` is a numbered source excerpt in its place: right under a located diagnostic, or under excerpt lines
 * that are (`recent`: the lines before it, oldest first). The shape alone is not enough: a prefix like `| ` or
 * `12 | ` on every line of a log would otherwise hide every failure in it.
 */
export function inSourceExcerpt(line: string, recent: readonly string[]): boolean {
  if (!EXCERPT_CODE.test(line)) return false;
  for (let i = recent.length - 1; i >= 0; i--) {
    const r = recent[i]!;
    if (LOCATED.test(r) && !EXCERPT.test(r)) return true;
    if (!EXCERPT.test(r)) return false;
  }
  return false;
}
/** What a linker, compiler or any tool prints for a failure without a level word. */
const NET_PHRASE = /\b(?:multiple definition of|undefined reference to|final link failed|internal compiler error|No space left on device|Disk quota exceeded)\b/;
/**
 * A build system's or CI runner's own failure line: Nix's `builder for '/nix/store/…drv' failed with
 * exit code 2`, DKMS's `Error! Bad return status for module build on kernel: ...`, GitHub Actions'
 * `##[error]` annotation.
 */
const NET_BUILDER = /\bbuilder for [‘'][^’']+[’'] failed with exit code [1-9]|(?<![\w-])Error! |##\[error\]/;
const NET_MAX = 300;

/**
 * The safety net: a make-error quoting a line that shows a failure at any offset, or null. Run on
 * lines no unit explained; a warning's or note's text, a source excerpt and a word inside a string
 * literal (an odd number of `"` before it and one after it) do not count.
 */
export function safetyNet(line: string, recent: readonly string[] = []): Draft | null {
  if (!(line.includes('***') && NET_MAKE.test(line))) {
    if (!/rror|ERROR|FATAL|builder for|defin|link failed|No space|quota/.test(line) || inSourceExcerpt(line, recent)) return null;
    // (`Error! ` and `##[error]` contain `rror`.)
    if (!NET_BUILDER.test(line) && !NET_PHRASE.test(line)) {
      const m = NET_DIAG.exec(line);
      if (m === null) return null;
      const before = line.slice(0, m.index);
      const inString = (before.split('"').length - 1) % 2 === 1 && line.includes('"', m.index);
      if (NET_SOFT.test(before) || inString) return null;
    }
  }
  const text = line.trim();
  return draft('make-error', 'error', text.length > NET_MAX ? `${text.slice(0, NET_MAX)}…` : text);
}

/** Whether a make-error is a recursive make's echo of a failure below it (`Error 2`). */
export function isMakeCascade(message: string): boolean {
  return /\] Error 2$/.test(message);
}

/** A gcc/gas location (`path:line:` or `path:line:col:`) and the start of the word after it, as a cut line ends. */
const CUT_DIAG = /^[^\s:][^:]*:\d+:(?:\d+:)? (?<word>[a-z][a-z ]*)$/;
/** make's failure line cut anywhere after its `***`'s first star. */
const CUT_MAKE = /^g?make(?:\[\d+\])?: \*/;

/**
 * The last line of a log cut off in the middle of a failure line (a killed writer, a truncated upload): make's
 * `make[N]: *** [...` or a compiler's `file:line:col: err` (a non-empty start of `error` or `fatal error`). The rest
 * of the line is lost, so it cannot be parsed; but the log shows a failure and must not come out PASS.
 */
export function cutFailure(line: string): Draft | null {
  const word = CUT_DIAG.exec(line)?.groups?.word;
  const cut = CUT_MAKE.test(line) || (word !== undefined && ('error'.startsWith(word) || 'fatal error'.startsWith(word)));
  return cut ? draft('make-error', 'error', `log cut off in a failure line: ${line.trim().slice(0, NET_MAX)}`) : null;
}