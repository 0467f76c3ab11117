import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { commonGitDir, treeId } from '../../src/workspace/git.js';
import { cacheRoot, treeSlot } from '../../src/workspace/paths.js';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

/**
 * Faults of the environment, injected for real, each answered with ERROR (never FAIL), exit 3 and a
 * message that names the fault: toolchain missing, engine missing, engine broken, image missing,
 * image stale, disk full (a small tmpfs as the build dir), the OOM killer (podman --memory under runc:
 * a real memory-cgroup kill here), a timeout. Each uses a cell of its own name (its own cold build
 * dir) so the shared warm dirs are never touched; each fails within seconds of starting.
 */
const PODMAN = ['--runtime', 'podman', '--oci-runtime', 'runc', '--runtime-flag=--ulimit=nofile=20000:20000', '--runtime-flag=--ulimit=nproc=4096:4096'];
const STALE = 'localhost/kmatrix-test/stale:1';

interface Row {
  cell: string;
  status: string;
  diagnostics: { kind: string; message: string }[];
}

describe('environment faults are ERROR with a clear message', () => {
  let tree: string;
  let tip: string;
  const faults: string[] = [];

  /** A copy of the default matrix whose one config is named `name`, with overrides of top-level keys. */
  const matrixWith = (name: string, top: Record<string, string> = {}): string => {
    const dir = tempDir('kmatrix-envfault-');
    cpSync(join(ROOT, 'matrix', 'fragments'), join(dir, 'fragments'), { recursive: true });
    let text = readFileSync(join(ROOT, 'matrix', 'zsmalloc-arm.yaml'), 'utf8').replace(/^ {2}virt-v7:$/m, `  ${name}:`);
    for (const [k, v] of Object.entries(top)) text = text.replace(new RegExp(`^${k}: .*$`, 'm'), `${k}: ${v}`);
    writeFileSync(join(dir, 'm.yaml'), text);
    return join(dir, 'm.yaml');
  };

  /** `kmatrix run --json` of one cell; the one build row. */
  const runOne = (args: string[], env?: Record<string, string>): { code: number; row: Row; stderr: string } => {
    const db = join(tempDir('kmatrix-envfault-'), 'k.db');
    const r = env ? cliEnv(['run', '--tree', tree, '--db', db, '--json', ...args, tip], env) : cli(['run', '--tree', tree, '--db', db, '--json', ...args, tip]);
    const doc = JSON.parse(r.stdout || '{"builds":[]}') as { builds: Row[] };
    expect(doc.builds, r.stderr).toHaveLength(1);
    return { code: r.code, row: doc.builds[0]!, stderr: r.stderr };
  };

  /** The CLI with a replaced environment (PATH). */
  const cliEnv = (args: string[], env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'kmatrix.js'), ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  const expectError = (r: { code: number; row: Row; stderr: string }, message: RegExp, what: string) => {
    expect(r.code, r.stderr).toBe(3);
    expect(r.row.status).toBe('ERROR');
    expect(r.row.diagnostics.map((d) => d.message).join('\n')).toMatch(message);
    faults.push(what);
  };

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    tip = r.commits.get('tip')!.sha;
  });

  afterAll(async () => {
    await execa('podman', ['rmi', '-f', STALE], { reject: false });
    process.stderr.write(`environment faults injected: ${faults.length}: ${faults.join(', ')}\n`);
  });

  it('toolchain missing (host): ERROR naming the compiler', () => {
    const m = matrixWith('fault-notc', { cross_compile: 'arm-nosuch-linux-gnueabi-' });
    expectError(runOne(['--matrix', m, '--runtime', 'host', '--cells', 'fault-notc/UP']), /arm-nosuch-linux-gnueabi-gcc/, 'toolchain missing');
  });

  it('engine missing: podman not on PATH is ERROR with the fix', () => {
    const bin = tempDir('kmatrix-envfault-bin-');
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(bin, 'git'));
    const m = matrixWith('fault-noengine');
    expectError(runOne(['--matrix', m, ...PODMAN, '--cells', 'fault-noengine/UP'], { PATH: bin }), /podman not found on PATH/, 'engine missing');
  });

  it('engine broken: an OCI runtime that does not exist is ERROR naming it', () => {
    const m = matrixWith('fault-broken');
    const args = ['--matrix', m, '--runtime', 'podman', '--oci-runtime', 'nosuch-runtime', '--cells', 'fault-broken/UP'];
    expectError(runOne(args), /nosuch-runtime/, 'engine broken');
  });

  it('image stale: a warning, and the missing cross compiler in it is ERROR (not FAIL)', async () => {
    const ctx = tempDir('kmatrix-envfault-img-');
    writeFileSync(
      join(ctx, 'Containerfile'),
      'FROM localhost/kmatrix/arm-linux-gnueabi:bookworm\nLABEL org.kmatrix.packages=0000000000000000\nRUN rm -f /usr/bin/arm-linux-gnueabi-gcc /usr/bin/arm-linux-gnueabi-gcc-12\n',
    );
    await execa('podman', ['--runtime', 'runc', 'build', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096', '--network=none', '--pull=never', '-t', STALE, ctx]);
    const m = matrixWith('fault-stale');
    const r = runOne(['--matrix', m, ...PODMAN, '--image', STALE, '--cells', 'fault-stale/UP']);
    expect(r.stderr).toContain(`image ${STALE} was not built from the current docker/packages.txt`);
    expectError(r, /arm-linux-gnueabi-gcc/, 'image stale');
  });

  it('image missing (the runtime asked directly, as after `podman rmi`): ERROR with the fix', async () => {
    const { ContainerRuntime } = await import('../../src/runtime/container.js');
    const rt = new ContainerRuntime({ engine: 'podman', image: 'localhost/kmatrix-test/missing:none', ociRuntime: 'runc', runFlags: [], ccacheDir: null, user: { uid: 0, gid: 0 } });
    const log = join(tempDir('kmatrix-envfault-'), 'x.log');
    const r = await rt.exec({ argv: ['true'], cwd: '/', mounts: [], logFile: log });
    expect(r.infraError).toMatch(/image localhost\/kmatrix-test\/missing:none not found.*; fix: kmatrix image build/);
    expect((await rt.identity('arm-linux-gnueabi-')).compiler).toMatch(/^missing: /);
    faults.push('image missing');
  });

  it('timeout: ERROR saying it timed out', () => {
    const m = matrixWith('fault-timeout', { timeout: '2' });
    expectError(runOne(['--matrix', m, '--runtime', 'host', '--cells', 'fault-timeout/UP']), /timed out after 2 s/, 'timeout');
  });

  it('OOM killer (podman --memory=12m: a real memory-cgroup kill of the build): ERROR, not FAIL', () => {
    const m = matrixWith('fault-oom');
    const r = runOne(['--matrix', m, ...PODMAN, '--runtime-flag=--memory=12m', '--runtime-flag=--memory-swap=12m', '--cells', 'fault-oom/UP']);
    expectError(r, /Killed|out of memory|OOM/, 'OOM kill');
  });

  it('disk full: a 256 KiB tmpfs as the build dir (the Kconfig stage already fills it) is ERROR naming the full disk', async () => {
    if (process.getuid?.() !== 0) return; // mounting needs root (CI and this machine are root)
    const m = matrixWith('fault-diskfull');
    const slot = treeSlot(cacheRoot(), treeId(await commonGitDir(tree)));
    const dir = slot.buildDir('fault-diskfull/UP', 'host');
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'kmatrix-test-full', dir]);
    try {
      expectError(runOne(['--matrix', m, '--runtime', 'host', '--cells', 'fault-diskfull/UP']), /disk full: .*No space left on device/, 'disk full');
    } finally {
      execFileSync('umount', ['-l', dir]);
    }
  });
});
