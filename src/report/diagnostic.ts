/** One-line texts of diagnostics and cell names, shared by every renderer (pure). */
import type { Diagnostic } from '../types.js';

/** Short one-line text of a diagnostic: `v7wbi_flush_kern_tlb_range undefined in mm/zsmalloc.ko`, `file:line: message`. */
export function diagnosticLine(d: Diagnostic): string {
  if ((d.kind === 'modpost-undefined' || d.kind === 'link-undefined') && d.symbol) {
    return `${d.symbol} undefined${d.module ? ` in ${d.module}` : d.file ? ` in ${d.file}` : ''}`;
  }
  const where = d.file ? `${d.file}${d.line !== null ? `:${d.line}` : ''}: ` : d.module ? `${d.module}: ` : '';
  const msg = d.message.replace(/^(ERROR|WARNING): modpost: /, '');
  return `${where}${msg}`;
}

/** Cell names as shown in lists: the variant alone when every cell shown belongs to one config. */
export function cellLabels(all: readonly string[]): (cell: string) => string {
  const configs = new Set(all.map((c) => (c.includes('/') ? c.slice(0, c.indexOf('/')) : c)));
  const short = configs.size === 1 && all.every((c) => c.includes('/'));
  return (c) => (short ? c.slice(c.indexOf('/') + 1) : c);
}
