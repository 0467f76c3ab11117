import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot } from '../../src/workspace/paths.js';
import { loadMatrix, type Cell } from '../../src/matrix/load.js';
import { runMatrix, type RunBuild } from '../../src/pipeline/run.js';
import { ContainerRuntime } from '../../src/runtime/container.js';
import { HostRuntime } from '../../src/runtime/host.js';
import { buildImage, currentPackages, DEFAULT_IMAGE, imageInfo } from '../../src/runtime/image.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { containerSettings } from '../../src/runtime/select.js';
import { latestBuild, openStore, runBuilds } from '../../src/store/db.js';
import { CLI, replayTree, ROOT, tempDir } from '../helpers/replay.js';

/**
 * Real containerized builds (podman + runc, offline image): the same cell at the same replay-tree
 * commit gives the same status and diagnostics in the container as on the host, and an interrupted
 * containerized run leaves no container behind. Build dirs are the shared persistent ones.
 */
const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];
const settings = containerSettings('podman', { runtime: 'podman', image: DEFAULT_IMAGE, ociRuntime: 'runc', runtimeFlags: ULIMITS }, cacheRoot());
const errorKeys = (b: RunBuild) => b.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.kind} ${d.symbol} ${d.module}`);
const log = (s: string) => process.stderr.write(`${s}\n`);

describe('containerized builds (podman)', () => {
  let tree: string;
  let pgtable: string;
  let fix2013: string;
  let cell: Cell;
  let dbPath: string;
  const builds: Record<'podman' | 'host', RunBuild[]> = { podman: [], host: [] };
  let podmanRun = 0;

  /** Build pgtable-mapping then 2013-fix (an incremental step in the same dir) in one runtime. */
  const build = async (runtime: Runtime) => {
    const store = openStore(dbPath);
    try {
      const matrix = loadMatrix(join(ROOT, 'matrix/zsmalloc-arm.yaml'));
      const t0 = Date.now();
      const r = await runMatrix({
        tree,
        matrix,
        cells: [cell],
        revisions: [pgtable, fix2013],
        store,
        cache: cacheRoot(),
        resultsDir: join(dbPath, '..'),
        runtime,
        command: 'test',
        progress: 'plain',
      });
      log(`${runtime.name}: ${r.builds.map((b) => `${b.commit.subject}: ${b.status} ${b.seconds.toFixed(1)} s`).join('; ')} (total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return r;
    } finally {
      store.close();
    }
  };

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    pgtable = r.commits.get('pgtable-mapping')!.sha;
    fix2013 = r.commits.get('2013-fix')!.sha;
    cell = loadMatrix(join(ROOT, 'matrix/zsmalloc-arm.yaml')).cells.find((c) => c.name === 'virt-v7/UP')!;
    dbPath = join(tempDir(), 'kmatrix.db');

    const info = await imageInfo(settings, settings.image);
    if (info?.packagesHash === currentPackages().hash) log(`image: ${settings.image} is current (${info.id.slice(0, 19)}), not rebuilt`);
    else {
      const b = await buildImage({ engine: settings, image: settings.image, workDir: join(cacheRoot(), 'image'), log });
      log(`image: built ${settings.image} in ${b.seconds.toFixed(1)} s`);
    }
    const pr = await build(new ContainerRuntime(settings));
    builds.podman = pr.builds;
    podmanRun = pr.runId;
    builds.host = (await build(new HostRuntime())).builds;
    const [pc, pi] = builds.podman.map((b) => b.seconds) as [number, number];
    const [hc, hi] = builds.host.map((b) => b.seconds) as [number, number];
    log(`container/host time: first build ${(pc / hc).toFixed(2)} (${pc.toFixed(1)} s / ${hc.toFixed(1)} s), incremental ${(pi / hi).toFixed(2)} (${pi.toFixed(1)} s / ${hi.toFixed(1)} s)`);
  });

  it('pgtable-mapping virt-v7/UP: FAIL with the v7wbi modpost error, as on the host', () => {
    const [p, h] = [builds.podman[0]!, builds.host[0]!];
    expect(p.status).toBe('FAIL');
    expect(errorKeys(p)).toEqual(['modpost-undefined v7wbi_flush_kern_tlb_range mm/zsmalloc.ko']);
    expect(p.status).toBe(h.status);
    expect(p.diagnostics.map((d) => d.fingerprint).sort()).toEqual(h.diagnostics.map((d) => d.fingerprint).sort());
  });

  it('2013-fix virt-v7/UP (incremental): same status and diagnostics in both runtimes', () => {
    const [p, h] = [builds.podman[1]!, builds.host[1]!];
    expect(p.status).toBe(h.status);
    expect(p.diagnostics.map((d) => d.fingerprint).sort()).toEqual(h.diagnostics.map((d) => d.fingerprint).sort());
  });

  it('records the runtime, the image ID and the same compiler as the host', () => {
    const store = openStore(dbPath);
    try {
      const [p] = runBuilds(store, podmanRun);
      expect(p).toMatchObject({ runtime: 'podman', image: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(p!.toolchain).toBe(builds.host[0]!.toolchain);
      expect(p!.toolchain).toMatch(/^arm-linux-gnueabi-gcc .*12\.2/);
    } finally {
      store.close();
    }
  });

  it('an interrupted containerized run (SIGTERM to the CLI) records ERROR and leaves no container behind', async () => {
    const db = join(tempDir(), 'kmatrix.db');
    const child = spawn(
      process.execPath,
      [CLI, 'run', pgtable, '--tree', tree, '--db', db, '--cells', 'virt-v7/UP-on-SMP', '--runtime', 'podman', '--oci-runtime', 'runc', ...ULIMITS.flatMap((f, i) => (i % 2 ? [] : [`--runtime-flag=${f}=${ULIMITS[i + 1]}`]))],
      { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const ours = async (all: boolean) =>
      String((await execa('podman', ['ps', ...(all ? ['-a'] : []), '--filter', `name=kmatrix-${child.pid}-`, '--format', '{{.Names}}'])).stdout).trim();
    // Wait (the tree lock may be held by another build) until one of its containers runs, then a bit more.
    let seen = '';
    while (!seen && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 500));
      seen = await ours(false);
    }
    expect(seen, `a container of the run appeared (stderr: ${stderr})`).toMatch(/^kmatrix-\d+-[0-9a-f]+/);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    log(`interrupted run exited ${code} ${((Date.now() - t0) / 1000).toFixed(1)} s after SIGTERM`);
    expect(code).toBe(3);
    expect(await ours(true)).toBe('');
    const store = openStore(db);
    try {
      expect(latestBuild(store, pgtable, 'virt-v7/UP-on-SMP')?.status).toBe('ERROR');
    } finally {
      store.close();
    }
  });
});
