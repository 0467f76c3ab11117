/** compile-warning: gcc/gas `path:line:col: warning: msg [-Wflag]`. */
import { defineUnit, draft } from '../unit.js';
import { newFunctionContext, observeFunction, parseGccLine } from './gcc.js';

/** Unit recognising gcc/gas warnings; symbol is the enclosing function from gcc's context. */
export const compileWarning = defineUnit({
  kind: 'compile-warning',
  stage: 'compile',
  infra: false,
  init: newFunctionContext,
  observe: observeFunction,
  match(line, st, ctx) {
    const p = parseGccLine(line, ctx);
    if (!p || p.level !== 'warning') return null;
    const fn = p.file === null ? null : (st.byFile.get(p.file) ?? null);
    return {
      draft: draft('compile-warning', 'warning', p.message, { file: p.file, line: p.line, column: p.column, symbol: fn }),
    };
  },
});
