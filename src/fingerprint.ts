/** Stable identity of a diagnostic across line shifts, worktree locations and quote styles. */
import { createHash } from 'node:crypto';
import type { DiagnosticKind } from './types.js';
import { relativiseText } from './tree-paths.js';

/** Normalise a message for fingerprinting: quotes unified, paths relative, numbers of lines/offsets dropped. */
export function normaliseMessage(message: string, roots: readonly string[] = []): string {
  return relativiseText(
    message
      // every quote style gcc/ld/modpost use (locale dependent) becomes a plain '
      .replace(/[‘’`´“”"]/g, "'"),
    roots,
  )
    .replace(/\+0x[0-9a-fA-F]+(?:\/0x[0-9a-fA-F]+)?/g, '') // section offsets (.text+0x1a4)
    .replace(/\b0x[0-9a-fA-F]+\b/g, '0x') // raw addresses
    .replace(/:\d+(?::\d+)?(?=[:\s)\]'],?|$)/g, '') // file:line[:col] references
    .replace(/\bmake\[\d+\]/g, 'make') // recursion depth of make
    .replace(/\s+/g, ' ')
    .trim();
}

/** The fields a fingerprint is computed over. */
export interface FingerprintInput {
  kind: DiagnosticKind;
  file: string | null;
  message: string;
  symbol: string | null;
  module: string | null;
}

/** Default fingerprint: first 16 hex chars of sha1(kind, file, normalised message, symbol, module). */
export function fingerprint(d: FingerprintInput, roots: readonly string[] = []): string {
  const h = createHash('sha1');
  for (const part of [d.kind, d.file ?? '', normaliseMessage(d.message, roots), d.symbol ?? '', d.module ?? '']) {
    h.update(part);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}
