import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { commonGitDir, treeId } from '../../src/workspace/git.js';
import { acquireLock } from '../../src/workspace/lock.js';
import { cacheRoot, treeSlot, type TreeSlot } from '../../src/workspace/paths.js';
import { replayTree, tempDir } from '../helpers/replay.js';
import { buildRows, buildStageLog, containersOf, findFiles, groupAlive, query, recordedGroup, startJob, until, type Job } from '../helpers/signals.js';

/**
 * Real signals to real kmatrix processes during real builds (host and podman), sent the way a terminal
 * does (Ctrl-C: SIGINT to the whole process group) and the way `kill` does (the kmatrix pid alone).
 * Each interrupts early in an incremental build of the warm virt-v7/UP build dirs. After every one:
 * exit 3, the build in flight recorded as ERROR, finished builds kept, no make group and no container
 * left, no in-flight marker, the run left unfinished (it did not complete) and claimed by nobody, the worktree lock free. SIGKILL leaves things behind by
 * nature: the next command must find and clean them.
 */
const CELL = 'virt-v7/UP';
const PODMAN = ['--runtime', 'podman', '--oci-runtime', 'runc', '--runtime-flag=--ulimit=nofile=20000:20000', '--runtime-flag=--ulimit=nproc=4096:4096'];
type Send = 'terminal' | 'kill';

/** Live processes whose command line mentions `path`. */
const processesMentioning = (path: string): string[] =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path) && !/^State:\s+Z/m.test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    });

