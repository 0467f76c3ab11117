/**
 * killed: the build (or one of its tools) was stopped from outside — a signal sent to it (KILL, as
 * the OOM killer sends; TERM; INT; HUP), memory exhaustion, or kmatrix's build stage timing out
 * (`kmatrix: build timed out after N s`). Infrastructure: the build is ERROR.
 *
 * The rule: a process killed by the machine is `killed`; a process that crashed by itself (SEGV,
 * ABRT, BUS — make's `Error 139`/`134`/`135`, the shell's `Segmentation fault`) is a tool bug the
 * inputs trigger, reproducible on rerun, so it is `compiler-crash` (FAIL), see compiler-crash.ts.
 */
import { createHash } from 'node:crypto';
import { defineUnit, draft, type Draft } from '../unit.js';
import { followMakeTarget, parseMakeFailure } from './make.js';

const SIGNALS = 'Killed|Terminated|Interrupt|Hangup';
/** Exit codes 128+signal: HUP, INT, KILL, TERM. */
const SIGNAL_CODES = new Set([129, 130, 137, 143]);

const TIMEOUT = /^kmatrix: build timed out after \d+(?:\.\d+)? ?s\b/;
const BARE = new RegExp(`^(?:${SIGNALS})(?: \\(core dumped\\))?$`);
const SHELL = new RegExp(`^\\S*sh: (?:line )?\\d+: (?:\\d+ )?(?<sig>${SIGNALS})\\b(?: +\\(core dumped\\))?\\s*(?<cmd>\\S*)`);
const GCC_SIGNAL = /^(?<tool>\S+): fatal error: (?<sig>Killed|Terminated|Interrupt|Hangup) signal terminated program (?<prog>\S+)$/;
const OOM = /^(?:\S+: )?(?:out of memory allocating \d+ bytes|virtual memory exhausted)|^cc1\S*: out of memory/;

/** Unit recognising signals, OOM and timeouts (an infrastructure failure: the build is ERROR). */
export const killed = defineUnit({
  kind: 'killed',
  stage: 'infra',
  infra: true,
  init: () => null,
  match(line, _st, ctx) {
    if (TIMEOUT.test(line)) return { draft: draft('killed', 'error', line.trim()) };
    const f = parseMakeFailure(line);
    if (f) {
      const sig = new RegExp(`^(?:${SIGNALS})\\b`).test(f.what) || (f.code !== null && SIGNAL_CODES.has(f.code));
      return sig ? { draft: draft('killed', 'error', f.message, { file: ctx.rel(f.target) }) } : null;
    }
    if (BARE.test(line)) return { draft: draft('killed', 'error', line.trim()) };
    const g = GCC_SIGNAL.exec(line);
    if (g?.groups) {
      return { draft: draft('killed', 'error', line.slice(g.groups.tool!.length + 2).trim()), follow: followMakeTarget };
    }
    const s = SHELL.exec(line);
    if (s?.groups) {
      const cmd = s.groups.cmd ? s.groups.cmd.replace(/^.*\//, '') : null;
      return { draft: draft('killed', 'error', `${s.groups.sig}${cmd ? ` ${cmd}` : ''}`, { symbol: cmd }) };
    }
    if (OOM.test(line)) return { draft: draft('killed', 'error', line.trim()) };
    return null;
  },
  fingerprint: (d) => createHash('sha1').update(`killed\0${cause(d)}`).digest('hex').slice(0, 16),
});

/**
 * One signal reaches every recursive make (`*** [...] Terminated` at each level, then `Terminated`):
 * a killed build is identified by its cause alone, so the cascade collapses into one diagnostic.
 */
function cause(d: Draft): string {
  const m = d.message;
  if (TIMEOUT.test(m)) return 'timeout';
  if (/out of memory|memory exhausted/.test(m)) return 'oom';
  const sig = new RegExp(`(${SIGNALS})`).exec(m)?.[1];
  if (sig) return sig;
  const code = /Error (\d+)$/.exec(m)?.[1];
  return code ? `exit ${code}` : m;
}
