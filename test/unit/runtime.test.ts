import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContainerRuntime,
  diagnoseEngineFailure,
  formatFailure,
  linkedWorktreeGitDir,
  normalizeMounts,
  onPath,
  runArgv,
  type ContainerSettings,
} from '../../src/runtime/container.js';
import { packagesHash, parsePackages } from '../../src/runtime/image.js';
import { resolveRuntime, runtimeSettings } from '../../src/runtime/select.js';

const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];
const podman: ContainerSettings = {
  engine: 'podman',
  image: 'kmatrix/arm-linux-gnueabi:bookworm',
  ociRuntime: 'runc',
  runFlags: ULIMITS,
  ccacheDir: '/c/ccache',
  user: { uid: 0, gid: 0 },
};
const docker: ContainerSettings = { ...podman, engine: 'docker', user: { uid: 1000, gid: 100 } };
const req = {
  argv: ['make', '-C', '/t/src', 'O=/t/build/podman/x'],
  cwd: '/t/build/podman/x',
  mounts: [
    { path: '/t/src', readOnly: true },
    { path: '/t/build/podman/x', readOnly: false },
  ],
};

/**
 * Engine messages captured on this machine (podman 4.3.1, runc, Docker client 28.2.2 without a daemon).
 * The crun "hybrid mode" line is the one reported in /work/shared/NOTES.md for hosts that have crun.
 */
const REAL = {
  // `podman run --network=none IMAGE true` (no --runtime, no --ulimit): exit 126.
  rlimit:
    'Error: runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied',
  // `podman --runtime crun run ...` where crun is not installed: exit 125.
  crunMissing: 'Error: default OCI runtime "crun" not found: invalid argument',
  crunHybrid: 'Error: OCI runtime error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2',
  // `podman --runtime runc run --pull=never ... kmatrix/nope:x true`: exit 125.
  imageMissing: 'Error: kmatrix/nope:x: image not known',
  // without --pull=never podman tries a registry first: exit 125.
  pull: 'Error: initializing source docker://localhost/nope:x: pinging container registry localhost: Get "https://localhost/v2/": dial tcp 127.0.0.1:443: connect: connection refused',
  // a command missing in the image: exit 127.
  noCmd:
    'Error: runc: runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found',
  // `docker run --rm debian true` without a daemon: exit 125.
  dockerDaemon:
    "docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\nRun 'docker run --help' for more information",
  // `podman --runtime nosuch run ...`: exit 125.
  unknownFlag: "Error: unknown flag: --bogus\nSee 'podman run --help'",
};

describe('runArgv (pure)', () => {
  it('podman: --runtime is a global flag, rootful needs no userns, same paths inside, no network', () => {
    expect(runArgv(podman, 'kmatrix-1-ab', req)).toEqual([
      'podman', '--runtime', 'runc', 'run', '--rm', '--name', 'kmatrix-1-ab', '--pull=never', '--network=none',
      ...ULIMITS,
      '-v', '/c/ccache:/c/ccache:rw',
      '-v', '/t/build/podman/x:/t/build/podman/x:rw',
      '-v', '/t/src:/t/src:ro',
      '-e', 'CCACHE_DIR=/c/ccache',
      '-w', '/t/build/podman/x',
      'kmatrix/arm-linux-gnueabi:bookworm',
      'make', '-C', '/t/src', 'O=/t/build/podman/x',
    ]);
  });

  it('rootless podman keeps the user id', () => {
    expect(runArgv({ ...podman, user: { uid: 1000, gid: 1000 } }, 'n', req)).toContain('--userns=keep-id');
  });

  it('docker: --runtime is a run flag, --user uid:gid, env from the spec', () => {
    const a = runArgv(docker, 'kmatrix-2-cd', { ...req, env: { KBUILD_BUILD_USER: 'k' } });
    expect(a.slice(0, 10)).toEqual(['docker', 'run', '--rm', '--name', 'kmatrix-2-cd', '--pull=never', '--network=none', '--runtime', 'runc', '--user']);
    expect(a[10]).toBe('1000:100');
    expect(a).toContain('KBUILD_BUILD_USER=k');
    expect(a.indexOf('kmatrix/arm-linux-gnueabi:bookworm')).toBe(a.indexOf('make') - 1);
  });

  it('no oci runtime, no ccache: no such flags', () => {
    const a = runArgv({ ...podman, ociRuntime: null, ccacheDir: null, runFlags: [] }, 'n', req);
    expect(a).not.toContain('--runtime');
    expect(a.join(' ')).not.toMatch(/CCACHE/);
    expect(a.slice(0, 2)).toEqual(['podman', 'run']);
  });

  it('merges duplicate mounts (read-write wins) and refuses paths -v cannot express', () => {
    expect(normalizeMounts([{ path: '/a/', readOnly: true }, { path: '/a', readOnly: false }, { path: '/b', readOnly: true }])).toEqual([
      { path: '/a', readOnly: false },
      { path: '/b', readOnly: true },
    ]);
    expect(() => normalizeMounts([{ path: '/a:b', readOnly: true }])).toThrow(/':'/);
  });
});

