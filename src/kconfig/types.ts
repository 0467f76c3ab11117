/** Vocabulary of the Kconfig stage: fragments, Kconfig expressions, the parsed symbol database, unmet reports. */

export type { FragmentLine } from '../matrix/fragment.js';

/** Comparison operators of the Kconfig expression language. */
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A Kconfig expression; `and`/`or` are n-ary (flattened), `sym` is a symbol or unquoted word, `const` a quoted string. */
export type Expr =
  | { op: 'sym'; name: string }
  | { op: 'const'; value: string }
  | { op: 'not'; arg: Expr }
  | { op: 'and'; args: Expr[] }
  | { op: 'or'; args: Expr[] }
  | { op: 'cmp'; cmp: CompareOp; left: Expr; right: Expr };

/** Declared type of a Kconfig symbol. */
export type KconfigType = 'bool' | 'tristate' | 'int' | 'hex' | 'string' | 'unknown';

/** A `select`/`imply` edge: `by` pulls the target up when `expr` (already `by && deps && cond`) is true. */
export interface ReverseDep {
  by: string;
  expr: Expr;
  /** Location of the select/imply line, `file:line`. */
  at: string;
}

/** A prompt of one definition; `visible` is its `if` condition ANDed with enclosing menus' `visible if` (null = always). */
export interface KconfigPrompt {
  text: string;
  visible: Expr | null;
}

/** One `config`/`menuconfig` block of a symbol (a symbol may have several). */
export interface KconfigDefinition {
  /** Path relative to the source tree. */
  file: string;
  line: number;
  /** Direct dependency: own `depends on` ANDed with enclosing if/menu/choice dependencies (null = none). */
  dependsOn: Expr | null;
  prompt: KconfigPrompt | null;
  defaults: { value: Expr; cond: Expr | null }[];
  selects: { symbol: string; cond: Expr | null }[];
  implies: { symbol: string; cond: Expr | null }[];
  ranges: { min: Expr; max: Expr; cond: Expr | null }[];
  /** Index into `KconfigDb.choices` when defined inside a choice block. */
  choice: number | null;
}

/** A symbol with all its definitions and reverse dependencies. */
export interface KconfigSymbol {
  name: string;
  type: KconfigType;
  definitions: KconfigDefinition[];
  selectedBy: ReverseDep[];
  impliedBy: ReverseDep[];
}

/** A `choice` block. */
export interface KconfigChoice {
  prompt: string | null;
  file: string;
  line: number;
  dependsOn: Expr | null;
  members: string[];
}

/** Everything parsed from one kernel tree for one SRCARCH. */
export interface KconfigDb {
  srcDir: string;
  srcarch: string;
  symbols: Map<string, KconfigSymbol>;
  choices: KconfigChoice[];
  /** Kconfig files read, relative to the source tree, in parse order. */
  files: string[];
  /** The symbol carrying the `modules` attribute (MODULES in real trees). */
  modulesSymbol: string | null;
  /** Non-fatal problems (missing non-optional sources, stray block ends). */
  warnings: string[];
}

/** Why a requested symbol did not stick. */
export type UnmetReason =
  | 'undefined'
  | 'depends'
  | 'no-prompt'
  | 'selected'
  | 'choice'
  | 'modules'
  | 'type'
  | 'value'
  | 'unknown';

/** Explanation of one requested symbol whose final value differs from the request. */
export interface KconfigUnmet {
  symbol: string;
  requested: string;
  actual: string;
  reason: UnmetReason;
  /** Annotated direct dependency, e.g. `BLK_DEV [=n] && BLOCK [=y]`; '' when none. */
  dependsOn: string;
  /** Symbols in the dependency (or prompt condition) that make it false. */
  unmet: string[];
  /** Transitive root cause: unmet symbols, following requested-but-dropped symbols to their own causes. */
  rootCause: string[];
  /** Annotated active selectors, e.g. `ARCH_VIRT [=y] && ARCH_MULTI_V7 [=y]`. */
  selectedBy: string[];
  /** Definition sites, `file:line`. */
  definedAt: string[];
  message: string;
}
