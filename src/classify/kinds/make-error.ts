/**
 * make-error: `make[N]: *** [...] Error N` and `make: *** No rule to make target ...  Stop.`.
 * The classifier reports these only when no more specific error-severity diagnostic explains them.
 */
import { defineUnit, draft } from '../unit.js';
import { parseMakeFailure } from './make.js';

const STOP = /^g?make(?:\[\d+\])?: (?<msg>\*\*\* (?<what>.+?)\.\s+Stop\.)\s*$/;
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
    if (!line.includes('***')) return null;
    const n = NO_RULE.exec(line);
    if (n?.groups) return { draft: draft('make-error', 'error', n.groups.msg!, { file: ctx.rel(n.groups.t!) }) };
    const s = STOP.exec(line);
    if (!s?.groups) return null;
    return { draft: draft('make-error', 'error', s.groups.msg!) };
  },
});

/** Whether a make-error is a recursive make's echo of a failure below it (`Error 2`). */
export function isMakeCascade(message: string): boolean {
  return /\] Error 2$/.test(message);
}
