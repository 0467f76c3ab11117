/** compiler-crash: gcc's `internal compiler error: ...` (ICE) and a stray `Please submit a full bug report`. */
import { defineUnit, draft, int, type Draft } from '../unit.js';
import { parseMakeFailure } from './make.js';

const ICE =
  /^(?:(?<file>[^\s:][^:]*?):(?<line>\d+):(?:(?<col>\d+):)? )?(?:(?<tool>\S+): )?internal compiler error: (?<msg>.*)$/;

/** Unit recognising ICEs: a toolchain bug triggered by the code, FAIL-causing but not infrastructure. */
export const compilerCrash = defineUnit({
  kind: 'compiler-crash',
  init: () => null,
  match(line, _st, ctx) {
    let d: Draft | null = null;
    if (line.includes('internal compiler error')) {
      const m = ICE.exec(line);
      if (!m?.groups) return null;
      const file = m.groups.file === undefined ? null : ctx.rel(m.groups.file);
      d = draft('compiler-crash', 'error', `internal compiler error: ${m.groups.msg!.trim()}`, {
        file,
        line: int(m.groups.line),
        column: int(m.groups.col),
      });
    } else if (line.startsWith('Please submit a full bug report')) {
      if (ctx.recent.some((l) => l.includes('internal compiler error'))) return { draft: null };
      d = draft('compiler-crash', 'error', line.trim());
    } else {
      return null;
    }
    if (d.file !== null) return { draft: d };
    // The driver's "signal terminated program cc1" names no file: take make's failing target.
    return {
      draft: d,
      follow: {
        maxLines: 40,
        next(next, dr, c) {
          const f = parseMakeFailure(next);
          if (!f) return false;
          dr.file = c.rel(f.target);
          return true;
        },
      },
    };
  },
});
