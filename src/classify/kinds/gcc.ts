/** Shared parsing of gcc-style `path:line:col: severity: message` lines (compile-error/-warning). */
import { draft, int, type KindUnit, type LineContext } from '../unit.js';

/** One parsed gcc/gas diagnostic line. */
export interface GccLine {
  file: string | null;
  line: number | null;
  column: number | null;
  level: 'error' | 'warning';
  message: string;
}

const LOCATED =
  /^(?<file>[^\s:][^:]*?):(?<line>\d+):(?:(?<col>\d+):)? (?<lvl>fatal error|error|warning|Error|Warning): (?<msg>.*)$/;
const TOOL = /^(?<tool>cc1(?:plus)?|\S*gcc(?:-\d+)?|\S*clang(?:-\d+)?|\S*-as|as): (?<lvl>fatal error|error|warning): (?<msg>.*)$/;
const IN_FUNCTION = /^(?<file>[^\s:][^:]*?): In (?:member |static )?function [‘'`](?<fn>[^’'`]+)[’'`]:$/;
const AT_TOP = /^(?<file>[^\s:][^:]*?): At top level:$/;

/** Parse a gcc/gas diagnostic line, or null (notes and everything else). */
export function parseGccLine(line: string, ctx: LineContext): GccLine | null {
  const m = LOCATED.exec(line) ?? TOOL.exec(line);
  if (!m?.groups) return null;
  const g = m.groups;
  const rawFile = g.file;
  const file = rawFile === undefined || rawFile.startsWith('{') ? null : ctx.rel(rawFile);
  return {
    file,
    line: int(g.line),
    column: int(g.col),
    level: g.lvl!.toLowerCase().endsWith('error') ? 'error' : 'warning',
    message: g.lvl!.startsWith('fatal') ? `fatal error: ${g.msg!.trim()}` : g.msg!.trim(),
  };
}

/** Per-log memory of gcc's "file: In function 'x':" context, bounded. */
export interface FunctionContext {
  byFile: Map<string, string | null>;
}

/** Fresh function context. */
export function newFunctionContext(): FunctionContext {
  return { byFile: new Map() };
}

/** Track "In function" / "At top level" lines. */
export function observeFunction(line: string, st: FunctionContext, ctx: LineContext): void {
  if (!line.includes(': ')) return;
  const m = IN_FUNCTION.exec(line) ?? AT_TOP.exec(line);
  if (!m?.groups) return;
  const file = ctx.rel(m.groups.file!);
  if (/\.(?:o|a)$|\)$/.test(file)) return; // ld's "foo.o: in function" is not gcc's
  st.byFile.delete(file);
  st.byFile.set(file, m.groups.fn ?? null);
  if (st.byFile.size > 16) st.byFile.delete(st.byFile.keys().next().value!);
}

/** The unit of gcc/gas lines of one level: `path:line:col: error|warning: msg`, symbol = the enclosing function. */
export function gccUnit(kind: 'compile-error' | 'compile-warning'): KindUnit<FunctionContext> {
  const level = kind === 'compile-error' ? 'error' : 'warning';
  return {
    kind,
    stage: 'compile',
    infra: false,
    init: newFunctionContext,
    observe: observeFunction,
    match(line, st, ctx) {
      const p = parseGccLine(line, ctx);
      if (!p || p.level !== level) return null;
      const fn = p.file === null ? null : (st.byFile.get(p.file) ?? null);
      return { draft: draft(kind, level, p.message, { file: p.file, line: p.line, column: p.column, symbol: fn }) };
    },
  };
}
