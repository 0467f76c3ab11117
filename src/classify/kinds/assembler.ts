/**
 * assembler: GNU as `FILE:NN: Error|Warning: msg` after `FILE: Assembler messages:`. When FILE is the
 * compiler's temporary (`/tmp/ccX.s`, `{standard input}`) the error is attributed to the object being
 * built: the last kbuild `CC`/`AS` line, corrected by make's failing target when it follows. The
 * same complaint about the same instruction with other operands (`ldrex r2,[r3]`, `ldrex r3,[r9]`)
 * is one error: the first line's message is kept.
 */
import { defaultFingerprint, defineUnit, draft, int } from '../unit.js';
import { followMakeTarget, objectBeingBuilt } from './make.js';

const GAS = /^(?<file>\{standard input\}|[^\s:][^:]*?):(?<line>\d+): (?<lvl>Error|Warning): (?<msg>.*)$/;
const HEADER = /^(?:\{standard input\}|[^\s:][^:]*?): Assembler messages:$/;
const TEMP = /^(?:\{standard input\}|<[^>]*>|\/tmp\/.*|.*\/cc[\w]{6}\.s)$/;

/** Unit recognising assembler errors and warnings. */
export const assembler = defineUnit({
  kind: 'assembler',
  stage: 'compile',
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    if (!line.includes('Error: ') && !line.includes('Warning: ') && !line.endsWith('Assembler messages:')) return null;
    if (HEADER.test(line)) return { draft: null };
    const m = GAS.exec(line);
    if (!m?.groups) return null;
    const severity = m.groups.lvl === 'Error' ? 'error' : 'warning';
    const msg = m.groups.msg!.trim();
    if (!TEMP.test(m.groups.file!)) {
      return { draft: draft('assembler', severity, msg, { file: ctx.rel(m.groups.file!), line: int(m.groups.line) }) };
    }
    const obj = objectBeingBuilt(ctx.recent);
    const d = draft('assembler', severity, msg, { file: obj === null ? null : ctx.rel(obj) });
    // Only an error fails the object, so only then is make's next failing target this object.
    return severity === 'error' ? { draft: d, follow: followMakeTarget } : { draft: d };
  },
  fingerprint: (d, roots) => defaultFingerprint({ ...d, message: d.message.replace(/[`'‘](\S+)[^`'‘’]*['’]/g, "'$1'") }, roots),
});
