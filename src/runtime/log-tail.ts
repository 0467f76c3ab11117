/** Reading the end of a log file that a command appends to (one reader for the runtimes and the build stage). */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The text of `file` from byte `from` to its end, at most its last `maxBytes` bytes; '' if unreadable or nothing there. */
export function readTail(file: string, maxBytes: number, from = 0): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(from, size - maxBytes, 0);
    if (size <= start) return '';
    const buf = Buffer.alloc(size - start);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  } catch {
    return '';
  }
}
