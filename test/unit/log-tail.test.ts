import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTail } from '../../src/runtime/log-tail.js';

describe('readTail (the one reader of a log file end, for the runtimes and the build stage)', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kmx-tail-')), 'log');
  writeFileSync(file, '0123456789');

  it('reads the last maxBytes of a file, or all of a shorter one', () => {
    expect(readTail(file, 4)).toBe('6789');
    expect(readTail(file, 100)).toBe('0123456789');
  });

  it('reads from byte `from` (what a command appended), still at most maxBytes', () => {
    expect(readTail(file, 100, 7)).toBe('789');
    expect(readTail(file, 2, 3)).toBe('89');
    expect(readTail(file, 100, 10)).toBe('');
    expect(readTail(file, 100, 20)).toBe('');
  });

  it('is empty for a missing file or an empty one', () => {
    expect(readTail(join(tmpdir(), 'kmx-no-such-log'), 10)).toBe('');
    const empty = join(mkdtempSync(join(tmpdir(), 'kmx-tail-')), 'log');
    writeFileSync(empty, '');
    expect(readTail(empty, 10)).toBe('');
  });
});
