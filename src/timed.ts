/** Measuring where a build's time goes: one helper instead of hand-written clock arithmetic at every stage. */
import type { StageTimes } from './types.js';

/** A monotonic clock mark (process.hrtime.bigint()). */
export function mark(): bigint {
  return process.hrtime.bigint();
}

/** Seconds since a mark. */
export function since(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** The stages StageTimes keeps seconds for. */
export type TimedStage = Exclude<keyof StageTimes, 'kconfigSkipped'>;

/** Run `fn` and set `stages[stage]` to the seconds it took (also when it throws); async functions are awaited. */
export function timed<T>(stages: StageTimes, stage: TimedStage, fn: () => T): T {
  const t0 = mark();
  const done = () => {
    stages[stage] = since(t0);
  };
  let r: T;
  try {
    r = fn();
  } catch (e) {
    done();
    throw e;
  }
  if (r instanceof Promise) return r.finally(done) as T;
  done();
  return r;
}
