/** modpost-other: any other `ERROR|WARNING|FATAL: modpost: ...` line (FATAL ones stop modpost). */
import { defineUnit, draft } from '../unit.js';
import { parseModpost } from './modpost.js';

/** `[dir/m.ko]` anywhere, or a leading `dir/m: ` / `dir/m.o: ` (file2alias and ELF checks name the module so). */
function moduleOf(message: string): string | null {
  const bracket = /\[(?<mod>[^\]\s]+\.ko)\]/.exec(message)?.groups?.mod;
  if (bracket !== undefined) return bracket;
  const lead = /^(?<mod>[\w.-]+(?:\/[\w.-]+)+|vmlinux(?:\.o)?): /.exec(message)?.groups?.mod;
  if (lead === undefined) return null;
  return lead.startsWith('vmlinux') ? lead : lead.replace(/(?:\.o)?$/, '.ko');
}

/** Unit catching the remaining modpost diagnostics; module set when the line names one. */
export const modpostOther = defineUnit({
  kind: 'modpost-other',
  stage: 'modpost',
  infra: false,
  init: () => null,
  match(line, _st, ctx) {
    const p = parseModpost(line);
    if (!p?.tagged) return null;
    const mod = moduleOf(p.message);
    return { draft: draft('modpost-other', p.severity, p.message, { module: mod === null ? null : ctx.rel(mod) }) };
  },
});
