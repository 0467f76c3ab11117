/** The bisection itself (pure): which commit to test next, given the verdicts so far (like `git bisect`). */
import type { Verdict } from '../types.js';

/** What to do next: test a commit, or stop with one answer or with only skipped commits left. */
export type NextStep =
  | { kind: 'test'; sha: string; index: number }
  | { kind: 'found'; sha: string }
  | { kind: 'ambiguous'; candidates: string[] };

/**
 * The next commit to test (pure). `candidates` is GOOD..BAD oldest first (GOOD excluded, BAD last and bad by
 * definition), treated as linear history. The answer lies after the last good and at or before the first bad
 * after it; the untested commit nearest the midpoint of that window is next (ties: the later one). When every
 * commit in the window is skipped, the answer is one of them or the first bad (git's "only skipped commits left").
 */
export function nextStep(candidates: readonly string[], verdicts: ReadonlyMap<string, Verdict>): NextStep {
  if (candidates.length === 0) throw new Error('nextStep: no candidates');
  let lo = -1;
  candidates.forEach((c, i) => {
    if (verdicts.get(c) === 'good') lo = i;
  });
  let hi = candidates.length - 1;
  for (let i = lo + 1; i < candidates.length - 1; i++) {
    if (verdicts.get(candidates[i]!) === 'bad') {
      hi = i;
      break;
    }
  }
  if (lo >= hi) return { kind: 'found', sha: candidates[candidates.length - 1]! }; // inconsistent: BAD itself
  const mid = (lo + hi) / 2;
  let best = -1;
  for (let i = lo + 1; i < hi; i++) {
    if (verdicts.has(candidates[i]!)) continue;
    if (best < 0 || Math.abs(i - mid) <= Math.abs(best - mid)) best = i;
  }
  if (best >= 0) return { kind: 'test', sha: candidates[best]!, index: best };
  if (hi === lo + 1) return { kind: 'found', sha: candidates[hi]! };
  return { kind: 'ambiguous', candidates: candidates.slice(lo + 1, hi + 1) };
}
