#!/usr/bin/env node
// How `kmatrix classify` scales with log size: wall time and peak RSS of the real CLI on
// synthetic logs of growing size made from the real fixtures (kbuild progress lines, with the
// fixtures' diagnostics sprinkled in). Each size runs --rounds times (the fastest counts: the
// machine is shared); the start-up time (classifying an empty log) is subtracted, then time per
// MB is printed (flat = linear) with the peak RSS.
// --prefix github puts a GitHub Actions timestamp in front of every line (the prefix-stripping path).
// Usage: npm run build && node bench/classify-scale.mjs [--sizes 25,50,100,200] [--rounds 3] [--prefix none|github] [--keep]
// Needs GNU time (/usr/bin/time) for the peak RSS of the child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '25,50,100,200' }, rounds: { type: 'string', default: '3' }, prefix: { type: 'string', default: 'none' }, keep: { type: 'boolean', default: false } },
});
const rounds = Number(values.rounds);
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
    const lines = values.prefix === 'github' ? parts.join('\n').split('\n').map((l) => `2026-11-29T22:10:01.1234567Z ${l}`) : parts;
    const chunk = lines.join('\n') + '\n';
    writeSync(fd, chunk);
    bytes += Buffer.byteLength(chunk);
  }
  closeSync(fd);
  return path;
}

/** One run of the real CLI: CPU seconds (user + system: robust on a shared machine), wall seconds, peak RSS (MB), diagnostics. */
function run(path) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M cpu=%U+%S', process.execPath, join(root, 'bin/kmatrix.js'), 'classify', '--json', path], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // 1 (FAIL) or 3 (ERROR: the killed/toolchain-missing fixtures are sprinkled in too) are expected
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`classify exited ${r.status}: ${r.stderr}`);
  const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  const cpu = /cpu=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  return { secs: Number(cpu?.[1]) + Number(cpu?.[2]), wall, rss, n: JSON.parse(r.stdout).diagnostics.length };
}

const best = (path) => {
  const rs = Array.from({ length: rounds }, () => run(path));
  return { secs: Math.min(...rs.map((r) => r.secs)), wall: Math.min(...rs.map((r) => r.wall)), rss: Math.max(...rs.map((r) => r.rss)), n: rs[0].n };
};
const empty = join(dir, 'empty.log');
writeFileSync(empty, '');
const startup = best(empty);
console.log(`start-up (empty log): ${startup.secs.toFixed(2)} s CPU, peak RSS ${startup.rss.toFixed(1)} MB`);
const rows = [];
for (const mb of sizes) {
  const path = makeLog(mb);
  const size = statSync(path).size / 1024 / 1024;
  const { secs, wall, rss, n } = best(path);
  const work = secs - startup.secs;
  rows.push({ mb: size, secs: work, rss, n });
  console.log(
    `${size.toFixed(1).padStart(6)} MB  CPU ${secs.toFixed(2).padStart(6)} s (${work.toFixed(2)} s after start-up, ${(work / size * 1000).toFixed(1)} ms/MB)  wall ${wall.toFixed(2)} s  peak RSS ${rss.toFixed(1)} MB  ${n} diagnostics`,
  );
  if (!values.keep) rmSync(path);
}
const first = rows[0];
const last = rows[rows.length - 1];
console.log(`CPU time per MB, largest / smallest log: ${((last.secs / last.mb) / (first.secs / first.mb)).toFixed(2)} (1.00 = linear)`);
console.log(`peak RSS at ${last.mb.toFixed(0)} MB: ${last.rss.toFixed(1)} MB (goal < 150 MB)`);
console.log(`prefix: ${values.prefix}; machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`);
if (!values.keep) rmSync(dir, { recursive: true });
