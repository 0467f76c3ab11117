/** compile-error: gcc/gas `path:line:col: error: msg` and `fatal error:` (incl. -Werror warnings). */
import { defineUnit, draft } from '../unit.js';
import { newFunctionContext, observeFunction, parseGccLine } from './gcc.js';

/** Unit recognising gcc/gas errors; symbol is the enclosing function from gcc's context. */
export const compileError = defineUnit({
  kind: 'compile-error',
  stage: 'compile',
  infra: false,
  init: newFunctionContext,
  observe: observeFunction,
  match(line, st, ctx) {
    const p = parseGccLine(line, ctx);
    if (!p || p.level !== 'error') return null;
    const fn = p.file === null ? null : (st.byFile.get(p.file) ?? null);
    return {
      draft: draft('compile-error', 'error', p.message, { file: p.file, line: p.line, column: p.column, symbol: fn }),
    };
  },
});