describe('diagnoseEngineFailure (real messages)', () => {
  const diag = (s: Partial<ContainerSettings>, code: number | null, out: string) => diagnoseEngineFailure({ ...podman, ...s }, code, out);

  it('rlimit failure without runc/ulimits: names both settings', () => {
    const f = diag({ ociRuntime: null, runFlags: [] }, 126, `  CC foo.o\n${REAL.rlimit}\n`)!;
    expect(f.problem).toContain('error setting rlimit type 7');
    expect(f.fix).toContain('`oci_runtime: runc` in the matrix or pass `--oci-runtime runc`');
    expect(f.fix).toContain('runtime_flags: [--ulimit, nofile=20000:20000, --ulimit, nproc=4096:4096]');
  });

  it('rlimit failure with runc already set: only the ulimit flags', () => {
    const f = diag({ runFlags: [] }, 126, REAL.rlimit)!;
    expect(f.fix).not.toContain('oci_runtime');
    expect(f.fix).toContain('--runtime-flag=--ulimit=nofile=20000:20000');
  });

  it('crun missing or crun in hybrid cgroups mode: oci_runtime runc', () => {
    for (const m of [REAL.crunMissing, REAL.crunHybrid]) {
      const f = diag({ ociRuntime: null }, 125, m)!;
      expect(f.fix).toBe('set `oci_runtime: runc` in the matrix or pass `--oci-runtime runc`');
      expect(formatFailure(f)).toMatch(/crun/);
    }
  });

  it('image missing (with and without a pull attempt)', () => {
    for (const m of [REAL.imageMissing, REAL.pull]) {
      expect(diag({}, 125, m)!.fix).toBe('kmatrix image build --runtime podman --image kmatrix/arm-linux-gnueabi:bookworm');
    }
  });

  it('command missing in the image, docker without daemon, other start failures', () => {
    expect(diag({}, 127, REAL.noCmd)!.problem).toMatch(/command not found in image/);
    const d = diagnoseEngineFailure(docker, 125, REAL.dockerDaemon)!;
    expect(d.problem).toMatch(/no Docker daemon/);
    expect(d.fix).toMatch(/--runtime podman/);
    expect(diag({}, 125, REAL.unknownFlag)!.problem).toBe('podman: container failed to start (exit 125): Error: unknown flag: --bogus');
  });

  it('OOM kill (137) is infrastructure', () => {
    expect(diag({}, 137, 'make: *** [Makefile:1] Killed')!.problem).toMatch(/OOMKilled/);
  });

  it("the command's own exit codes are not engine failures", () => {
    expect(diag({}, 0, '')).toBeNull();
    expect(diag({}, 2, 'make: *** [Makefile:1234: vmlinux] Error 2\n')).toBeNull();
    expect(diag({}, 127, 'sh: 1: foo: not found\n')).toBeNull();
    expect(diag({}, null, REAL.rlimit)).toBeNull();
  });
});

