/**
 * objtool: `file.o: warning|error: objtool: func+0x12: message` (per object, or on vmlinux.o). Its
 * own failures (`error: objtool: --unret requires --link`) name no file: the object being built
 * is taken from kbuild's last `CC` line, corrected by make's failing target.
 */
import { defineUnit, draft } from '../unit.js';
import { followMakeTarget, objectBeingBuilt } from './make.js';

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
    const severity = m.groups.lvl === 'error' ? 'error' : 'warning';
    if (m.groups.obj !== undefined) return { draft: draft('objtool', severity, msg, { file: ctx.rel(m.groups.obj), symbol: sym }) };
    const obj = objectBeingBuilt(ctx.recent);
    const d = draft('objtool', severity, msg, { file: obj === null ? null : ctx.rel(obj), symbol: sym });
    return severity === 'error' ? { draft: d, follow: followMakeTarget } : { draft: d };
  },
});
