/**
 * infra: the machine, not the code, failed the build: a full disk or an exhausted quota, whatever
 * tool says it (`ld: final link failed: No space left on device`, `cc1: fatal error: ...: No space
 * left on device`, a shell's `cannot create`). One diagnostic per log, like kmatrix's own check.
 */
import { fingerprint } from '../../fingerprint.js';
import { defineUnit, draft, type Draft } from '../unit.js';

/** What any tool prints when the disk (or the quota) is full. */
export const DISK_FULL = /No space left on device|Disk quota exceeded/;

/** The diagnostic of a log without a single non-blank line (a log not captured is never PASS). */
export function emptyLogDraft(): Draft {
  return draft('infra', 'error', 'empty log: nothing to classify (the build output was not captured)');
}

/** Unit recognising a full disk in any tool's words (infrastructure: the build is ERROR). */
export const infra = defineUnit({
  kind: 'infra',
  stage: 'infra',
  infra: true,
  init: () => null,
  match(line) {
    if (!DISK_FULL.test(line)) return null;
    return { draft: draft('infra', 'error', `disk full: ${line.trim()}`) };
  },
  // The same identity as `run`'s own disk check, so the two collapse into one.
  fingerprint: (d) => fingerprint({ ...d, message: d.message.startsWith('disk full') ? 'disk full' : d.message }, []),
});
