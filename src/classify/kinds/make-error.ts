/**
 * make-error: `make[N]: *** [...] Error N`, make's fatal errors `make: *** No rule to make target
 * ...  Stop.` and `Makefile:720: *** missing separator.  Stop.` (also `$(error ...)`), and the line
 * `make -k` ends with, `make: Target 'vmlinux' not remade because of errors.`. The classifier
 * reports these only when no more specific error-severity diagnostic explains them.
 */
import { defineUnit, draft, int } from '../unit.js';
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
  },
});

/** Whether a make-error is a recursive make's echo of a failure below it (`Error 2`). */
export function isMakeCascade(message: string): boolean {
  return /\] Error 2$/.test(message);
}
