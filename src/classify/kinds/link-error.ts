/**
 * link-error: the linker gave up for another reason than an undefined symbol — GNU ld's
 * `ld: final link failed: bad value` (any `final link failed:` except a full disk, which is infra).
 */
import { defineUnit, draft } from '../unit.js';

const FINAL = /^(?<ld>\S*ld(?:\.bfd|\.gold)?): (?<msg>final link failed: .+)$/;

/** Unit recognising a failed final link; the cause ld printed before it, if any, is its own diagnostic. */
export const linkError = defineUnit({
  kind: 'link-error',
  stage: 'link',
  infra: false,
  init: () => null,
  match(line) {
    if (!line.includes('final link failed')) return null;
    const m = FINAL.exec(line);
    return m?.groups ? { draft: draft('link-error', 'error', m.groups.msg!.trim()) } : null;
  },
});
