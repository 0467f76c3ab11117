/** Opening a log for reading: a file or standard input, gzip, xz, bzip2, zstd and lz4 recognised by their magic bytes (I/O). */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP = Buffer.from([0x1f, 0x8b]);
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The first bytes of a stream (at least `n` unless it is shorter) and the whole stream again. */
async function sniff(input: AsyncIterable<Buffer | string>, n: number): Promise<{ head: Buffer; whole: Readable }> {
  const it = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  return { head, whole: Readable.from(all(), { objectMode: false }) };
}

/** `<program> -dc` over a stream (xz, bzip2, zstd, lz4); the output fails (instead of ending) when the program does. */
function viaProgram(program: string, input: Readable): Readable {
  const out = new PassThrough();
  const child = spawn(program, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 2000) stderr += s;
  });
  child.on('error', (e: NodeJS.ErrnoException) =>
    out.destroy(e.code === 'ENOENT' ? new Error(`cannot read a ${program}-compressed log: the \`${program}\` program is not installed`) : e),
  );
  input.on('error', (e) => {
    child.kill();
    out.destroy(e);
  });
  child.stdin.on('error', () => {}); // the program exiting early is reported by its exit status
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`${program}: ${stderr.trim() || `exit status ${code}`}`));
  });
  return out;
}

/** Compressed formats decompressed by their own program, by magic bytes: read as text they would show no failure (PASS). */
const BY_PROGRAM: readonly { magic: Buffer; program: string }[] = [
  { magic: XZ, program: 'xz' },
  { magic: Buffer.from('BZh'), program: 'bzip2' }, // then the block size, 1-9 (checked below)
  { magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), program: 'zstd' },
  { magic: Buffer.from([0x04, 0x22, 0x4d, 0x18]), program: 'lz4' },
];
/**
 * The UTF-16 encoding of a log by its byte-order mark, or (no mark) by the NUL every ASCII character has in its high
 * byte: PowerShell's `>` and `Out-File` write UTF-16LE. Read as UTF-8 such a log matches nothing and would be PASS.
 */
function utf16(head: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head.length < 6) return null;
  const zeros = (at: number) => head[at] === 0 && head[at + 2] === 0 && head[at + 4] === 0;
  if (zeros(1) && head[0] !== 0 && head[2] !== 0) return 'utf-16le';
  if (zeros(0) && head[1] !== 0 && head[3] !== 0) return 'utf-16be';
  return null;
}

/** A stream of UTF-16 text re-encoded as UTF-8 (the byte-order mark dropped, bad pairs as U+FFFD). */
function fromUtf16(encoding: 'utf-16le' | 'utf-16be', input: Readable): Readable {
  const decoder = new TextDecoder(encoding);
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode(), 'utf8'));
    },
  });
  input.on('error', (e) => out.destroy(e));
  return input.pipe(out);
}

/** Compression layers unwrapped at most (a log gzipped twice is read; a bomb of layers is not followed forever). */
const MAX_LAYERS = 4;

/** A readable of the log's UTF-8 text: gzip, xz, bzip2, zstd and lz4 inputs decompressed (also nested), UTF-16 re-encoded, anything else passed through. */
export async function decodeLog(input: AsyncIterable<Buffer | string>, layer = 0): Promise<Readable> {
  const { head, whole } = await sniff(input, XZ.length);
  if (layer >= MAX_LAYERS) return whole;
  if (head.subarray(0, GZIP.length).equals(GZIP)) {
    const gunzip = createGunzip();
    whole.on('error', (e) => gunzip.destroy(e));
    return decodeLog(whole.pipe(gunzip), layer + 1);
  }
  const wide = utf16(head);
  if (wide !== null) return fromUtf16(wide, whole);
  const by = BY_PROGRAM.find((f) => head.subarray(0, f.magic.length).equals(f.magic) && (f.program !== 'bzip2' || /^[1-9]$/.test(String.fromCharCode(head[3] ?? 0))));
  return by === undefined ? whole : decodeLog(viaProgram(by.program, whole), layer + 1);
}

/** Open a log file, or standard input for `-`, decompressed. */
export function openLog(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Readable> {
  return decodeLog(path === '-' ? (stdin as AsyncIterable<Buffer>) : createReadStream(path));
}
