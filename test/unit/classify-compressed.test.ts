import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildStatus, classifyFile, classifyText } from '../../src/classify/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/logs');
const LOG = readFileSync(join(FIXTURES, 'compile-error-zram.log'));

/** `program -c` of the failing log (the compressors are Debian packages on these machines). */
const via = (program: string) => (b: Buffer) => execFileSync(program, ['-c'], { input: b, maxBuffer: 64 << 20 });

describe('a failing log compressed in a way read as text would show nothing', () => {
  const expected = classifyText(LOG.toString('utf8'));
  const cases: [string, (b: Buffer) => Buffer][] = [
    ['gzip twice', (b) => gzipSync(gzipSync(b))],
    ['bzip2', via('bzip2')],
    ['zstd', via('zstd')],
    ['lz4', via('lz4')],
    ['xz inside gzip', (b) => gzipSync(via('xz')(b))],
  ];
  it.each(cases)('%s: decompressed, FAIL with the same diagnostics (never PASS)', async (_name, pack) => {
    expect(buildStatus({ diagnostics: expected, exitCode: 0, missingArtifacts: [] })).toBe('FAIL');
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-classify-z-')), 'build.log.z');
    writeFileSync(file, pack(LOG));
    expect(await classifyFile(file)).toEqual(expected);
  });
  it('a truncated bzip2 log is an error, not a PASS', async () => {
    const z = via('bzip2')(LOG);
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-classify-z-')), 'cut.bz2');
    writeFileSync(file, z.subarray(0, z.length >> 1));
    await expect(classifyFile(file)).rejects.toThrow(/bzip2/);
  });
  it('a text log that starts with "BZh" but no block size is read as text', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-classify-z-')), 'bzh.log');
    writeFileSync(file, Buffer.concat([Buffer.from('BZh: a line\n'), LOG]));
    expect(await classifyFile(file)).toEqual(expected);
  });
});

describe('a failing log in UTF-16 (PowerShell `>` and Out-File write UTF-16LE)', () => {
  const expected = classifyText(LOG.toString('utf8'));
  const le = (s: string) => Buffer.from(s, 'utf16le');
  const be = (s: string) => le(s).swap16();
  const cases: [string, Buffer][] = [
    ['UTF-16LE with its byte-order mark', le(`\ufeff${LOG.toString('utf8')}`)],
    ['UTF-16LE without a mark', le(LOG.toString('utf8'))],
    ['UTF-16BE with its byte-order mark', be(`\ufeff${LOG.toString('utf8')}`)],
    ['UTF-16LE, gzipped', gzipSync(le(`\ufeff${LOG.toString('utf8')}`))],
  ];
  it.each(cases)('%s: the same diagnostics as the UTF-8 log (FAIL, never PASS)', async (_name, bytes) => {
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-classify-16-')), 'build.log');
    writeFileSync(file, bytes);
    expect(await classifyFile(file)).toEqual(expected);
  });
  it('a file of NULs is still an empty log (ERROR), not text in UTF-16', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kmatrix-classify-16-')), 'zeros.log');
    writeFileSync(file, Buffer.alloc(4096));
    expect(buildStatus({ diagnostics: await classifyFile(file), exitCode: 0, missingArtifacts: [] })).toBe('ERROR');
  });
});
