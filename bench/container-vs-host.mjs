#!/usr/bin/env node
// Side-by-side timing of the same cell built on the host and in the container, in one run.
// Usage: node bench/container-vs-host.mjs [--rounds N] [--cell virt-v7/UP]
// Needs `npm run build` (uses dist/) and the replay tree (`kmatrix demo --path`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheRoot } from '../dist/workspace/paths.js';
import { demoCommits } from '../dist/demo/commits.js';
import { ensureReplayTree } from '../dist/demo/replay.js';
import { loadMatrix } from '../dist/matrix/load.js';
import { runMatrix } from '../dist/pipeline/run.js';
import { HostRuntime } from '../dist/runtime/host.js';
import { createRuntime, runtimeSettings } from '../dist/runtime/select.js';
import { openStore } from '../dist/store/db.js';
import { PACKAGE_ROOT } from '../dist/version.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, cell: { type: 'string', default: 'virt-v7/UP' } } });
const rounds = Number(values.rounds);
const cache = cacheRoot();
const tree = await ensureReplayTree(cache);
const commits = new Map((await demoCommits(tree)).map((c) => [c.label, c.sha]));
const matrix = loadMatrix(join(PACKAGE_ROOT, 'matrix/zsmalloc-arm.yaml'));
const cell = matrix.cells.find((c) => c.name === values.cell);
if (!cell) throw new Error(`no cell ${values.cell}`);
const store = openStore(join(mkdtempSync(join(tmpdir(), 'kmatrix-bench-')), 'k.db'));
const runtimes = { host: new HostRuntime(), container: createRuntime(runtimeSettings(cell, {}), { cache }) };
// An incremental step: the commit before the real fix, then the fix (mm/zsmalloc.c changes).
const steps = [commits.get('2013-fix'), commits.get('real-fix')];

async function timed(runtime, sha) {
  const r = await runMatrix({ tree, matrix, cells: [cell], revisions: [sha], store, cache, resultsDir: join(tmpdir(), 'kmatrix-bench-logs'), runtime, command: 'bench', progress: 'silent', rebuild: true });
  return r.builds[0].seconds;
}

const results = { host: [], container: [] };
for (let i = 0; i < rounds; i++) {
  for (const name of ['host', 'container']) {
    await timed(runtimes[name], steps[0]);
    results[name].push(await timed(runtimes[name], steps[1]));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`incremental build of ${cell.name} (2013-fix -> real-fix), ${rounds} rounds, interleaved:`);
for (const name of ['host', 'container']) console.log(`  ${name.padEnd(9)} ${results[name].map((s) => s.toFixed(1)).join(' ')} s  (median ${median(results[name]).toFixed(1)} s)`);
console.log(`  container / host = ${(median(results.container) / median(results.host)).toFixed(2)}`);
store.close();
