/** modpost-other: any other `ERROR|WARNING|FATAL: modpost: ...` line. */
import { defineUnit, draft } from '../unit.js';
import { parseModpost } from './modpost.js';

/** Unit catching the remaining modpost diagnostics; module set when the line names a `[x.ko]`. */
export const modpostOther = defineUnit({
  kind: 'modpost-other',
  stage: 'modpost',
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    const p = parseModpost(line);
    if (!p?.tagged) return null;
    const mod = /\[(?<mod>[^\]\s]+\.ko)\]/.exec(p.message)?.groups?.mod;
    return {
      draft: draft('modpost-other', p.severity, p.message, { module: mod === undefined ? null : ctx.rel(mod) }),
    };
  },
});
