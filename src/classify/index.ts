/** Build-log classifier: streaming entry points over the per-kind units in ./kinds/. */
import type { Diagnostic } from '../types.js';
import { LogClassifier, MAX_LINE, type ClassifyOptions, type Located } from './classifier.js';
import { openLog } from './decode.js';
import { splitLines } from './lines.js';

export { LogClassifier, type ClassifyOptions } from './classifier.js';
export { buildStatus, type StatusInput } from './status.js';
export { fingerprint, normaliseMessage } from '../fingerprint.js';
export { relativePath, KERNEL_TOP_DIRS } from '../tree-paths.js';
export { KIND_UNITS, KIND_INFO, INFRA_KINDS, KIND_STAGE, STAGE_ORDER } from './kinds/index.js';
export type { Located } from './classifier.js';
export { decodeLog, openLog } from './decode.js';

/**
 * Classify a log read piece by piece (never held whole in memory): a Node stream or any
 * AsyncIterable of Buffers or strings, split into lines here (each capped at MAX_LINE).
 */
export async function classifyStream(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  opts: ClassifyOptions = {},
): Promise<Diagnostic[]> {
  return (await classifyStreamLocated(input, opts)).map((l) => l.diagnostic);
}

/** classifyStream, each diagnostic with the log line it started on. */
export async function classifyStreamLocated(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  opts: ClassifyOptions = {},
): Promise<Located[]> {
  const c = new LogClassifier(opts);
  for await (const line of splitLines(input as AsyncIterable<Buffer | string>, MAX_LINE)) c.push(line);
  return c.finishLocated();
}

/** Classify a log file (`-`: standard input); gzip and xz logs (by magic bytes) are decompressed on the fly. */
export async function classifyFile(path: string, opts: ClassifyOptions = {}): Promise<Diagnostic[]> {
  return classifyStream(await openLog(path), opts);
}

/** Classify a whole log held in a string (tests, small logs). */
export function classifyText(text: string, opts: ClassifyOptions = {}): Diagnostic[] {
  const c = new LogClassifier(opts);
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      if (start < text.length) c.push(text.slice(start));
      break;
    }
    c.push(text.slice(start, nl));
    start = nl + 1;
  }
  return c.finish();
}
