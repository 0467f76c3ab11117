#!/usr/bin/env node
// gcc and clang side by side on the replay tree: the five interesting commits × all six cells of
// matrix/zsmalloc-arm-gcc-clang.yaml (podman), in one run. Prints, per commit and variant, each toolchain's status and
// first error, the `diff --toolchains` verdict, and the build seconds with their clang/gcc ratio.
// The suite (test/integration/toolchains.test.ts) builds only UP with clang: a cold clang build dir costs 5-15 min
// on 2 cores; this is the whole table. Usage: node bench/toolchains.mjs [--db FILE]  (after `npm run build`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'kmatrix.js');
const MATRIX = join(ROOT, 'matrix', 'zsmalloc-arm-gcc-clang.yaml');
const VARIANTS = ['UP', 'SMP', 'UP-on-SMP'];
const LABELS = ['zram-break', 'zram-fix', 'pgtable-mapping', '2013-fix', 'real-fix'];

const { values } = parseArgs({ options: { db: { type: 'string' } } });
const db = values.db ?? join(mkdtempSync(join(tmpdir(), 'kmatrix-bench-tc-')), 'k.db');
/** Run the CLI; a non-zero exit (a FAIL in the story) still returns its stdout. */
const k = (...args) => {
  try {
    return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 << 20 });
  } catch (e) {
    if (typeof e.stdout === 'string' && e.stdout) return e.stdout;
    throw e;
  }
};

const tree = k('demo', '--path').trim();
const { commits } = await import(join(ROOT, 'dist', 'demo', 'commits.js')).then(async (m) => ({ commits: await m.demoCommits(tree) }));
const sha = new Map(commits.filter((c) => LABELS.includes(c.label)).map((c) => [c.label, c.sha]));
const t0 = Date.now();
const run = JSON.parse(k('run', '--tree', tree, '--db', db, '--matrix', MATRIX, '--json', ...sha.values()));
const wall = (Date.now() - t0) / 1000;
const first = (b) => {
  const d = b?.diagnostics.find((x) => x.severity === 'error');
  return d ? `${d.kind} ${d.file ?? d.module ?? ''}: ${d.message.replace(/[‘’]/g, "'").slice(0, 70)}` : '';
};
const get = (label, v, tc) => run.builds.find((b) => b.commit === sha.get(label) && b.cell === `virt-v7/${v}@${tc}`);

console.log(`gcc vs clang, ${run.builds.length} builds in ${wall.toFixed(1)} s wall, store ${db}\n`);
console.log('| commit | variant | gcc | clang | verdict | gcc s | clang s | clang/gcc |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const label of LABELS) {
  const doc = JSON.parse(k('diff', '--toolchains', 'gcc,clang', sha.get(label), '--tree', tree, '--db', db, '--matrix', MATRIX, '--no-build', '--json'));
  for (const v of VARIANTS) {
    const g = get(label, v, 'gcc');
    const c = get(label, v, 'clang');
    const verdict = doc.cells.find((x) => x.cell === `virt-v7/${v}`)?.verdict ?? '?';
    const cell = (b) => (b ? `${b.status}${first(b) ? ` (${first(b)})` : ''}` : 'MISSING');
    const ratio = g && c && g.seconds > 0 ? (c.seconds / g.seconds).toFixed(2) : '–';
    console.log(`| ${label} | ${v} | ${cell(g)} | ${cell(c)} | ${verdict} | ${g?.seconds.toFixed(1) ?? '–'} | ${c?.seconds.toFixed(1) ?? '–'} | ${ratio} |`);
  }
}
if (run.missing.length) console.log(`\nMISSING: ${JSON.stringify(run.missing)}`);
