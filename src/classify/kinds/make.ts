/** Shared parsing of GNU make's `make[N]: *** [Makefile:line: target] What` lines. */

/** One parsed `*** [...]` line. */
export interface MakeFailure {
  /** The line without the `make[N]: ` prefix. */
  message: string;
  target: string;
  /** `Error 2`, `Killed`, `Terminated`, ... */
  what: string;
  /** Exit code of `Error N`, null for signals. */
  code: number | null;
}

const RE = /^g?make(?:\[\d+\])?: (?<msg>\*\*\* \[(?<where>[^\]]+)\] (?<what>.+?))\s*$/;

/** Parse a make failure line, or null. */
export function parseMakeFailure(line: string): MakeFailure | null {
  if (!line.includes('*** [')) return null;
  const m = RE.exec(line);
  if (!m?.groups) return null;
  const where = m.groups.where!;
  // GNU make ≥ 4.0 prints `Makefile:line: target`; older ones just the target.
  const target = /^(?:[^:\s]+:\d+: )?(?<t>.+)$/.exec(where)?.groups?.t ?? where;
  const what = m.groups.what!;
  const code = /^Error (\d+)/.exec(what)?.[1];
  return { message: m.groups.msg!, target, what, code: code === undefined ? null : Number(code) };
}

/** A Follow that takes the file of a target-less diagnostic from make's next failing target. */
export const followMakeTarget = {
  maxLines: 40,
  next(line: string, d: { file: string | null }, ctx: { rel(p: string): string }): boolean {
    const f = parseMakeFailure(line);
    if (!f) return false;
    d.file = ctx.rel(f.target);
    return true;
  },
};

const BUILDING = /^ {2}(?:CC|AS)(?: \[M\])?\s+(?<obj>\S+\.o)$/;

/** The object named by the last kbuild `CC`/`AS` line in the look-back, if any. */
export function objectBeingBuilt(recent: readonly string[]): string | null {
  for (let i = recent.length - 1; i >= 0; i--) {
    const obj = BUILDING.exec(recent[i]!)?.groups?.obj;
    if (obj !== undefined) return obj;
  }
  return null;
}
