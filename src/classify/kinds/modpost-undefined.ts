/** modpost-undefined: `ERROR: [modpost: ]"sym" [dir/m.ko] undefined!` (and the WARNING variant). */
import { defineUnit, draft } from '../unit.js';
import { parseModpost } from './modpost.js';

const RE = /^"(?<sym>[^"]+)" \[(?<mod>[^\]]+)\] undefined!$/;

/** Unit recognising symbols a module needs that nothing exports; symbol + module set. */
export const modpostUndefined = defineUnit({
  kind: 'modpost-undefined',
  init: () => null,
  match(line, _st, ctx) {
    const p = parseModpost(line);
    if (!p) return null;
    const m = RE.exec(p.message);
    if (!m?.groups) return null;
    return {
      draft: draft('modpost-undefined', p.severity, p.message, {
        symbol: m.groups.sym!,
        module: ctx.rel(m.groups.mod!),
      }),
    };
  },
});
