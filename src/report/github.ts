/** GitHub Actions workflow annotations for diagnostics (pure rendering). */
import type { Diagnostic } from '../types.js';

/** Escape a workflow command's message as GitHub's runner expects (`%`, CR, LF). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow command's property value (`%`, CR, LF, `:` and `,`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error file=…,line=…,col=…,title=…::message` (or `::warning`) line per diagnostic. */
export function renderGithubAnnotations(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const props: string[] = [];
      if (d.file !== null) props.push(`file=${escapeProperty(d.file)}`);
      if (d.file !== null && d.line !== null) props.push(`line=${d.line}`);
      if (d.file !== null && d.line !== null && d.column !== null) props.push(`col=${d.column}`);
      const about = d.symbol ?? d.module;
      props.push(`title=${escapeProperty(`kmatrix ${d.kind}${about !== null ? ` ${about}` : ''}`)}`);
      return `::${d.severity} ${props.join(',')}::${escapeData(d.message)}\n`;
    })
    .join('');
}
