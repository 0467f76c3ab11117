/** link-undefined: ld's `undefined reference to 'sym'` (GNU ld) and ld.lld's `undefined symbol: sym`. */
import { defineUnit, draft, int, type Draft } from '../unit.js';

interface State {
  /** Object named by the last `ld: foo.o: in function 'bar':` line. */
  object: string | null;
}

const LD_PREFIX = String.raw`(?:\S*ld(?:\.bfd|\.gold)?: )?`;
const IN_FUNCTION = new RegExp(`^${LD_PREFIX}(?<obj>\\S+): [Ii]n function [\`'‘](?<fn>.+?)['’]:$`);
const UNDEFINED = new RegExp(
  `^${LD_PREFIX}(?:(?<file>[^\\s:][^:]*?):(?:(?<line>\\d+):)?\\(\\S+?\\): )?undefined reference to [\`'‘"](?<sym>.+?)['’"]$`,
);
const LLD = /^\S*ld\.lld: error: undefined symbol: (?<sym>.+)$/;
const LLD_REF = /^>>> referenced by (?<base>\S+?)(?::(?<line>\d+))?(?: \((?<file>[^:)]+)(?::(?<line2>\d+))?\))?$/;

/** Unit recognising undefined references at link time. */
export const linkUndefined = defineUnit<State>({
  kind: 'link-undefined',
  init: () => ({ object: null }),
  observe(line, st, ctx) {
    if (!line.includes('unction')) return;
    const m = IN_FUNCTION.exec(line);
    if (m?.groups) st.object = ctx.rel(m.groups.obj!);
  },
  match(line, st, ctx) {
    if (line.includes('undefined reference')) {
      const m = UNDEFINED.exec(line);
      if (!m?.groups) return null;
      let file = m.groups.file === undefined ? null : ctx.rel(m.groups.file);
      // Without debug info ld names the source by basename only; take its directory from the object.
      if (file !== null && !file.includes('/') && st.object?.includes('/')) {
        const dir = st.object.slice(0, st.object.lastIndexOf('/') + 1);
        const stem = (s: string) => s.replace(/\.[^./]*$/, '');
        if (stem(st.object.slice(dir.length)) === stem(file)) file = dir + file;
      }
      if (file === null) file = st.object;
      const sym = m.groups.sym!;
      return {
        draft: draft('link-undefined', 'error', line.slice(line.indexOf('undefined reference')), {
          file,
          line: int(m.groups.line),
          symbol: sym,
        }),
      };
    }
    const l = LLD.exec(line);
    if (!l?.groups) return null;
    const sym = l.groups.sym!.trim();
    return {
      draft: draft('link-undefined', 'error', `undefined symbol: ${sym}`, { symbol: sym }),
      follow: {
        maxLines: 3,
        next(next: string, d: Draft, c): boolean {
          const r = LLD_REF.exec(next.trim());
          if (!r?.groups) return next.startsWith('>>>') ? false : true;
          d.file = c.rel(r.groups.file ?? r.groups.base!);
          d.line = int(r.groups.line2 ?? r.groups.line);
          return true;
        },
      },
    };
  },
});
