/** compiler-crash: gcc's `internal compiler error: ...` (ICE) and a stray `Please submit a full bug report`. */
import { defineUnit, draft, int, type Draft } from '../unit.js';
import { followMakeTarget } from './make.js';

interface State {
  /** Diagnostic-candidate lines since the last ICE (its backtrace precedes "Please submit"). */
  sinceIce: number;
}

const ICE =
  /^(?:(?<file>[^\s:][^:]*?):(?<line>\d+):(?:(?<col>\d+):)? )?(?:(?<tool>\S+): )?internal compiler error: (?<msg>.*)$/;

/** Unit recognising ICEs: a toolchain bug triggered by the code, FAIL-causing but not infrastructure. */
export const compilerCrash = defineUnit<State>({
  kind: 'compiler-crash',
  stage: 'compile',
  infra: false,
  init: () => ({ sinceIce: Infinity }),
  observe(_line, st) {
    st.sinceIce++;
  },
  match(line, st, ctx) {
    let d: Draft | null = null;
    if (line.includes('internal compiler error')) {
      const m = ICE.exec(line);
      if (!m?.groups) return null;
      st.sinceIce = 0;
      const file = m.groups.file === undefined ? null : ctx.rel(m.groups.file);
      d = draft('compiler-crash', 'error', `internal compiler error: ${m.groups.msg!.trim()}`, {
        file,
        line: int(m.groups.line),
        column: int(m.groups.col),
      });
    } else if (line.startsWith('Please submit a full bug report')) {
      if (st.sinceIce < 80) return { draft: null };
      d = draft('compiler-crash', 'error', line.trim());
    } else {
      return null;
    }
    if (d.file !== null) return { draft: d };
    // The driver's "signal terminated program cc1" names no file: take make's failing target.
    return { draft: d, follow: followMakeTarget };
  },
});
