/**
 * compiler-crash: gcc's `internal compiler error: ...` (ICE), a stray `Please submit a full bug
 * report`, and any build tool that crashed by itself: make's `*** [t] Segmentation fault|Aborted|Bus
 * error` or `Error 139|134|135` (128 + SEGV/ABRT/BUS), the shell's `Segmentation fault (core dumped)`.
 * A crash is a bug of the compiler or host tool that these sources trigger (it happens again on a
 * rerun): FAIL, not infrastructure. A kill from outside (SIGKILL/OOM, TERM, INT, HUP) is `killed`.
 */
import { defineUnit, draft, int, type Draft } from '../unit.js';
import { followMakeTarget, parseMakeFailure } from './make.js';

interface State {
  /** Diagnostic-candidate lines since the last ICE (its backtrace precedes "Please submit"). */
  sinceIce: number;
  /** Lines since the last crash line (make's failing-target line after it is the same crash). */
  sinceCrash: number;
}

const CRASHES = 'Segmentation fault|Aborted|Bus error';
/** Exit codes 128+signal: ABRT, BUS, SEGV. */
const CRASH_CODES = new Set([134, 135, 139]);
const CRASH_LINE = new RegExp(
  `^(?:\\S*sh: (?:line )?\\d+: (?:\\d+ )?)?(?<sig>${CRASHES})(?: +\\(core dumped\\))?(?:\\s+(?<cmd>\\S.*))?$`,
);
const CRASHED_MAKE = new RegExp(`^(?:${CRASHES})\\b`);

const ICE =
  /^(?:(?<file>[^\s:][^:]*?):(?<line>\d+):(?:(?<col>\d+):)? )?(?:(?<tool>\S+): )?internal compiler error: (?<msg>.*)$/;

/** Unit recognising ICEs: a toolchain bug triggered by the code, FAIL-causing but not infrastructure. */
export const compilerCrash = defineUnit<State>({
  kind: 'compiler-crash',
  stage: 'compile',
  infra: false,
  init: () => ({ sinceIce: Infinity, sinceCrash: Infinity }),
  observe(_line, st) {
    st.sinceIce++;
    st.sinceCrash++;
  },
  match(line, st, ctx) {
    let d: Draft | null = null;
    const f = parseMakeFailure(line);
    if (f) {
      if (!(CRASHED_MAKE.test(f.what) || (f.code !== null && CRASH_CODES.has(f.code)))) return null;
      if (st.sinceCrash <= 40) return { draft: null }; // the crash line before it already took this target
      return { draft: draft('compiler-crash', 'error', f.message, { file: ctx.rel(f.target) }) };
    }
    const c = CRASH_LINE.exec(line);
    if (c?.groups) {
      st.sinceCrash = 0;
      const cmd = c.groups.cmd?.split(/\s/)[0]?.replace(/^.*\//, '') ?? null;
      return { draft: draft('compiler-crash', 'error', cmd === null ? c.groups.sig! : `${c.groups.sig!}: ${cmd}`, { symbol: cmd }), follow: followMakeTarget };
    }
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
