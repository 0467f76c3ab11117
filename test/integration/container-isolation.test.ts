import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerRuntime } from '../../src/runtime/container.js';
import { DEFAULT_IMAGE } from '../../src/runtime/image.js';
import { replayTree, tempDir } from '../helpers/replay.js';

/**
 * From inside a real container build (podman + runc, the build image, the mounts every build gets:
 * the source tree read-only, the O= dir read-write, --network=none), make targets try to write the
 * source tree and to reach the network. Both must fail; writing the O= dir must work.
 */
describe('container builds are isolated', () => {
  let tree: string;

  beforeAll(async () => {
    tree = (await replayTree()).tree;
  });

  it('a make target cannot write the source tree or reach the network; it can write O=', async () => {
    const build = tempDir('kmatrix-iso-');
    const probe = join(tree, 'kmatrix-isolation-probe');
    writeFileSync(
      join(build, 'probe.mk'),
      [
        'all: src net out',
        'src:',
        `\t@touch ${probe} && echo "SRC WRITABLE" || echo "src: write refused"`,
        'net:',
        `\t@echo "interfaces: $$(ls /sys/class/net | tr '\\n' ' ')"`,
        "\t@bash -c 'exec 3<>/dev/tcp/192.0.2.1/80' 2>/dev/null && echo 'NET REACHABLE' || echo 'net: connect refused'",
        'out:',
        '\t@touch $(CURDIR)/written && echo "out: written"',
        '',
      ].join('\n'),
    );
    const rt = new ContainerRuntime({
      engine: 'podman',
      image: DEFAULT_IMAGE,
      ociRuntime: 'runc',
      runFlags: ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'],
      ccacheDir: null,
      user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
    });
    const log = join(build, 'probe.log');
    const r = await rt.exec({
      argv: ['make', '-f', join(build, 'probe.mk')],
      cwd: build,
      mounts: [
        { path: tree, readOnly: true },
        { path: build, readOnly: false },
      ],
      logFile: log,
    });
    const out = readFileSync(log, 'utf8');
    expect(r.infraError, out).toBeNull();
    expect(r.exitCode, out).toBe(0);
    expect(out).toMatch(/Read-only file system/);
    expect(out).toContain('src: write refused');
    expect(existsSync(probe)).toBe(false);
    expect(out).toMatch(/^interfaces: lo $/m);
    expect(out).toContain('net: connect refused');
    expect(out).toContain('out: written');
    expect(existsSync(join(build, 'written'))).toBe(true);
  });
});
