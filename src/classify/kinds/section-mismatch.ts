/**
 * section-mismatch: modpost's old `vmlinux.o(.text+0x..): Section mismatch in reference from the
 * function foo() to the function .init.text:bar()` and ≥ 6.0's `vmlinux.o: section mismatch in
 * reference: foo (section: .text) -> bar (section: .init.text)`; error when modpost made them fatal.
 */
import { defineUnit, draft } from '../unit.js';
import { parseModpost } from './modpost.js';

interface State {
  /** modpost said "Section mismatches detected" as ERROR/FATAL. */
  fatal: string | null;
}

const NEW =
  /^(?<mod>\S+?): section mismatch in reference: (?<from>\S+) \(section: (?<fromsec>[^)]+)\) -> (?<to>\S+) \(section: (?<tosec>[^)]+)\)$/;
const EXPORT = /^(?<mod>\S+?): EXPORT_SYMBOL used for init\/exit symbol: (?<to>\S+) \(section: (?<tosec>[^)]+)\)$/;
const OLD =
  /^(?<mod>[^\s(]+)\((?<sec>[^)]*)\): Section mismatch in reference from the (?:\S+ )?(?<from>.*?) to the (?:\S+ )?(?<to>.*?)$/;
const SUMMARY = /^Found \d+ section mismatch\(es\)\.?$/;
const FATAL = /^Section mismatches detected\.?/;

const symbolOf = (s: string): string =>
  s
    .replace(/^.*:/, '') // .init.text:bar() -> bar()
    .replace(/\(\)$/, '')
    .replace(/\+0x[0-9a-fA-F]+$/, '');

/** Unit recognising section mismatches; symbol = referenced symbol, module = vmlinux.o or module. */
export const sectionMismatch = defineUnit<State>({
  kind: 'section-mismatch',
  stage: 'modpost',
  infra: false,
  init: () => ({ fatal: null }),
  match(line, st, ctx) {
    const p = parseModpost(line);
    if (!p) return null;
    if (SUMMARY.test(p.message)) return { draft: null };
    if (FATAL.test(p.message)) {
      if (p.severity === 'error') st.fatal = p.message;
      return { draft: null };
    }
    const m = NEW.exec(p.message) ?? EXPORT.exec(p.message) ?? OLD.exec(p.message);
    if (!m?.groups) return null;
    return {
      draft: draft('section-mismatch', 'warning', p.message, {
        symbol: symbolOf(m.groups.to!),
        module: ctx.rel(m.groups.mod!),
      }),
    };
  },
  finish(st, found) {
    if (st.fatal === null) return [];
    let any = false;
    for (const d of found) {
      if (d.kind !== 'section-mismatch') continue;
      d.severity = 'error';
      any = true;
    }
    return any ? [] : [draft('section-mismatch', 'error', st.fatal)];
  },
});
