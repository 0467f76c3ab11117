/** objtool: `file.o: warning|error: objtool: func+0x12: message` (per object, or on vmlinux.o). */
import { defineUnit, draft } from '../unit.js';

const RE = /^(?:(?<obj>[^\s:]+?): )?(?<lvl>warning|error): objtool(?: \[[^\]]*\])?: (?<msg>.+)$/;
const FUNC = /^(?<sym>[\w.$]+)(?:\(\))?(?:\+0x[0-9a-fA-F]+)?: /;

/** Unit recognising objtool's findings; file is the object, symbol the function it names. */
export const objtool = defineUnit({
  kind: 'objtool',
  stage: 'compile',
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    if (!line.includes('objtool')) return null;
    const m = RE.exec(line);
    if (!m?.groups) return null;
    const msg = m.groups.msg!.trim();
    const sym = FUNC.exec(msg)?.groups?.sym ?? null;
    return {
      draft: draft('objtool', m.groups.lvl === 'error' ? 'error' : 'warning', msg, {
        file: m.groups.obj === undefined ? null : ctx.rel(m.groups.obj),
        symbol: sym,
      }),
    };
  },
});
