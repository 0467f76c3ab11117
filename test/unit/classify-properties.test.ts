import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_KINDS, type Diagnostic } from '../../src/types.js';
import { classifyStream, classifyText } from '../../src/classify/index.js';
import { fixtureLog } from '../helpers/logs.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/logs');
const plain = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.log') && !f.startsWith('prefixed-'))
  .sort();
const fields = (ds: Diagnostic[]) => ds.map(({ fingerprint: _f, ...rest }) => rest);
const chunks = (bufs: Buffer[]) => Readable.from(bufs, { objectMode: false });

/** Every diagnostic is well formed whatever the input was. */
function wellFormed(ds: Diagnostic[]): void {
  for (const d of ds) {
    expect(DIAGNOSTIC_KINDS).toContain(d.kind);
    expect(['error', 'warning']).toContain(d.severity);
    expect(typeof d.message).toBe('string');
    expect(d.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  }
}

describe('classifier robustness (fast-check)', () => {
  it('arbitrary bytes, in arbitrary chunks: never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 512 }), { maxLength: 12 }), async (parts) => {
        wellFormed(await classifyStream(chunks(parts.map((p) => Buffer.from(p)))));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary text with CR, LF, ESC and NUL mixed in: never throws', () => {
    const piece = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\r\n', '\r', '\n', '\x1b[31m', '\0', '>> ', '   ', '--\n'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (ps) => wellFormed(classifyText(ps.join('')))),
      { numRuns: 500 },
    );
  });

  it('a real log split into random chunks gives the same diagnostics as the whole text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...plain), fc.array(fc.nat(), { maxLength: 8 }), async (name, cuts) => {
        const bytes = Buffer.from(fixtureLog(name));
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const parts = [0, ...at].map((s, i) => bytes.subarray(s, i < at.length ? at[i] : bytes.length));
        expect(await classifyStream(chunks(parts))).toEqual(classifyText(fixtureLog(name)));
      }),
      { numRuns: 100 },
    );
  });

  it('CRLF line ends give the same diagnostics as LF', () => {
    for (const name of plain) {
      const log = fixtureLog(name);
      expect(classifyText(log.replace(/\n/g, '\r\n')), name).toEqual(classifyText(log));
    }
  });

  it('invalid UTF-8 in the lines around an error does not hide it', async () => {
    const log = fixtureLog('modpost-undefined-up.log');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b.map((x) => x | 0x80))), async (junk) => {
        const bytes = Buffer.concat([junk, Buffer.from('\n'), Buffer.from(log), junk, Buffer.from('\n')]);
        expect(fields(await classifyStream(chunks([bytes])))).toEqual(fields(classifyText(log)));
      }),
      { numRuns: 100 },
    );
  });

  it('a 10 MB single line (and one without a trailing newline) does not throw or hide the next error', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'x');
    const error = Buffer.from('\nERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!\n');
    const ds = await classifyStream(chunks([big.subarray(0, 3_000_000), big.subarray(3_000_000), error, big]));
    expect(ds.map((d) => [d.kind, d.symbol])).toEqual([['modpost-undefined', 'v7wbi_flush_kern_tlb_range']]);
    expect(classifyText(big.toString('latin1') + error.toString())).toHaveLength(1);
  });

  it('a wrapper prefix (any name) or a timestamp on every line changes nothing', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{1,14}$/).filter((n) => !/^(?:.*-)?(?:ld|cc|as|gcc|clang|make|sh|ar|nm|strip|objtool|objcopy|objdump|bash|note|error|warning)$/.test(n));
    const stamp = fc
      .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z'));
    fc.assert(
      fc.property(fc.constantFrom(...plain), name, stamp, (file, n, ts) => {
        const log = fixtureLog(file);
        const want = fields(classifyText(log));
        const lines = log.replace(/\n$/, '').split('\n');
        expect(fields(classifyText(lines.map((l) => `${n}: ${l}`).join('\n')))).toEqual(want);
        expect(fields(classifyText(lines.map((l) => `${ts} ${l}`).join('\n')))).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });
});
