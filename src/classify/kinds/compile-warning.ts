/** compile-warning: gcc/gas `path:line:col: warning: msg [-Wflag]`. */
import { defineUnit } from '../unit.js';
import { gccUnit } from './gcc.js';

/** Unit recognising gcc/gas warnings; symbol is the enclosing function from gcc's context. */
export const compileWarning = defineUnit(gccUnit('compile-warning'));
