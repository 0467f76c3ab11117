/**
 * dtc, the device tree compiler (matched by the compile-error unit, kinds compile-error/-warning): `Error: FILE:L.C-C2 syntax error`,
 * checks `FILE:L.C-L2.C2: ERROR (check): msg` / `: Warning (check): msg`, and the closing
 * `FATAL ERROR: msg`, a summary reported only when nothing else explains the failure (its file is
 * make's failing target, the .dtb).
 */
import { draft, int, type Hit, type LineContext } from '../unit.js';
import { followMakeTarget } from './make.js';

/** dtc's location: `file:line.col`, then `-col2` or `-line2.col2`. */
const AT = String.raw`(?<file>[^\s:][^:]*?):(?<line>\d+)\.(?<col>\d+)(?:-\d+(?:\.\d+)?)?`;
const PARSE = new RegExp(`^Error: ${AT}:? (?<msg>.+)$`);
const CHECK = new RegExp(`^${AT}: (?<lvl>ERROR|Warning) (?<msg>\\([\\w-]+\\): .+)$`);
const FATAL = /^FATAL ERROR: (?<msg>.+)$/;

/** Recognise one of dtc's error or warning lines on .dts/.dtsi sources, or null. */
export function matchDtc(line: string, ctx: LineContext): Hit | null {
    const m = PARSE.exec(line) ?? CHECK.exec(line);
    if (m?.groups) {
      const warning = m.groups.lvl === 'Warning';
      const at = { file: ctx.rel(m.groups.file!), line: int(m.groups.line), column: int(m.groups.col) };
      return { draft: draft(warning ? 'compile-warning' : 'compile-error', warning ? 'warning' : 'error', m.groups.msg!.trim(), at) };
    }
    const f = FATAL.exec(line);
    if (!f?.groups) return null;
    return { draft: draft('compile-error', 'error', `FATAL ERROR: ${f.groups.msg!.trim()}`), follow: followMakeTarget, fallback: true };
}
