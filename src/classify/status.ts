/** PASS / FAIL / ERROR of one build from its diagnostics, exit code and artifacts. */
import type { BuildStatus, Diagnostic } from '../types.js';
import { INFRA_KINDS } from './kinds/index.js';

/** Everything the status of one build depends on. */
export interface StatusInput {
  diagnostics: readonly Pick<Diagnostic, 'kind' | 'severity'>[];
  /** make's exit code; null when it was killed by a signal (counts as infrastructure). */
  exitCode: number | null;
  /** Expected artifacts (vmlinux, zImage, modules) that the build did not produce. */
  missingArtifacts: readonly string[];
  timedOut?: boolean;
}

/** ERROR if infrastructure failed (infra kinds, timeout, signal) — it wins over FAIL; else FAIL on any error, nonzero exit or missing artifact; else PASS. */
export function buildStatus(input: StatusInput): BuildStatus {
  if (input.timedOut === true || input.exitCode === null) return 'ERROR';
  if (input.diagnostics.some((d) => INFRA_KINDS.has(d.kind))) return 'ERROR';
  if (input.exitCode !== 0 || input.missingArtifacts.length > 0) return 'FAIL';
  if (input.diagnostics.some((d) => d.severity === 'error')) return 'FAIL';
  return 'PASS';
}