describe('runtime selection and the package list', () => {
  it('container = podman if installed, else docker', () => {
    expect(resolveRuntime('container', () => true)).toBe('podman');
    expect(resolveRuntime('container', (b) => b === 'docker')).toBe('docker');
    expect(resolveRuntime('container', () => false)).toBe('podman');
    expect(resolveRuntime('host', () => false)).toBe('host');
    expect(resolveRuntime('docker', () => false)).toBe('docker');
  });

  it('CLI flags override the matrix; --runtime-flag adds to runtime_flags', () => {
    const base = { runtime: 'container' as const, image: 'img', ociRuntime: 'runc', runtimeFlags: ULIMITS };
    expect(runtimeSettings(base, {})).toEqual(base);
    expect(runtimeSettings(base, { runtime: 'host', image: 'x', ociRuntime: 'crun', runtimeFlags: ['--memory=4g'] })).toEqual({
      runtime: 'host',
      image: 'x',
      ociRuntime: 'crun',
      runtimeFlags: [...ULIMITS, '--memory=4g'],
    });
  });

  it('packages.txt parsing and an order-insensitive hash', () => {
    expect(parsePackages('# c\ngcc\n\nmake  # tool\n')).toEqual(['gcc', 'make']);
    expect(packagesHash(['gcc', 'make'])).toBe(packagesHash(['make', 'gcc', 'gcc']));
    expect(packagesHash(['gcc', 'make'])).not.toBe(packagesHash(['gcc']));
  });

  it('onPath finds executables only', () => {
    expect(onPath('sh')).toBe(true);
    expect(onPath('no-such-binary-kmatrix')).toBe(false);
  });

  it('linkedWorktreeGitDir follows a worktree .git file', () => {
    const d = mkdtempSync(join(tmpdir(), 'kmx-git-'));
    writeFileSync(join(d, '.git'), 'gitdir: /repo/.git/worktrees/src\n');
    expect(linkedWorktreeGitDir(d)).toBe('/repo/.git');
    expect(linkedWorktreeGitDir(tmpdir())).toBeNull();
  });
});

