/** Every diagnostic-kind unit, in matching priority order (the first unit that matches a line wins). */
import type { KindUnit } from '../unit.js';
import { compileError } from './compile-error.js';
import { compileWarning } from './compile-warning.js';
import { compilerCrash } from './compiler-crash.js';
import { killed } from './killed.js';
import { linkUndefined } from './link-undefined.js';
import { makeError } from './make-error.js';
import { modpostMissingLicense } from './modpost-missing-license.js';
import { modpostOther } from './modpost-other.js';
import { modpostUndefined } from './modpost-undefined.js';
import { sectionMismatch } from './section-mismatch.js';
import { toolchainMissing } from './toolchain-missing.js';

/** Units in priority order: infra/crash before gcc lines, specific modpost before modpost-other, make last. */
export const KIND_UNITS: readonly KindUnit[] = [
  killed,
  compilerCrash,
  toolchainMissing,
  compileError,
  compileWarning,
  linkUndefined,
  modpostUndefined,
  modpostMissingLicense,
  sectionMismatch,
  modpostOther,
  makeError,
];
