import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

/**
 * Every command through its real command line (bin/kmatrix.js, commander wiring, exit codes), with the default
 * runtime of the shipped matrix (`runtime: container` → podman). To stay cheap the matrix is the shipped one
 * with one change: its target is the one object the replay tree's zram break is about
 * (drivers/block/zram/zram_drv.o), and no artifacts. The cell keeps its name and its .config, so its build runs
 * in the warm `O=` dir of virt-v7/UP; builds are incremental (a few seconds each).
 *
 * Then one printed reproducer is executed as printed (item: reproducers rebuild what they claim). A reproducer
 * starts from its own empty worktree and O= dir by design (it must work on another machine), so it is a cold
 * build; the one-object target keeps that to the config and `prepare` steps plus one compile.
 */
describe('every command through the real CLI, default container runtime', () => {
  const dir = tempDir('kmatrix-commands-');
  const db = join(dir, 'k.db');
  const m = join(dir, 'zram-object.yaml');
  let tree: string;
  let brk: string;
  let fix: string;
  const k = (...args: string[]) => cli(args);
  const store = ['--db', db, '--matrix', m, '--cells', 'virt-v7/UP'];
  let runOut = '';

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    brk = r.commits.get('zram-break')!.sha;
    fix = r.commits.get('zram-fix')!.sha;
    const yaml = readFileSync(join(ROOT, 'matrix/zsmalloc-arm.yaml'), 'utf8');
    const edited = yaml
      .replace(/^targets: .*$/m, 'targets: [drivers/block/zram/zram_drv.o]')
      .replace(/^artifacts:\n(?:\s+- .*\n)+/m, 'artifacts: []\n')
      .replace(/file: fragments\//g, `file: ${join(ROOT, 'matrix', 'fragments')}/`);
    expect(edited).toContain('targets: [drivers/block/zram/zram_drv.o]');
    expect(edited).toContain('runtime: container');
    writeFileSync(m, edited);
  });

  it('run: FAIL at the zram break, PASS at its fix, in the container (exit 1), with the grid and a reproducer', () => {
    const r = k('run', '--tree', tree, ...store, brk, fix);
    runOut = r.stdout;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^commit \(newest first\)\s+virt-v7\/UP$/m);
    expect(r.stdout).toContain(`${brk.slice(0, 12)} zram: rename same_pages stat to same_filled_pages`);
    expect(r.stdout).toMatch(/compile-error: drivers\/block\/zram\/zram_drv\.c:\d+: .*same_pages/);
    expect(r.stdout).toContain(`## virt-v7/UP @ ${brk.slice(0, 12)}`);
    expect(r.stdout).toMatch(/podman .*--runtime runc/);
    const j = JSON.parse(k('run', '--tree', tree, ...store, '--json', fix).stdout) as { builds: { status: string; toolchain: string; cached: boolean }[] };
    expect(j.builds).toMatchObject([{ status: 'PASS', cached: true }]);
  });

  it('diff, report, log: from the store', () => {
    const d = k('diff', '--tree', tree, ...store, '--no-build', brk, fix);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/virt-v7\/UP\s+FAIL\s+PASS\s+fixed/);
    const rep = k('report', '--tree', tree, '--db', db, `${brk}~1..${fix}`);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toContain('FAIL');
    const log = k('log', '--tree', tree, '--db', db, brk, 'virt-v7/UP', '--errors');
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/has no member named .same_pages./); // gcc's quotes follow the locale
  });

  it('nightly, check: reuse the stored builds', () => {
    const report = join(dir, 'nightly.json');
    const n = k('nightly', '--tree', tree, ...store, '--ref', fix, '--baseline', brk, '--json', report);
    expect(n.code).toBe(0);
    expect(n.stdout).toMatch(/virt-v7\/UP\s+FAIL\s+PASS\s+fixed/);
    expect((JSON.parse(readFileSync(report, 'utf8')) as { cells: { transition: string }[] }).cells.map((c) => c.transition)).toEqual(['fixed']);
    const c = k('check', '--tree', tree, ...store, '--tip-only', '--json', `${brk}..${fix}`);
    expect(c.code).toBe(0);
    expect((JSON.parse(c.stdout) as { patches: { new: unknown[] }[] }).patches.every((p) => p.new.length === 0)).toBe(true);
  });

  it('bisect --reverse finds the fix; --log shows it again from the store', () => {
    const b = k('bisect', '--tree', tree, '--db', db, '--matrix', m, '--reverse', '--good', brk, '--bad', fix, '--cell', 'virt-v7/UP', '--json');
    expect(b.code).toBe(0);
    const doc = JSON.parse(b.stdout) as { state: string; firstBad: { sha: string; author: string } };
    expect(doc.state).toBe('found');
    expect(doc.firstBad.sha).toBe(fix);
    expect(doc.firstBad.author).toBe('kmatrix replay <replay@kmatrix.invalid>');
    const l = k('bisect', '--db', db, '--log');
    expect(l.code).toBe(0);
    expect(l.stdout).toContain(`first good commit (the fix): ${fix}`);
  });

  it('classify, demo --path, doctor, image ls', () => {
    expect(k('classify', join(ROOT, 'test/fixtures/logs/modpost-undefined-up.log')).code).toBe(1);
    expect(k('demo', '--path').stdout.trim()).toBe(tree);
    const d = k('doctor', '--tree', tree);
    expect(d.stdout).toMatch(/podman/);
    expect(d.code).toBe(0);
    const ls = k('image', 'ls', '--json');
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as { images: { name: string; current: boolean }[] }).images).toContainEqual(
      expect.objectContaining({ name: expect.stringContaining('kmatrix/arm-linux-gnueabi:bookworm'), current: true }),
    );
  });

  it('image build: a fresh image under a test name (the shared one is left alone), then removed', () => {
    const name = `localhost/kmatrix-test/commands-${process.pid}:tmp`;
    try {
      const b = k('image', 'build', '--runtime', 'podman', '--image', name);
      expect(b.code).toBe(0);
      expect(b.stdout.trim()).toMatch(/^(sha256:)?[0-9a-f]{12,}$/);
    } finally {
      spawnSync('podman', ['rmi', name]); // no --force: never touch containers of other images
    }
  });

  describe('the printed reproducer rebuilds the failure it claims', () => {
    let work = '';
    afterAll(() => {
      if (work) {
        spawnSync('git', ['-C', tree, 'worktree', 'remove', '--force', join(work, 'src')]);
        rmSync(work, { recursive: true, force: true });
      }
    });

    it('executed as printed (podman, its own worktree and O= dir), it fails with the same compile error (same fingerprint)', () => {
      const section = runOut.split(`## virt-v7/UP @ ${brk.slice(0, 12)}\n`)[1]!.split('\n\n')[0]!;
      expect(section).toMatch(/^# reproduce virt-v7\/UP at /);
      work = `/tmp/kmatrix-repro/${brk.slice(0, 12)}`;
      expect(section).toContain(work);
      rmSync(work, { recursive: true, force: true });
      spawnSync('git', ['-C', tree, 'worktree', 'prune']);
      const r = spawnSync('sh', ['-c', section], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      expect(r.status).not.toBe(0);
      const out = join(dir, 'repro.log');
      writeFileSync(out, `${r.stdout}\n${r.stderr}`);
      const again = JSON.parse(k('classify', '--json', '--root', join(work, 'src'), '--root', join(work, 'build', 'virt-v7__UP'), out).stdout) as {
        diagnostics: { kind: string; fingerprint: string }[];
      };
      // The stored build (the store answers: cached, nothing is built).
      const stored = JSON.parse(k('run', '--tree', tree, ...store, '--json', brk).stdout) as {
        builds: { diagnostics: { kind: string; fingerprint: string }[] }[];
      };
      const want = stored.builds[0]!.diagnostics.filter((d) => d.kind === 'compile-error').map((d) => d.fingerprint);
      expect(want.length).toBeGreaterThan(0);
      expect(again.diagnostics.filter((d) => d.kind === 'compile-error').map((d) => d.fingerprint)).toEqual(expect.arrayContaining(want));
      expect(existsSync(join(work, 'build', 'virt-v7__UP', '.config'))).toBe(true);
    });
  });
});
