/**
 * link-error: the linker gave up for another reason than an undefined symbol — GNU ld's `final link
 * failed: bad value` (a full disk is infra) and `cannot find -lfoo`, ld.lld's other `error:` lines
 * (any version suffix: `ld.lld-17:`), GNU ld's `multiple definition of 'sym'; obj2:...: first defined
 * here` (alone, or after `ld: obj: in function 'f':`; symbol set, both objects in the message, the
 * second definer as file) and ld.lld's `duplicate symbol: sym`.
 * The drivers' summaries (`collect2: error: ld returned 1 exit status`, clang's `linker command
 * failed with exit code 1`) are reported only when nothing else explains the failure.
 */
import { defineUnit, draft, type LineContext } from '../unit.js';
import { parseLdInFunction } from './link-undefined.js';
import { followMakeTarget } from './make.js';

const GNU = /^\S*ld(?:\.bfd|\.gold)?(?:-\d+(?:\.\d+)*)?: (?<msg>final link failed: .+|cannot find .+)$/;
const LLD = /^\S*ld\.lld(?:-\d+(?:\.\d+)*)?: error: (?!undefined symbol: )(?<msg>.+)$/;
const LD_TOOL = String.raw`(?:\S*ld(?:\.bfd|\.gold)?(?:-\d+(?:\.\d+)*)?: )?`;
const MULTIPLE = new RegExp(`^${LD_TOOL}(?<where>.*?):? ?multiple definition of [\`'‘"](?<sym>[^'’"]+)['’"](?:; (?<first>.*?):? ?first defined here)?$`);
/** An object (or an archive member) at the start of ld's location: `a/b.o:(.data+0x0)`, `a/b.o:/abs/b.c:2`, `x.a(b.o):...`. */
const OBJECT = /^(?<obj>[^\s:;()]+\.o|[^\s:;()]+\.a\([^)\s]+\.o\))(?::|$)/;
const DUPLICATE = /^duplicate symbol: (?<sym>.+)$/;

interface State {
  /** Object named by the last `ld: obj: in function 'f':` line. */
  object: string | null;
}

/** A multiple definition: symbol, the second definer (file) and the first one, both objects in the message. */
function multiple(m: RegExpExecArray, st: State, ctx: LineContext) {
  const g = m.groups!;
  const here = OBJECT.exec(g.where!)?.groups?.obj;
  const file = here === undefined ? st.object : ctx.rel(here);
  const firstObj = g.first === undefined ? undefined : OBJECT.exec(g.first)?.groups?.obj;
  const first = firstObj === undefined ? '' : `; first defined in ${ctx.rel(firstObj)}`;
  return draft('link-error', 'error', `multiple definition of \`${g.sym!}'${first}`, { file, symbol: g.sym! });
}
const DRIVER = /^(?:collect2|\S*clang(?:-\d+)?|\S*gcc(?:-\d+)?): error: (?<msg>ld returned \d+ exit status|linker command failed with exit code \d+)/;

/** Unit recognising a failed link; a cause ld printed before it (an undefined symbol) is its own diagnostic. */
export const linkError = defineUnit<State>({
  kind: 'link-error',
  stage: 'link',
  infra: false,
  init: () => ({ object: null }),
  observe(line, st, ctx) {
    const f = parseLdInFunction(line);
    if (f !== null) st.object = ctx.rel(f.obj);
  },
  match(line, st, ctx) {
    if (line.includes('multiple definition of')) {
      const md = MULTIPLE.exec(line);
      if (md?.groups) return { draft: multiple(md, st, ctx) };
    }
    if (!line.includes('ld') && !line.includes('link')) return null;
    const m = GNU.exec(line) ?? LLD.exec(line);
    if (m?.groups) {
      const msg = m.groups.msg!.trim();
      const sym = DUPLICATE.exec(msg)?.groups?.sym ?? null;
      return { draft: draft('link-error', 'error', msg, { symbol: sym }) };
    }
    const d = DRIVER.exec(line);
    if (!d?.groups) return null;
    return { draft: draft('link-error', 'error', d.groups.msg!), follow: followMakeTarget, fallback: true };
  },
});
