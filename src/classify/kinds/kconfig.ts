/**
 * kconfig: the configuration step itself failed. Its parser's `FILE:LINE: syntax error` (and the
 * other messages of scripts/kconfig/parser.y on a `Kconfig*` file, `FILE:LINE:error: recursive
 * dependency detected!`), conf's `*** Can't find default configuration "arch/arm/configs/x_defconfig"!`
 * and `*** Configuration file ".config" not found!`, and conf's summaries `*** Error during
 * writing|sync|update of the configuration.` (reported only when nothing more specific explains the
 * failure, with make's failing target as file). Without this unit these were a bare make-error.
 * The parser's first error in a file is the cause: the lines it cascades into in that file (more
 * `invalid statement`s, `unknown statement "help-text-word"`, `ignoring unsupported character`)
 * are consumed without a diagnostic.
 */
import { defineUnit, draft, int } from '../unit.js';
import { followMakeTarget } from './make.js';

/** A Kconfig source's line: `drivers/foo/Kconfig:12: syntax error`, `Kconfig:3:error: ...`, `Kconfig.debug:9:warning: ...`. */
const PARSER = /^(?<file>(?:[^\s:]*\/)?Kconfig(?:[.\w-]*)):(?<line>\d+):(?: ?(?<lvl>error|warning):)? ?(?<msg>\S.*)$/;
const NO_DEFCONFIG = /^\*\*\* (?<msg>Can't find default configuration "(?<file>[^"]+)"!)$/;
const NO_CONFIG = /^\*\*\* (?<msg>Configuration file "(?<file>[^"]+)" not found!)$/;
const DURING = /^\*\*\* (?<msg>Error during (?:writing|sync|update) of the configuration\.)$/;

interface State {
  /** Kconfig files whose parse already failed (bounded). */
  failed: Set<string>;
}

/** Unit recognising a failed configuration step; file is the Kconfig source, the defconfig or make's target. */
export const kconfig = defineUnit<State>({
  kind: 'kconfig',
  stage: 'kconfig',
  infra: false,
  init: () => ({ failed: new Set() }),
  match(line, st, ctx) {
    if (line.startsWith('***')) {
      const m = NO_DEFCONFIG.exec(line) ?? NO_CONFIG.exec(line);
      if (m?.groups) return { draft: draft('kconfig', 'error', m.groups.msg!, { file: ctx.rel(m.groups.file!) }) };
      const d = DURING.exec(line);
      if (!d?.groups) return null;
      return { draft: draft('kconfig', 'error', d.groups.msg!), follow: followMakeTarget, fallback: true };
    }
    if (!line.includes('Kconfig')) return null;
    const p = PARSER.exec(line);
    if (!p?.groups) return null;
    const file = ctx.rel(p.groups.file!);
    if (st.failed.has(file)) return { draft: null };
    const severity = p.groups.lvl === 'warning' ? 'warning' : 'error';
    if (severity === 'error' && st.failed.size < 64) st.failed.add(file);
    return { draft: draft('kconfig', severity, p.groups.msg!.trim(), { file, line: int(p.groups.line) }) };
  },
});
