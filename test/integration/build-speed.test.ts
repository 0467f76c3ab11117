/**
 * Real builds through the CLI: an incremental build of the next commit skips the Kconfig stage, and a `--rebuild`
 * in a fresh cache dir (new worktree path, new build dir) that shares the ccache gets ccache hits and the same outcome.
 * Host runtime, one cell, the tip commits of the shared replay tree (the warm host build dir of the other tests).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheRoot } from '../../src/workspace/paths.js';
import { expectCheckoutUntouchedSync } from '../helpers/checkout.js';
import { CLI, cli, replayTree, ROOT, tempDir } from '../helpers/replay.js';

interface JsonBuild {
  commit: string;
  cell: string;
  status: string;
  log: string | null;
  diagnostics: { kind: string; severity: string; fingerprint: string }[];
}

const logText = (b: JsonBuild) => gunzipSync(readFileSync(b.log!)).toString('utf8');
const errors = (b: JsonBuild) => b.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.kind} ${d.fingerprint}`).sort();
const ccacheHits = (log: string) => Number(/^kmatrix: ccache: (\d+) hits/m.exec(log)?.[1] ?? NaN);

describe('incremental builds skip the Kconfig stage; ccache serves a fresh build dir (real builds, host runtime)', () => {
  let tree: string;
  let tip: string;
  let first: JsonBuild[];
  const fresh = tempDir('kmatrix-fresh-cache-');

  beforeAll(async () => {
    const r = await replayTree();
    tree = r.tree;
    tip = r.commits.get('tip')!.sha;
    const db = join(tempDir(), 'kmatrix.db');
    const out = cli(['run', '--tree', tree, '--db', db, '--cells', 'virt-v7/UP', '--runtime', 'host', '--rebuild', '--json', `${tip}~2..${tip}`]);
    expect(out.code, out.stderr).toBe(0);
    first = (JSON.parse(out.stdout) as { builds: JsonBuild[] }).builds;
  });

  afterAll(() => {
    rmSync(fresh, { recursive: true, force: true });
    if (tree) execFileSync('git', ['-C', tree, 'worktree', 'prune']);
  });

  it('the second of two consecutive commits skipped the Kconfig stage and passed', () => {
    expect(first.map((b) => b.status)).toEqual(['PASS', 'PASS']);
    expect(first[1]!.commit).toBe(tip);
    expect(logText(first[1]!)).toMatch(/^kmatrix: Kconfig stage skipped/m);
    expect(logText(first[1]!)).not.toMatch(/allnoconfig/);
  });

  it('a --rebuild in a fresh cache dir sharing the ccache: ccache hits, same outcome', () => {
    // Another cache root: another worktree path and an empty build dir; only the ccache dir is shared.
    symlinkSync(join(cacheRoot(), 'ccache'), join(fresh, 'ccache'));
    const db = join(fresh, 'kmatrix.db');
    const args = ['run', '--tree', tree, '--db', db, '--cells', 'virt-v7/UP', '--runtime', 'host', '--rebuild', '--json', tip];
    const stdout = expectCheckoutUntouchedSync(tree, () =>
      execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', KMATRIX_CACHE: fresh }, maxBuffer: 64 << 20 }),
    );
    const [again] = (JSON.parse(stdout) as { builds: JsonBuild[] }).builds;
    const log = logText(again!);
    // A fresh build dir: the Kconfig stage ran, and the paths are the fresh cache's, not the warm one's.
    expect(log).toMatch(/^\$ make .* allnoconfig$/m);
    expect(log).toContain(join(fresh, 'trees'));
    expect(ccacheHits(log)).toBeGreaterThan(0);
    expect(again!.status).toBe(first[1]!.status);
    expect(errors(again!)).toEqual(errors(first[1]!));
  });
});
