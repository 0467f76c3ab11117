/**
 * modpost-undefined: `ERROR|WARNING: [modpost: ]"sym" [dir/m.ko] undefined!` (ppc64 ELFv1 names the
 * function descriptor `".sym"`; reported as `sym`), and modpost's count of the ones it did not print
 * (`suppressed N unresolved symbol warnings because there were too many)`).
 */
import { defineUnit, draft } from '../unit.js';
import { parseModpost } from './modpost.js';

const RE = /^"(?<sym>[^"]+)" \[(?<mod>[^\]]+)\] undefined!(?: \(suppressed \d+\))?$/;
const SUPPRESSED = /^suppressed \d+ unresolved symbol warnings\b/;

/** Unit recognising symbols a module needs that nothing exports; symbol + module set. */
export const modpostUndefined = defineUnit({
  kind: 'modpost-undefined',
  stage: 'modpost',
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    const p = parseModpost(line);
    if (!p) return null;
    if (SUPPRESSED.test(p.message)) return { draft: draft('modpost-undefined', p.severity, p.message) };
    const m = RE.exec(p.message);
    if (!m?.groups) return null;
    return {
      draft: draft('modpost-undefined', p.severity, p.message, {
        symbol: m.groups.sym!.replace(/^\.(?=[A-Za-z_])/, ''),
        module: ctx.rel(m.groups.mod!),
      }),
    };
  },
});