/** A fake engine on PATH that records its argv and behaves as the test says. */
describe('ContainerRuntime with a fake engine', () => {
  let dir: string;
  let calls: string;
  let oldPath: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kmx-fake-'));
    calls = join(dir, 'calls');
    writeFileSync(
      join(dir, 'podman'),
      `#!/bin/sh
echo "$*" >> ${calls}
for a in "$@"; do case "$a" in
  inspect) echo 0123abcd; exit 0;;
  kill|rm) exit 0;;
  run) case "$FAKE" in
         rlimit) echo '${REAL.rlimit}' >&2; exit 126;;
         sleep) exec sleep 30;;
         *) echo 'arm-linux-gnueabi-gcc (Fake) 12.2.0'; exit 0;;
       esac;;
esac; done
`,
    );
    chmodSync(join(dir, 'podman'), 0o755);
    oldPath = process.env['PATH'];
    process.env['PATH'] = `${dir}:${oldPath}`;
  });
  afterEach(() => {
    process.env['PATH'] = oldPath;
    delete process.env['FAKE'];
  });

  const rt = () => new ContainerRuntime({ ...podman, ccacheDir: join(dir, 'ccache'), ociRuntime: null, runFlags: [] });

  it('identity: engine, image ID, compiler seen in the container', async () => {
    expect(await rt().identity('arm-linux-gnueabi-')).toEqual({
      runtime: 'podman',
      image: 'sha256:0123abcd',
      compiler: 'arm-linux-gnueabi-gcc (Fake) 12.2.0',
    });
  });

  it('a start failure is an infraError with the fix, also written to the log', async () => {
    process.env['FAKE'] = 'rlimit';
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const r = await rt().exec({ ...req, cwd: dir, logFile: log });
    expect(r.exitCode).toBe(126);
    expect(r.infraError).toMatch(/rlimit type 7.*fix: set `oci_runtime: runc`/);
    expect(readFileSync(log, 'utf8')).toContain(`kmatrix: ${r.infraError}`);
  });

  it('abort: kills and removes the container by its name, then reports aborted', async () => {
    process.env['FAKE'] = 'sleep';
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const t0 = Date.now();
    const r = await rt().exec({ ...req, cwd: dir, logFile: log, signal: ac.signal });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.aborted).toBe(true);
    const lines = readFileSync(calls, 'utf8').split('\n');
    const name = /--name (kmatrix-\d+-[0-9a-f]+)/.exec(lines.find((l) => l.startsWith('run '))!)![1]!;
    expect(lines).toContain(`kill ${name}`);
    expect(lines).toContain(`rm -f -t 0 ${name}`);
  });

  it('timeout: same cleanup, timedOut set', async () => {
    process.env['FAKE'] = 'sleep';
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const r = await rt().exec({ ...req, cwd: dir, logFile: log, timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(readFileSync(calls, 'utf8')).toMatch(/^rm -f -t 0 kmatrix-/m);
  });

  it('an already aborted signal starts no container', async () => {
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const ac = new AbortController();
    ac.abort();
    const r = await rt().exec({ ...req, cwd: dir, logFile: log, signal: ac.signal });
    expect(r.aborted).toBe(true);
    expect(readFileSync(calls, 'utf8')).not.toMatch(/^run /m);
  });

  it('facts of an image (compiler line, ccache version) are asked once per image ID and remembered on disk; failures never are', async () => {
    const facts = join(dir, 'facts');
    const withFacts = () => new ContainerRuntime({ ...podman, ccacheDir: join(dir, 'ccache'), ociRuntime: null, runFlags: [], factsDir: facts });
    const runs = () => readFileSync(calls, 'utf8').split('\n').filter((l) => / run /.test(` ${l}`)).length;
    process.env['FAKE'] = 'rlimit'; // the image cannot be asked: a failure, not remembered
    expect((await withFacts().identity('arm-linux-gnueabi-')).compiler).toMatch(/^missing: /);
    delete process.env['FAKE'];
    const first = await withFacts().identity('arm-linux-gnueabi-');
    expect(first.compiler).toBe('arm-linux-gnueabi-gcc (Fake) 12.2.0');
    expect(await withFacts().ccacheVersion()).toBe('arm-linux-gnueabi-gcc (Fake) 12.2.0'); // the fake prints one line for any program
    const before = runs();
    // A new kmatrix process (a new runtime) asks the image nothing: same answers, no container started.
    expect(await withFacts().identity('arm-linux-gnueabi-')).toEqual(first);
    expect(await withFacts().ccacheVersion()).toBe('arm-linux-gnueabi-gcc (Fake) 12.2.0');
    expect(runs()).toBe(before);
    expect(JSON.parse(readFileSync(join(facts, '0123abcd.json'), 'utf8'))).toHaveProperty('ccache');
    // Another image ID is another file: asked again.
    writeFileSync(join(dir, 'podman'), readFileSync(join(dir, 'podman'), 'utf8').replace('echo 0123abcd', 'echo 4567cdef'));
    await withFacts().identity('arm-linux-gnueabi-');
    expect(runs()).toBe(before + 1);
  });

  it('engine not installed: infraError before anything runs', async () => {
    process.env['PATH'] = '/nonexistent';
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const r = await rt().exec({ ...req, cwd: dir, logFile: log });
    expect(r.infraError).toMatch(/podman not found on PATH; fix: install podman/);
    expect((await rt().identity('arm-linux-gnueabi-')).compiler).toMatch(/^missing: podman not found/);
  });
});
