#!/usr/bin/env node
// How `kmatrix classify` scales with log size: wall time and peak RSS of the real CLI on
// synthetic logs of growing size made from the real fixtures (kbuild progress lines, with the
// fixtures' diagnostics sprinkled in). Prints time per MB (flat = linear) and peak RSS.
// Usage: npm run build && node bench/classify-scale.mjs [--sizes 25,50,100,200] [--keep]
// Needs GNU time (/usr/bin/time) for the peak RSS of the child process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '25,50,100,200' }, keep: { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const fixtures = join(root, 'test/fixtures/logs');
const logs = readdirSync(fixtures).filter((f) => f.endsWith('.log')).map((f) => readFileSync(join(fixtures, f), 'utf8'));
const noise = logs.flatMap((l) => l.split('\n')).filter((l) => /^ {2}[A-Z]/.test(l));
const needles = logs.map((l) => l.split('\n').filter((x) => !x.startsWith('#')).join('\n').trimEnd());
const dir = mkdtempSync(join(tmpdir(), 'kmatrix-bench-classify-'));

/** Write a log of about `mb` MB: blocks of noise with one real fixture every 400 blocks. */
function makeLog(mb) {
  const path = join(dir, `build-${mb}mb.log`);
  const fd = openSync(path, 'w');
  let bytes = 0;
  for (let block = 0; bytes < mb * 1024 * 1024; block++) {
    const parts = [];
    for (let k = 0; k < 200; k++) parts.push(noise[(block * 7 + k) % noise.length]);
    if (block % 400 === 0) parts.push(needles[(block / 400) % needles.length]);
    const chunk = parts.join('\n') + '\n';
    writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
  }
  closeSync(fd);
  return path;
}

const rows = [];
for (const mb of sizes) {
  const path = makeLog(mb);
  const size = statSync(path).size / 1024 / 1024;
  const t0 = process.hrtime.bigint();
  let out;
  let err = '';
  try {
    out = execFileSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, join(root, 'bin/kmatrix.js'), 'classify', '--json', path], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    // exit 1 (FAIL: the sprinkled errors) is the expected outcome
    out = e.stdout;
    err = e.stderr;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = Number(/maxrss_kb=(\d+)/.exec(err)?.[1] ?? NaN) / 1024;
  const n = JSON.parse(out).diagnostics.length;
  rows.push({ mb: size, secs, rss, n });
  console.log(`${size.toFixed(1).padStart(6)} MB  ${secs.toFixed(2).padStart(7)} s  ${(secs / size * 1000).toFixed(1).padStart(6)} ms/MB  peak RSS ${rss.toFixed(1).padStart(6)} MB  ${n} diagnostics`);
  if (!values.keep) rmSync(path);
}
const first = rows[0];
const last = rows[rows.length - 1];
console.log(`time per MB, largest / smallest log: ${((last.secs / last.mb) / (first.secs / first.mb)).toFixed(2)} (1.00 = linear)`);
console.log(`peak RSS at ${last.mb.toFixed(0)} MB: ${last.rss.toFixed(1)} MB (goal < 150 MB)`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`);
if (!values.keep) rmSync(dir, { recursive: true });
