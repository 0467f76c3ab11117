/**
 * compile-error: gcc/gas `path:line:col: error: msg` and `fatal error:` (incl. -Werror warnings),
 * and gcc's `cc1: all warnings being treated as errors`: a summary (gcc ≤ 4.5 printed the warnings
 * themselves as `warning:` after it) reported only when no other error explains the failure, with
 * make's failing target as its file. Also the device tree compiler's lines (dtc.ts).
 */
import { defineUnit, draft } from '../unit.js';
import { matchDtc } from './dtc.js';
import { gccUnit } from './gcc.js';
import { followMakeTarget } from './make.js';

const WERROR = /^(?<tool>cc1(?:plus)?|\S*gcc(?:-\d+)?|\S*clang(?:-\d+)?): (?:all )?warnings being treated as errors$/;
const gcc = gccUnit('compile-error');

/** Unit recognising gcc/gas errors; symbol is the enclosing function from gcc's context. */
export const compileError = defineUnit({
  ...gcc,
  match(line, st, ctx) {
    if (line.endsWith('treated as errors') && WERROR.test(line)) {
      return { draft: draft('compile-error', 'error', 'all warnings being treated as errors'), follow: followMakeTarget, fallback: true };
    }
    return gcc.match(line, st, ctx) ?? matchDtc(line, ctx);
  },
});
