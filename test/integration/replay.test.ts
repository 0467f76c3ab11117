import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheRoot } from '../../src/workspace/paths.js';
import { loadMatrix } from '../../src/matrix/load.js';
import { runMatrix, type RunBuild } from '../../src/pipeline/run.js';
import { HostRuntime } from '../../src/runtime/host.js';
import { buildDiagnostics, latestBuild, openStore } from '../../src/store/db.js';
import type { BuildStatus } from '../../src/types.js';
import { replayTree, ROOT, tempDir } from '../helpers/replay.js';

/**
 * Real ARM builds of the replay tree: the three SMP flavours of the default matrix at every
 * interesting commit. The expected outcomes were measured on real builds (see the closing notes).
 */
type Expect = { status: BuildStatus; errors: string[] };
const PASS: Expect = { status: 'PASS', errors: [] };
const ZRAM_BREAK: Expect = {
  status: 'FAIL',
  errors: ["compile-error drivers/block/zram/zram_drv.c 'struct zram_stats' has no member named 'same_pages'"],
};
const V7WBI: Expect = { status: 'FAIL', errors: ['modpost-undefined v7wbi_flush_kern_tlb_range mm/zsmalloc.ko'] };
const FLUSH: Expect = { status: 'FAIL', errors: ['modpost-undefined flush_tlb_kernel_range mm/zsmalloc.ko'] };

const EXPECTED: Record<string, Record<string, Expect>> = {
  baseline: { 'virt-v7/UP': PASS, 'virt-v7/SMP': PASS, 'virt-v7/UP-on-SMP': PASS },
  'zram-break': { 'virt-v7/UP': ZRAM_BREAK, 'virt-v7/SMP': ZRAM_BREAK, 'virt-v7/UP-on-SMP': ZRAM_BREAK },
  'zram-fix': { 'virt-v7/UP': PASS, 'virt-v7/SMP': PASS, 'virt-v7/UP-on-SMP': PASS },
  // UP-on-SMP passes: SMP_ON_UP makes the TLB code MULTI_TLB, so the local flush goes through the
  // exported cpu_tlb function table instead of a direct call to v7wbi_flush_kern_tlb_range.
  'pgtable-mapping': { 'virt-v7/UP': V7WBI, 'virt-v7/SMP': V7WBI, 'virt-v7/UP-on-SMP': PASS },
  '2013-fix': { 'virt-v7/UP': V7WBI, 'virt-v7/SMP': FLUSH, 'virt-v7/UP-on-SMP': FLUSH },
  'real-fix': { 'virt-v7/UP': PASS, 'virt-v7/SMP': PASS, 'virt-v7/UP-on-SMP': PASS },
  tip: { 'virt-v7/UP': PASS, 'virt-v7/SMP': PASS, 'virt-v7/UP-on-SMP': PASS },
};

/** Compact identity of an error diagnostic for comparison. */
function errorKey(d: { kind: string; file: string | null; symbol: string | null; module: string | null; message: string }): string {
  if (d.kind === 'modpost-undefined') return `${d.kind} ${d.symbol} ${d.module}`;
  return `${d.kind} ${d.file} ${d.message.replace(/[‘’]/g, "'").replace(/;.*$/, '')}`;
}

