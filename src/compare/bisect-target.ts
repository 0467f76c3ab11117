/**
 * What a bisect looks for and how a step is judged (pure): the `--match` filter, the target fingerprints, the stage
 * a kind shows at, and a step's verdict.
 *
 * Verdicts are relative to the endpoints, like `git bisect` terms: `good` = behaves like --good, `bad` = like
 * --bad. Normally --good lacks the target and --bad shows it; with `reverse` --good shows it and --bad passes.
 */
import { KIND_STAGE } from '../classify/index.js';
import { DIAGNOSTIC_KINDS, type BuildStatus, type Diagnostic, type DiagnosticKind, type Verdict } from '../types.js';

/** A `--match` filter: `fingerprint:<hex>` or bare hex (prefix), `symbol:`, `file:` (path or suffix), `kind:`. */
export type MatchFilter = { field: 'fingerprint' | 'symbol' | 'file' | 'kind'; value: string };

/** Parse a `--match` value; throws a message on a malformed one. */
export function parseMatch(s: string): MatchFilter {
  const m = /^(fingerprint|symbol|file|kind):(.+)$/.exec(s.trim());
  if (m) {
    const field = m[1] as MatchFilter['field'];
    const value = m[2]!.trim();
    if (field === 'kind' && !(DIAGNOSTIC_KINDS as readonly string[]).includes(value)) {
      throw new Error(`unknown diagnostic kind '${value}' (kinds: ${DIAGNOSTIC_KINDS.join(', ')})`);
    }
    if (field === 'fingerprint' && !/^[0-9a-f]+$/i.test(value)) throw new Error(`'${value}' is not a hex fingerprint`);
    return { field, value: field === 'fingerprint' ? value.toLowerCase() : value };
  }
  if (/^[0-9a-f]{4,}$/i.test(s.trim())) return { field: 'fingerprint', value: s.trim().toLowerCase() };
  throw new Error(`--match '${s}': expected fingerprint:<hex>, <hex>, symbol:NAME, file:PATH or kind:KIND`);
}

/** Whether a diagnostic matches a filter. */
export function matches(d: Diagnostic, f: MatchFilter): boolean {
  switch (f.field) {
    case 'fingerprint':
      return d.fingerprint.toLowerCase().startsWith(f.value);
    case 'symbol':
      return d.symbol === f.value;
    case 'file':
      return d.file !== null && (d.file === f.value || d.file.endsWith(`/${f.value}`));
    case 'kind':
      return d.kind === f.value;
  }
}

/** What a verdict needs from a build. */
export interface StepBuild {
  status: BuildStatus;
  diagnostics: Diagnostic[];
}

/** Diagnostics of a build that are the target (one per fingerprint). */
export function targetHits(b: StepBuild, target: ReadonlySet<string>): Diagnostic[] {
  const seen = new Set<string>();
  return b.diagnostics.filter((d) => target.has(d.fingerprint) && !seen.has(d.fingerprint) && (seen.add(d.fingerprint), true));
}

/**
 * The target fingerprints (pure): the failing endpoint's diagnostics absent at the passing endpoint (errors
 * only), or, with a filter, the failing endpoint's diagnostics that match it (any severity). The caller then
 * checks the passing endpoint does not show them.
 */
export function targetOf(failing: StepBuild, passing: StepBuild, filter: MatchFilter | null): Diagnostic[] {
  const there = new Set(passing.diagnostics.map((d) => d.fingerprint));
  const seen = new Set<string>();
  return failing.diagnostics.filter((d) => {
    if (seen.has(d.fingerprint)) return false;
    const ok = filter ? matches(d, filter) : d.severity === 'error' && !there.has(d.fingerprint);
    if (ok) seen.add(d.fingerprint);
    return ok;
  });
}

/** The build stage of each kind, as each classify unit declares it (re-exported for bisect's users). */
export { KIND_STAGE };

/** The stage a set of target kinds is seen at (the earliest), or null when unknown. */
export function targetStage(kinds: readonly DiagnosticKind[]): number | null {
  const stages = kinds.map((k) => KIND_STAGE[k]).filter((x): x is number => x !== undefined);
  return stages.length === kinds.length && stages.length > 0 ? Math.min(...stages) : null;
}

/**
 * A step's verdict (pure): target present → like the failing endpoint; PASS → like the passing one. A FAIL
 * with other errors only is like the passing endpoint when those errors prove the build reached the stage
 * that would have shown the target (e.g. modpost ran and reported another symbol); otherwise (a compile
 * error that stopped the build before modpost, an infrastructure ERROR) it is skipped, as `git bisect skip`.
 */
export function verdictOf(b: StepBuild, target: ReadonlySet<string>, reverse: boolean, stage: number | null = null): Verdict {
  if (targetHits(b, target).length) return reverse ? 'good' : 'bad';
  if (b.status === 'PASS') return reverse ? 'bad' : 'good';
  if (b.status === 'FAIL' && stage !== null) {
    const errors = b.diagnostics.filter((d) => d.severity === 'error');
    const reached = errors.some((d) => (KIND_STAGE[d.kind] ?? -1) >= stage);
    const earlier = errors.some((d) => (KIND_STAGE[d.kind] ?? -1) < stage);
    if (reached && !earlier) return reverse ? 'bad' : 'good';
  }
  return 'skip';
}
