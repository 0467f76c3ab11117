/** Build-log classifier: streaming entry points over the per-kind units in ./kinds/. */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Diagnostic } from '../types.js';
import { LogClassifier, type ClassifyOptions } from './classifier.js';

export { LogClassifier, type ClassifyOptions } from './classifier.js';
export { buildStatus, type StatusInput } from './status.js';
export { fingerprint, normaliseMessage } from './fingerprint.js';
export { relativePath, KERNEL_TOP_DIRS } from './paths.js';
export { KIND_UNITS } from './kinds/index.js';

function isNodeStream(x: unknown): x is NodeJS.ReadableStream {
  return typeof x === 'object' && x !== null && typeof (x as NodeJS.ReadableStream).pipe === 'function';
}

async function* streamLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let failure: unknown = null;
  const onError = (e: unknown): void => {
    failure = e;
    rl.close();
  };
  input.on('error', onError);
  try {
    for await (const line of rl) yield line;
  } finally {
    input.off('error', onError);
    rl.close();
  }
  if (failure !== null) throw failure;
}

/**
 * Classify a log read line by line (never held whole in memory). A Node stream is split with
 * node:readline; any other AsyncIterable<string> yields lines (items containing newlines are split).
 */
export async function classifyStream(
  input: NodeJS.ReadableStream | AsyncIterable<string>,
  opts: ClassifyOptions = {},
): Promise<Diagnostic[]> {
  const c = new LogClassifier(opts);
  if (isNodeStream(input)) {
    for await (const line of streamLines(input)) c.push(line);
  } else {
    for await (const item of input) {
      if (item.includes('\n')) {
        const parts = item.split('\n');
        if (parts[parts.length - 1] === '') parts.pop();
        for (const p of parts) c.push(p);
      } else c.push(item);
    }
  }
  return c.finish();
}

/** Classify a log file; gzip-compressed logs (by magic bytes, e.g. `.gz`) are decompressed on the fly. */
export async function classifyFile(path: string, opts: ClassifyOptions = {}): Promise<Diagnostic[]> {
  const fh = await open(path, 'r');
  let gz: boolean;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    gz = bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await fh.close();
  }
  const src = createReadStream(path);
  const input: NodeJS.ReadableStream = gz ? pipeline(src, createGunzip(), () => {}) : src;
  return classifyStream(input, opts);
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