describe('replay tree: 3 cells × the interesting commits (real builds)', () => {
  let tree: string;
  let labels: Map<string, string>;
  let builds: RunBuild[];
  let dbPath: string;
  let headBefore: string;

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    labels = new Map([...r.commits.values()].map((c) => [c.sha, c.label]));
    headBefore = execFileSync('git', ['-C', tree, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
    const matrix = loadMatrix(join(ROOT, 'matrix/zsmalloc-arm.yaml'));
    dbPath = join(tempDir(), 'kmatrix.db');
    const store = openStore(dbPath);
    const t0 = Date.now();
    ({ builds } = await runMatrix({
      tree,
      matrix,
      cells: matrix.cells,
      revisions: [...r.commits.values()].map((c) => c.sha),
      store,
      cache: cacheRoot(),
      resultsDir: join(dbPath, '..'),
      runtime: new HostRuntime(),
      command: 'test',
      progress: 'plain',
    }));
    store.close();
    process.stderr.write(`replay matrix: ${builds.length} builds in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const b of builds) {
      process.stderr.write(`  ${labels.get(b.commit.sha)} ${b.cell.name} ${b.status} ${b.seconds.toFixed(1)}s ${b.diagnostics.filter((d) => d.severity === 'error').map(errorKey).join(' | ')}\n`);
    }
  });

  it('builds every interesting commit in every cell', () => {
    expect(builds.length).toBe(Object.keys(EXPECTED).length * 3);
    expect(new Set(builds.map((b) => labels.get(b.commit.sha)))).toEqual(new Set(Object.keys(EXPECTED)));
  });

  for (const [label, cells] of Object.entries(EXPECTED)) {
    for (const [cell, exp] of Object.entries(cells)) {
      it(`${label} ${cell}: ${exp.status}${exp.errors.length ? ` (${exp.errors.join('; ')})` : ''}`, () => {
        const b = builds.find((x) => labels.get(x.commit.sha) === label && x.cell.name === cell);
        expect(b, `${label} ${cell} was built`).toBeDefined();
        expect(b!.status).toBe(exp.status);
        expect([...new Set(b!.diagnostics.filter((d) => d.severity === 'error').map(errorKey))]).toEqual(exp.errors);
        expect(b!.diagnostics.some((d) => d.kind === 'kconfig-unmet')).toBe(false);
      });
    }
  }

  it('prints the seed line exactly as modpost does, file-relative, with a stable fingerprint across cells', () => {
    const at = (label: string, cell: string) => builds.find((x) => labels.get(x.commit.sha) === label && x.cell.name === cell)!;
    const up = at('pgtable-mapping', 'virt-v7/UP').diagnostics.find((d) => d.kind === 'modpost-undefined')!;
    expect(up.message).toContain('"v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!');
    expect(up).toMatchObject({ severity: 'error', symbol: 'v7wbi_flush_kern_tlb_range', module: 'mm/zsmalloc.ko' });
    const smp = at('pgtable-mapping', 'virt-v7/SMP').diagnostics.find((d) => d.kind === 'modpost-undefined')!;
    expect(smp.fingerprint).toBe(up.fingerprint);
    const ce = at('zram-break', 'virt-v7/UP').diagnostics.find((d) => d.kind === 'compile-error')!;
    expect(ce.file).toBe('drivers/block/zram/zram_drv.c');
    expect(ce.line).toBeGreaterThan(0);
    expect(ce.column).toBeGreaterThan(0);
  });

  it('records every build, its log and toolchain in the store', () => {
    const store = openStore(dbPath);
    for (const b of builds) {
      const s = latestBuild(store, b.commit.sha, b.cell.name)!;
      expect(s.status).toBe(b.status);
      expect(s.toolchain).toMatch(/^arm-linux-gnueabi-gcc .*12\.2/);
      expect(s.logPath).toMatch(/\.log\.gz$/);
      expect(buildDiagnostics(store, s.id).map((d) => d.fingerprint)).toEqual(b.diagnostics.map((d) => d.fingerprint));
    }
    store.close();
  });

  it('re-running the same range reuses every stored result (same tree, cell, toolchain); --rebuild builds again', async () => {
    const matrix = loadMatrix(join(ROOT, 'matrix/zsmalloc-arm.yaml'));
    const store = openStore(dbPath);
    const shas = [...new Set(builds.map((b) => b.commit.sha))];
    const common = { tree, matrix, store, cache: cacheRoot(), resultsDir: join(dbPath, '..'), runtime: new HostRuntime(), command: 'test', progress: 'silent' as const };
    const t0 = Date.now();
    const again = await runMatrix({ ...common, cells: matrix.cells, revisions: shas });
    const seconds = (Date.now() - t0) / 1000;
    process.stderr.write(`re-run of ${again.builds.length} already-built builds: ${seconds.toFixed(2)} s\n`);
    expect(again.builds).toHaveLength(builds.length);
    expect(again.builds.every((b) => b.cached)).toBe(true);
    expect(again.builds.map((b) => [b.commit.sha, b.cell.name, b.status, b.diagnostics.map((d) => d.fingerprint)])).toEqual(
      builds.map((b) => [b.commit.sha, b.cell.name, b.status, b.diagnostics.map((d) => d.fingerprint)]),
    );
    const tip = builds.at(-1)!;
    const rebuilt = await runMatrix({ ...common, cells: [tip.cell], revisions: [tip.commit.sha], rebuild: true });
    expect(rebuilt.builds.map((b) => [b.cached, b.status])).toEqual([[false, tip.status]]);
    store.close();
  });

  it("leaves the user's checkout untouched", () => {
    expect(execFileSync('git', ['-C', tree, 'rev-parse', 'HEAD'], { encoding: 'utf8' })).toBe(headBefore);
    expect(execFileSync('git', ['-C', tree, 'status', '--porcelain'], { encoding: 'utf8' })).toBe('');
  });
});
