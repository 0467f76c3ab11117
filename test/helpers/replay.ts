import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cacheRoot } from '../../src/workspace/paths.js';
import { demoCommits, type DemoCommit } from '../../src/demo/commits.js';
import { ensureReplayTree } from '../../src/demo/replay.js';
import { expectCheckoutUntouchedSync } from './checkout.js';

/** The project root. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** The compiled CLI (npm test compiles first). */
export const CLI = join(ROOT, 'bin', 'kmatrix.js');

/** The shared replay tree (prepared once, cached under the user's kmatrix cache like `kmatrix demo`). */
export async function replayTree(): Promise<{ tree: string; commits: Map<string, DemoCommit> }> {
  const tree = await ensureReplayTree(cacheRoot(), (s) => process.stderr.write(`${s}\n`));
  const commits = new Map((await demoCommits(tree)).map((c) => [c.label, c]));
  return { tree, commits };
}

/** A fresh temp dir for a test's database and logs. */
export function tempDir(prefix = 'kmatrix-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Run the CLI; returns exit code, stdout, stderr. Fails the test if it changed the checkout of its `--tree`. */
export function cli(args: string[], opts: { cwd?: string } = {}): { code: number; stdout: string; stderr: string } {
  const t = args.indexOf('--tree');
  return expectCheckoutUntouchedSync(t >= 0 ? args[t + 1] : opts.cwd, () => cliRaw(args, opts));
}

function cliRaw(args: string[], opts: { cwd?: string }): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}
