/** Every diagnostic-kind unit, in matching priority order (the first unit that matches a line wins), and what each kind declares. */
import type { BuildStage, DiagnosticKind, KindInfo } from '../../types.js';
import type { KindUnit } from '../unit.js';
import { assembler } from './assembler.js';
import { compileError } from './compile-error.js';
import { compileWarning } from './compile-warning.js';
import { compilerCrash } from './compiler-crash.js';
import { infra } from './infra.js';
import { kconfig } from './kconfig.js';
import { killed } from './killed.js';
import { linkError } from './link-error.js';
import { linkUndefined } from './link-undefined.js';
import { makeError } from './make-error.js';
import { modpostMissingLicense } from './modpost-missing-license.js';
import { modpostOther } from './modpost-other.js';
import { modpostUndefined } from './modpost-undefined.js';
import { objtool } from './objtool.js';
import { sectionMismatch } from './section-mismatch.js';
import { toolchainMissing } from './toolchain-missing.js';

/** Units in priority order: infra/crash before gcc lines, a missing compiler before Kconfig's own lines (`scripts/Kconfig.include:39: C compiler 'x' not found`) (link-error too: clang's `error: linker command failed`), specific modpost before modpost-other, make last. */
export const KIND_UNITS: readonly KindUnit[] = [
  killed,
  infra,
  compilerCrash,
  toolchainMissing,
  kconfig,
  objtool,
  linkError,
  assembler,
  compileError,
  compileWarning,
  linkUndefined,
  modpostUndefined,
  modpostMissingLicense,
  sectionMismatch,
  modpostOther,
  makeError,
];

/** Kinds only other stages emit (no classify unit): the Kconfig check. */
const OTHER_KINDS: readonly (KindInfo & { kind: DiagnosticKind })[] = [{ kind: 'kconfig-unmet', stage: 'kconfig', infra: false }];

/** Stage and infrastructure flag of every kind, derived from the units' own declarations. */
export const KIND_INFO: ReadonlyMap<DiagnosticKind, KindInfo> = new Map(
  [...KIND_UNITS, ...OTHER_KINDS].map((u) => [u.kind, { stage: u.stage, infra: u.infra }]),
);

/** Kinds that mean the infrastructure failed, not the code: they make a build ERROR. */
export const INFRA_KINDS: ReadonlySet<DiagnosticKind> = new Set(
  [...KIND_INFO].filter(([, i]) => i.infra).map(([k]) => k),
);

/** The build stages in the order a build goes through them (infra is outside the order). */
export const STAGE_ORDER: readonly BuildStage[] = ['kconfig', 'compile', 'link', 'modpost'];

/** The position of each kind's stage in STAGE_ORDER (kinds without an ordered stage are absent). */
export const KIND_STAGE: Readonly<Partial<Record<DiagnosticKind, number>>> = Object.fromEntries(
  [...KIND_INFO]
    .map(([k, i]) => [k, i.stage === null ? -1 : STAGE_ORDER.indexOf(i.stage)] as const)
    .filter(([, n]) => n >= 0),
);
