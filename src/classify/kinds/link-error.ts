/**
 * link-error: the linker gave up for another reason than an undefined symbol — GNU ld's `final link
 * failed: bad value` (a full disk is infra) and `cannot find -lfoo`, ld.lld's other `error:` lines.
 * The drivers' summaries (`collect2: error: ld returned 1 exit status`, clang's `linker command
 * failed with exit code 1`) are reported only when nothing else explains the failure.
 */
import { defineUnit, draft } from '../unit.js';
import { followMakeTarget } from './make.js';

const GNU = /^\S*ld(?:\.bfd|\.gold)?: (?<msg>final link failed: .+|cannot find .+)$/;
const LLD = /^\S*ld\.lld: error: (?!undefined symbol: )(?<msg>.+)$/;
const DRIVER = /^(?:collect2|\S*clang(?:-\d+)?|\S*gcc(?:-\d+)?): error: (?<msg>ld returned \d+ exit status|linker command failed with exit code \d+)/;

/** Unit recognising a failed link; a cause ld printed before it (an undefined symbol) is its own diagnostic. */
export const linkError = defineUnit({
  kind: 'link-error',
  stage: 'link',
  infra: false,
  init: () => null,
  match(line) {
    if (!line.includes('ld') && !line.includes('link')) return null;
    const m = GNU.exec(line) ?? LLD.exec(line);
    if (m?.groups) return { draft: draft('link-error', 'error', m.groups.msg!.trim()) };
    const d = DRIVER.exec(line);
    if (!d?.groups) return null;
    return { draft: draft('link-error', 'error', d.groups.msg!), follow: followMakeTarget, fallback: true };
  },
});