describe('signals during real builds', () => {
  let tree: string;
  let sha: Map<string, string>;
  let slot: TreeSlot;
  /** signal × command combinations survived, for the report. */
  const survived: string[] = [];
  const started: Job[] = [];
  /** startJob, remembered so that a failing test cannot leave the process running. */
  const start = (args: string[], env?: Record<string, string>): Job => {
    const j = startJob(args, env);
    started.push(j);
    return j;
  };

  afterEach(() => {
    // A failed assertion must not leave a kmatrix building in the shared dirs.
    for (const j of started.splice(0)) if (j.child.exitCode === null && j.child.signalCode === null) j.terminal('SIGTERM');
  });

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    sha = new Map([...r.commits].map(([label, c]) => [label, c.sha]));
    slot = treeSlot(cacheRoot(), treeId(await commonGitDir(tree)));
  });

  const runtimeArgs = (rt: 'host' | 'podman') => (rt === 'host' ? ['--runtime', 'host'] : PODMAN);

  /** Wait until `job` is in the build stage of its `nth` build (make running), return the make/client group. */
  const inBuildStage = async (job: Job, results: string, rt: 'host' | 'podman', commit?: string): Promise<number> => {
    await until('the build stage', () => {
      const log = buildStageLog(results);
      return log !== null && (!commit || log.includes(`/${commit.slice(0, 12)}/`)) && recordedGroup(slot.buildDir(CELL, rt)) !== null;
    }, 600_000);
    await new Promise((r) => setTimeout(r, 1500));
    if (job.child.exitCode !== null) throw new Error(`kmatrix ended before the signal: ${job.stderr()}`);
    return recordedGroup(slot.buildDir(CELL, rt))!;
  };

  /** What must hold after any handled signal. */
  const assertClean = async (job: Job, dir: string, pgid: number) => {
    expect(groupAlive(pgid), 'a make/engine process group outlived kmatrix').toBe(false);
    expect(await containersOf(job.pid)).toEqual([]);
    expect(findFiles(dir, /\.inflight$/)).toEqual([]);
    // The interrupted (or killed) run stays unfinished, so merge and reports show it did not complete; no live
    // owner claim is left for a later command to take it for a killed one.
    const open = query<{ id: number }>(join(dir, 'k.db'), 'SELECT id FROM runs WHERE finished_at IS NULL');
    expect(open).toHaveLength(1);
    expect(existsSync(join(dir, 'logs', `run-${open[0]!.id}`, 'owner')), 'a live owner claim is left on the unfinished run').toBe(false);
    expect(findFiles(dir, /^owner$/), 'every run gave up its owner claim').toEqual([]);
    const release = await acquireLock(slot.lockFile, { waitMs: 0 });
    release();
  };

  const interruptRun = async (rt: 'host' | 'podman', send: Send, sig: NodeJS.Signals, twoCommits: boolean) => {
    const dir = tempDir('kmatrix-sig-');
    const db = join(dir, 'k.db');
    const [c1, c2] = [sha.get('pgtable-mapping')!, sha.get('2013-fix')!];
    const revs = twoCommits ? [c1, c2] : [c2];
    const job = start(['run', ...runtimeArgs(rt), '--tree', tree, '--db', db, '--cells', CELL, '-j', '1', ...revs]);
    const pgid = await inBuildStage(job, dir, rt, c2);
    job[send](sig);
    const { code } = await job.exited;
    expect(code, job.stderr()).toBe(3);
    expect(job.stderr()).toContain(`kmatrix: ${sig}: stopping builds`);
    const rows = buildRows(db);
    expect(rows.map((r) => [r.commit_sha, r.status])).toEqual([...(twoCommits ? [[c1, expect.stringMatching(/PASS|FAIL/)]] : []), [c2, 'ERROR']]);
    expect(rows.at(-1)!.messages).toContain(`interrupted (${sig}): kmatrix was stopped during this build`);
    await assertClean(job, dir, pgid);
    survived.push(`run/${rt}/${send} ${sig}`);
  };

  it('run, interrupted while waiting for the tree lock: exit 3, --json lists the cell as missing, the run stays unfinished', async () => {
    const dir = tempDir('kmatrix-sig-');
    const db = join(dir, 'k.db');
    const release = await acquireLock(slot.lockFile, { waitMs: 600_000 });
    try {
      const job = start(['run', '--runtime', 'host', '--tree', tree, '--db', db, '--cells', CELL, '--rebuild', '--json', sha.get('2013-fix')!]);
      await until('the waiting message', () => /waiting for process/.test(job.stderr()), 120_000);
      job.kill('SIGINT');
      const { code } = await job.exited;
      expect(code, job.stderr()).toBe(3);
      const doc = JSON.parse(job.stdout()) as { builds: unknown[]; missing: { cell: string; reason: string }[] };
      expect(doc.builds).toEqual([]);
      expect(doc.missing).toEqual([{ commit: sha.get('2013-fix')!, cell: CELL, reason: 'interrupted before it was built' }]);
      expect(query<{ n: number }>(db, 'SELECT count(*) AS n FROM runs WHERE finished_at IS NULL')[0]!.n).toBe(1);
    } finally {
      release();
    }
  });

  it('run, host: Ctrl-C (SIGINT to the process group) keeps the finished build and records the one in flight', async () => {
    await interruptRun('host', 'terminal', 'SIGINT', true);
  });

  it.each([['SIGINT'], ['SIGTERM'], ['SIGHUP']] as const)('run, host: kill -%s of the kmatrix pid alone', async (sig) => {
    await interruptRun('host', 'kill', sig, false);
  });

  it('run, podman: Ctrl-C keeps the finished build, records the one in flight, removes the container', async () => {
    await interruptRun('podman', 'terminal', 'SIGINT', true);
  });

  it('run, podman: SIGHUP (terminal closed) to the kmatrix pid', async () => {
    await interruptRun('podman', 'kill', 'SIGHUP', false);
  });

  it('run, podman: Ctrl-C twice exits at once; the exit hooks still kill the client and remove the container', async () => {
    const dir = tempDir('kmatrix-sig-');
    const db = join(dir, 'k.db');
    // The clean stop after the first Ctrl-C can now finish within 0.2 s (a fast `podman rm`), leaving no
    // process for the second one. A podman that takes 3 s to remove a container (as it does under load) keeps
    // kmatrix in its clean stop, so the second Ctrl-C always lands there. Everything else is the real podman.
    const bin = join(dir, 'bin');
    const podman = (await execa('sh', ['-c', 'command -v podman'])).stdout.trim();
    mkdirSync(bin);
    writeFileSync(join(bin, 'podman'), `#!/bin/sh\nfor a in "$@"; do [ "$a" = rm ] && sleep 3 && break; done\nexec ${podman} "$@"\n`, { mode: 0o755 });
    const job = start(['run', ...PODMAN, '--tree', tree, '--db', db, '--cells', CELL, sha.get('2013-fix')!], { PATH: `${bin}:${process.env.PATH}` });
    const pgid = await inBuildStage(job, dir, 'podman');
    job.terminal('SIGINT');
    await until('the first Ctrl-C to be handled', () => job.stderr().includes('SIGINT: stopping builds'), 10_000);
    await new Promise((r) => setTimeout(r, 200));
    job.terminal('SIGINT');
    expect((await job.exited).code).toBe(3);
    expect(job.stderr()).toContain('kmatrix: SIGINT again: exiting now');
    expect(groupAlive(pgid)).toBe(false);
    expect(await containersOf(job.pid)).toEqual([]);
    // Whatever the hard exit could not record, the next command does.
    const next = start(['run', ...PODMAN, '--tree', tree, '--db', db, '--cells', CELL, '--kconfig-only', sha.get('2013-fix')!]);
    expect((await next.exited).code, next.stderr()).toBe(0);
    expect(buildRows(db).filter((r) => r.run_id === 1).map((r) => r.status)).toEqual(['ERROR']);
    await assertClean(next, dir, pgid);
    survived.push('run/podman/terminal SIGINT×2');
  });

  it.each([
    ['nightly', 'SIGTERM', (s: Map<string, string>) => ['nightly', '--ref', s.get('2013-fix')!, '--baseline', s.get('pgtable-mapping')!, '--cells', CELL]],
    ['check', 'SIGINT', (s: Map<string, string>) => ['check', `${s.get('pgtable-mapping')!}..${s.get('2013-fix')!}`, '--tip-only', '--cells', CELL]],
    ['bisect', 'SIGHUP', (s: Map<string, string>) => ['bisect', '--good', s.get('pgtable-mapping')!, '--bad', s.get('2013-fix')!, '--cell', CELL]],
  ] as const)('%s, host: %s during its first build', async (name, sig, args) => {
    const dir = tempDir('kmatrix-sig-');
    const db = join(dir, 'k.db');
    const job = start([...args(sha), '--runtime', 'host', '--tree', tree, '--db', db]);
    const pgid = await inBuildStage(job, dir, 'host');
    job.terminal(sig);
    const { code } = await job.exited;
    expect(code, job.stderr()).toBe(3);
    const rows = buildRows(db);
    expect(rows.filter((r) => r.status === 'ERROR').length).toBeGreaterThanOrEqual(1);
    expect(rows.at(-1)!.messages).toContain(`interrupted (${sig}): kmatrix was stopped during this build`);
    await assertClean(job, dir, pgid);
    survived.push(`${name}/host/terminal ${sig}`);
  });

  it('SIGKILL, host: the make group survives kmatrix; the next run kills it and records the build as interrupted', async () => {
    const dir = tempDir('kmatrix-sig-');
    const db = join(dir, 'k.db');
    const job = start(['run', '--runtime', 'host', '--tree', tree, '--db', db, '--cells', CELL, sha.get('2013-fix')!]);
    const pgid = await inBuildStage(job, dir, 'host');
    job.kill('SIGKILL');
    expect((await job.exited).signal).toBe('SIGKILL');
    // Freeze the orphaned make so it cannot finish on its own before the next run looks (SIGKILL still reaches it).
    process.kill(-pgid, 'SIGSTOP');
    expect(groupAlive(pgid), 'make should still run: SIGKILL cannot be handled').toBe(true);
    expect(findFiles(dir, /\.inflight$/)).toHaveLength(1);
    const next = start(['run', '--runtime', 'host', '--tree', tree, '--db', db, '--cells', CELL, '--kconfig-only', sha.get('2013-fix')!]);
    expect((await next.exited).code, next.stderr()).toBe(0);
    expect(next.stderr()).toMatch(/found 1 run\(s\) of a kmatrix that was killed; 1 build\(s\) it had in flight are recorded as interrupted/);
    expect(next.stderr()).toContain('killed 1 build(s) left running by a kmatrix that died');
    const rows = buildRows(db);
    expect(rows.map((r) => [r.run_id, r.status])).toEqual([
      [1, 'ERROR'],
      [2, 'PASS'],
    ]);
    expect(rows[0]!.messages).toContain(`kmatrix (pid ${job.pid}) was killed during this build`);
    // The half-written log is kept (compressed) and says what happened.
    expect(findFiles(join(dir, 'logs', 'run-1'), /\.log\.gz$/)).toHaveLength(1);
    await assertClean(next, dir, pgid);
    survived.push('run/host SIGKILL + next run');
  });

  it('SIGKILL, podman: the container survives kmatrix; the next command removes it', async () => {
    const dir = tempDir('kmatrix-sig-');
    const db = join(dir, 'k.db');
    // The container must still be running when kmatrix dies. A warm build dir with ccache and the Kconfig stage
    // skipped can finish in seconds, so give make real work: mm/'s object files removed and ccache off (same CC, no rebuild).
    for (const o of findFiles(join(slot.buildDir(CELL, 'podman'), 'mm'), /\.o$/)) rmSync(o, { force: true });
    const job = start(['run', ...PODMAN, '--no-ccache', '--tree', tree, '--db', db, '--cells', CELL, sha.get('2013-fix')!]);
    const pgid = await inBuildStage(job, dir, 'podman');
    job.kill('SIGKILL');
    await job.exited;
    const left = await containersOf(job.pid);
    expect(left).toHaveLength(1);
    // Freeze it so it cannot finish (and --rm itself) before the next command looks.
    await execa('podman', ['--runtime', 'runc', 'pause', left[0]!]);
    const next = start(['run', ...PODMAN, '--tree', tree, '--db', db, '--cells', CELL, '--kconfig-only', sha.get('2013-fix')!]);
    expect((await next.exited).code, next.stderr()).toBe(0);
    expect(next.stderr()).toContain(`removing 1 container(s) left by a kmatrix process that died: ${left[0]}`);
    expect(await containersOf(job.pid)).toEqual([]);
    expect(buildRows(db).map((r) => r.status)).toEqual(['ERROR', 'PASS']);
    await assertClean(next, dir, pgid);
    survived.push('run/podman SIGKILL + next run');
  });

  it('demo (replay-tree creation): SIGINT removes its work dir; after SIGKILL the next one removes it', async () => {
    const cache = tempDir('kmatrix-sig-cache-');
    const work = (pid: number) => join(cache, 'replay', `tmp-${pid}`);
    const unpacking = (pid: number) => () => existsSync(work(pid)) && readdirSync(work(pid)).length > 0;
    const env = { KMATRIX_CACHE: cache };
    const a = start(['demo', '--path'], env);
    await until('unpacking', () => unpacking(a.pid)() || a.child.exitCode !== null);
    a.kill('SIGINT');
    expect((await a.exited).code, a.stderr()).toBe(3);
    expect(readdirSync(join(cache, 'replay'))).toEqual(['lock.db']);
    const b = start(['demo', '--path'], env);
    await until('unpacking', () => unpacking(b.pid)() || b.child.exitCode !== null);
    b.kill('SIGKILL');
    await b.exited;
    expect(existsSync(work(b.pid))).toBe(true);
    const c = start(['demo', '--path'], env);
    await until('unpacking', () => unpacking(c.pid)() || c.child.exitCode !== null);
    expect(c.child.exitCode, c.stderr()).toBeNull();
    expect(existsSync(work(b.pid))).toBe(false);
    expect(c.stderr()).toContain(`removed ${work(b.pid)}`);
    expect(processesMentioning(work(b.pid)), "the killed kmatrix's tar outlived the cleanup").toEqual([]);
    c.terminal('SIGTERM');
    expect((await c.exited).code).toBe(3);
    expect(readdirSync(join(cache, 'replay'))).toEqual(['lock.db']);
    survived.push('demo/kill SIGINT', 'demo SIGKILL + next', 'demo/terminal SIGTERM');
  });

  it('demo: SIGINT while the image is built and the replay tree is made (side by side) stops both and removes both scratch dirs', async () => {
    const cache = tempDir('kmatrix-sig-cache-');
    const results = tempDir('kmatrix-sig-');
    const image = 'localhost/kmatrix-test/interrupted:never';
    const job = start(['demo', ...PODMAN, '--image', image, '--db', join(results, 'k.db')], { KMATRIX_CACHE: cache });
    const scratch = () => (existsSync(join(cache, 'image')) ? readdirSync(join(cache, 'image')) : []);
    const work = join(cache, 'replay', `tmp-${job.pid}`);
    // Both are under way at the same time: the image's rootfs scratch dir and the replay tree's unpacking.
    await until('image scratch dir and replay unpacking', () =>
      (scratch().some((d) => d.startsWith(`rootfs-${job.pid}-`)) && existsSync(work) && readdirSync(work).length > 0) || job.child.exitCode !== null);
    expect(job.child.exitCode, job.stderr()).toBeNull();
    job.kill('SIGINT');
    expect((await job.exited).code, job.stderr()).toBe(3);
    expect(scratch()).toEqual([]);
    expect(readdirSync(join(cache, 'replay'))).toEqual(['lock.db']);
    expect(processesMentioning(cache), 'a process of the image build or the replay tree outlived kmatrix').toEqual([]);
    expect(existsSync(join(results, 'k.db')), 'no store before anything was built').toBe(false);
    survived.push('demo (image ‖ replay tree)/kill SIGINT');
  });

  it('image build: SIGINT stops mmdebstrap and removes the scratch dir', async () => {
    const cache = tempDir('kmatrix-sig-cache-');
    const job = start(['image', 'build', '--runtime', 'podman', '--image', 'localhost/kmatrix-test/interrupted:never'], { KMATRIX_CACHE: cache });
    const scratch = () => (existsSync(join(cache, 'image')) ? readdirSync(join(cache, 'image')) : []);
    await until('the scratch dir', () => scratch().some((d) => d.startsWith(`rootfs-${job.pid}-`)));
    await new Promise((r) => setTimeout(r, 2000));
    job.kill('SIGINT');
    expect((await job.exited).code, job.stderr()).toBe(3);
    expect(scratch()).toEqual([]);
    expect(processesMentioning(cache), 'a process of the image build outlived kmatrix').toEqual([]);
    survived.push('image build/kill SIGINT');
    process.stderr.write(`signals × commands survived: ${survived.length}: ${survived.join(', ')}\n`);
  });
});
