/**
 * link-undefined: GNU ld's `undefined reference to 'sym'` (after `ld: obj: in function 'f':`) and
 * ld.lld's `error: undefined symbol: sym` with its `>>> referenced by` lines. One diagnostic per
 * symbol: later references to the same symbol add their function to the first one's message.
 */
import { defaultFingerprint, defineUnit, draft, int, type Draft, type LineContext } from '../unit.js';

interface State {
  /** Object and function named by the last `ld: foo.o: in function 'bar':` line. */
  object: string | null;
  fn: string | null;
  /** The diagnostic of each symbol seen so far and the functions referencing it (bounded). */
  bySymbol: Map<string, { d: Draft; base: string; fns: string[] }>;
}

const MAX_SYMBOLS = 4096;
const MAX_FNS = 8;
const LD_PREFIX = String.raw`(?:\S*ld(?:\.bfd|\.gold)?: )?`;
const IN_FUNCTION = new RegExp(`^${LD_PREFIX}(?<obj>\\S+): [Ii]n function [\`'‘](?<fn>.+?)['’]:$`);
const UNDEFINED = new RegExp(
  `^${LD_PREFIX}(?:(?<file>[^\\s:(][^:]*?):(?:(?<line>\\d+):)?)?(?:\\(\\S+?\\):)? ?undefined reference to [\`'‘"](?<sym>.+?)['’"]$`,
);
const LLD = /^\S*ld\.lld(?:-\d+(?:\.\d+)*)?: error: undefined symbol: (?<sym>.+)$/;
const LLD_REF = /^>>> referenced by (?<base>\S+?)(?::(?<line>\d+))?(?: \((?<file>[^:)]+)(?::(?<line2>\d+))?\))?$/;
/** `>>>               mm/util.o:(func) in archive vmlinux.a`, or the object alone after `referenced by`. */
const LLD_OBJ = /^>>> +(?:referenced by )?(?<obj>\S+?):\((?<fn>[^)]+)\)(?: in archive \S+)?$/;
const SUFFIX = / \(referenced (?:by|in) [^)]*\)$/;

/** GNU ld's `ld: obj: in function 'fn':` line (the context of the next line), or null. */
export function parseLdInFunction(line: string): { obj: string; fn: string } | null {
  if (!line.includes('unction')) return null;
  const m = IN_FUNCTION.exec(line);
  return m?.groups ? { obj: m.groups.obj!, fn: m.groups.fn! } : null;
}

/** The message without the referencing functions, as the fingerprint sees it. */
const baseMessage = (m: string): string => m.replace(SUFFIX, '');

function withFunctions(base: string, fns: readonly string[]): string {
  return fns.length === 0 ? base : `${base} (referenced in ${fns.join(', ')})`;
}

/** Record a reference of a symbol; null when it only extended an earlier diagnostic. */
function reference(st: State, sym: string, fresh: Draft, fn: string | null): Draft | null {
  const seen = st.bySymbol.get(sym);
  if (seen !== undefined) {
    if (fn !== null && !seen.fns.includes(fn) && seen.fns.length < MAX_FNS) {
      seen.fns.push(fn);
      seen.d.message = withFunctions(seen.base, seen.fns);
    }
    if (seen.d.file === null) seen.d.file = fresh.file;
    return null;
  }
  const entry = { d: fresh, base: fresh.message, fns: fn === null ? [] : [fn] };
  fresh.message = withFunctions(entry.base, entry.fns);
  if (st.bySymbol.size < MAX_SYMBOLS) st.bySymbol.set(sym, entry);
  return fresh;
}

/** A source named by basename only (no debug info) gets its directory from the object it was built into. */
function besideObject(file: string | null, object: string | null): string | null {
  if (file === null || object === null || file.includes('/') || !object.includes('/')) return file;
  const dir = object.slice(0, object.lastIndexOf('/') + 1);
  const stem = (s: string) => s.replace(/\.[^./]*$/, '');
  return stem(object.slice(dir.length)) === stem(file) ? dir + file : file;
}

/** ld.lld's reference lines after `undefined symbol:`: file and line, then the object and function. */
function lldFollow(st: State, sym: string): { maxLines: number; next(line: string, d: Draft, c: LineContext): boolean } {
  let refs = 0;
  return {
    maxLines: 12,
    next(raw, d, c) {
      const next = raw.trim();
      if (!next.startsWith('>>>')) return true;
      const o = LLD_OBJ.exec(next);
      if (o?.groups) {
        const obj = c.rel(o.groups.obj!);
        d.file = refs <= 1 ? (besideObject(d.file, obj) ?? obj) : d.file;
        const entry = st.bySymbol.get(sym);
        if (entry !== undefined && entry.d === d && !entry.fns.includes(o.groups.fn!) && entry.fns.length < MAX_FNS) {
          entry.fns.push(o.groups.fn!);
          d.message = withFunctions(entry.base, entry.fns);
        }
        return false;
      }
      const r = LLD_REF.exec(next);
      if (r?.groups && ++refs === 1) {
        d.file = c.rel(r.groups.file ?? r.groups.base!);
        d.line = int(r.groups.line2 ?? r.groups.line);
      }
      return false; // `>>> referenced N more times` and further references: keep reading
    },
  };
}

/** Unit recognising undefined references at link time. */
export const linkUndefined = defineUnit<State>({
  kind: 'link-undefined',
  stage: 'link',
  infra: false,
  init: () => ({ object: null, fn: null, bySymbol: new Map() }),
  observe(line, st, ctx) {
    const m = parseLdInFunction(line);
    if (m !== null) {
      st.object = ctx.rel(m.obj);
      st.fn = m.fn;
    }
  },
  match(line, st, ctx) {
    if (line.includes('undefined reference')) {
      const m = UNDEFINED.exec(line);
      if (!m?.groups) return null;
      let file = besideObject(m.groups.file === undefined ? null : ctx.rel(m.groups.file), st.object);
      if (file === null) file = st.object;
      const sym = m.groups.sym!;
      const fresh = draft('link-undefined', 'error', line.slice(line.indexOf('undefined reference')), {
        file,
        line: int(m.groups.line),
        symbol: sym,
      });
      const d = reference(st, sym, fresh, st.fn);
      return { draft: d };
    }
    if (!line.includes('undefined symbol')) return null;
    const l = LLD.exec(line);
    if (!l?.groups) return null;
    const sym = l.groups.sym!.trim();
    const d = reference(st, sym, draft('link-undefined', 'error', `undefined symbol: ${sym}`, { symbol: sym }), null);
    return d === null ? { draft: null } : { draft: d, follow: lldFollow(st, sym) };
  },
  fingerprint: (d, roots) => defaultFingerprint({ ...d, message: baseMessage(d.message) }, roots),
});
