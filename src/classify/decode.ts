/** Opening a log for reading: a file or standard input, gzip and xz recognised by their magic bytes (I/O). */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
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

/** `xz -dc` over a stream; the output fails (instead of ending) when xz does. */
function unxz(input: Readable): Readable {
  const out = new PassThrough();
  const child = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 2000) stderr += s;
  });
  child.on('error', (e: NodeJS.ErrnoException) =>
    out.destroy(e.code === 'ENOENT' ? new Error('cannot read an .xz log: the `xz` program is not installed') : e),
  );
  input.on('error', (e) => {
    child.kill();
    out.destroy(e);
  });
  child.stdin.on('error', () => {}); // xz exiting early is reported by its exit status
  input.pipe(child.stdin);
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`xz: ${stderr.trim() || `exit status ${code}`}`));
  });
  return out;
}

/** A readable of the log's text bytes: gzip and xz inputs decompressed, anything else passed through. */
export async function decodeLog(input: AsyncIterable<Buffer | string>): Promise<Readable> {
  const { head, whole } = await sniff(input, XZ.length);
  if (head.subarray(0, GZIP.length).equals(GZIP)) {
    const gunzip = createGunzip();
    whole.on('error', (e) => gunzip.destroy(e));
    return whole.pipe(gunzip);
  }
  if (head.subarray(0, XZ.length).equals(XZ)) return unxz(whole);
  return whole;
}

/** Open a log file, or standard input for `-`, decompressed. */
export function openLog(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<Readable> {
  return decodeLog(path === '-' ? (stdin as AsyncIterable<Buffer>) : createReadStream(path));
}
