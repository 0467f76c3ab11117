/** Shared vocabulary of kmatrix: every stage speaks these types. */

/** Kinds of diagnostics the classifier and the Kconfig stage emit. */
export const DIAGNOSTIC_KINDS = [
  'compile-error',
  'compile-warning',
  'link-undefined',
  'link-error',
  'modpost-undefined',
  'modpost-missing-license',
  'section-mismatch',
  'modpost-other',
  'make-error',
  'kconfig-unmet',
  'kconfig',
  'toolchain-missing',
  'compiler-crash',
  'assembler',
  'objtool',
  'killed',
  'infra',
] as const;

/** One kind of diagnostic. */
export type DiagnosticKind = (typeof DIAGNOSTIC_KINDS)[number];

/** How bad a diagnostic is. */
export type Severity = 'error' | 'warning';

/** One finding in a build log or the Kconfig stage; fields are null where unknown. */
export interface Diagnostic {
  kind: DiagnosticKind;
  severity: Severity;
  /** Path relative to the kernel source tree (absolute worktree prefixes stripped). */
  file: string | null;
  line: number | null;
  column: number | null;
  symbol: string | null;
  module: string | null;
  message: string;
  /** Stable identity: survives line/column shifts, worktree location and quote style. */
  fingerprint: string;
}

/** PASS: clean and every artifact exists; FAIL: the code is at fault; ERROR: infrastructure. */
export type BuildStatus = 'PASS' | 'FAIL' | 'ERROR';

/** The build stage a kind of diagnostic comes from, in build order; `infra` is outside the order. */
export type BuildStage = 'kconfig' | 'compile' | 'link' | 'modpost' | 'infra';

/** What a kind says about itself (declared by its classify unit, see src/classify/kinds/). */
export interface KindInfo {
  /** The stage that prints it; null for make's own lines, which any stage can cause. */
  stage: BuildStage | null;
  /** Whether it means the infrastructure failed, not the code (the build is ERROR). */
  infra: boolean;
}

/** A commit as recorded. */
export interface CommitInfo {
  sha: string;
  treeSha: string;
  subject: string;
  author: string;
  authorDate: string;
}

/** A bisect step's verdict, relative to the endpoints (like `git bisect` terms). */
export type Verdict = 'good' | 'bad' | 'skip';

/** Seconds spent in each stage of one build; a stage that did not run is absent (a skipped Kconfig stage: `kconfigSkipped`). */
export interface StageTimes {
  /** Kconfig stage (base config + fragments → .config), including its container start(s). */
  kconfig?: number;
  /** True when the Kconfig stage was skipped because none of its inputs changed. */
  kconfigSkipped?: boolean;
  /** The make of the build targets, including its container start. */
  make?: number;
  /** Log compression. */
  compress?: number;
  /** Log classification. */
  classify?: number;
  /** Recording the build in the store. */
  store?: number;
}

/** ccache's counts for one build (from its stats log); null when the build did not use ccache. */
export interface CcacheStats {
  hits: number;
  misses: number;
  /** Compilations ccache could not cache (preprocessor errors, unsupported flags…). */
  uncacheable: number;
}

/** What a run builds: the Kconfig stage only (`--kconfig-only`), or the whole build. */
export type RunStage = 'kconfig' | 'build';

/** A toolchain as a build records it: the runtime, its image (null on the host) and the compiler's identity line. */
export interface ToolchainUsed {
  runtime: string;
  image: string | null;
  toolchain: string;
}

/**
 * What makes two builds the same build: the source tree, the cell definition (name and config hash), the stage and
 * the toolchain. The result cache, merge and the in-flight markers all speak it.
 */
export interface BuildKey extends ToolchainUsed {
  treeSha: string;
  cell: string;
  configHash: string;
  stage: RunStage;
}

/** The build key of a cell (name and config hash) at a source tree, for a stage and a toolchain. */
export function buildKey(treeSha: string, cell: { name: string; hash: string }, stage: RunStage, tc: ToolchainUsed): BuildKey {
  return { treeSha, cell: cell.name, configHash: cell.hash, stage, runtime: tc.runtime, image: tc.image, toolchain: tc.toolchain };
}

/** The key of one place of a run, a cell at a commit (`<sha>\0<cell name>`), for maps and sets of places. */
export function placeKey(sha: string, cell: string): string {
  return `${sha}\0${cell}`;
}
