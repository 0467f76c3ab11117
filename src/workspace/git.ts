import { createHash } from 'node:crypto';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { InputError } from '../errors.js';
import type { CommitInfo } from '../types.js';

/** Run git in `dir`; returns trimmed stdout or throws with git's own message (an abort kills git). */
export async function git(dir: string, args: string[], env?: Record<string, string>, signal?: AbortSignal): Promise<string> {
  const r = await execa('git', ['-C', dir, ...args], { reject: false, env, stdin: 'ignore', cancelSignal: signal });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} (in ${dir}): ${String(r.stderr).trim() || r.shortMessage}`);
  return String(r.stdout).trim();
}

/** The repository's shared git dir as git reports it, absolute and real: identifies a tree whatever worktree it is seen through; an InputError on --tree if it is none. */
export async function commonGitDir(tree: string): Promise<string> {
  if (!existsSync(tree)) throw new InputError('--tree', null, null, `${tree}: no such directory`);
  let out: string;
  try {
    out = await git(tree, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  } catch {
    throw new InputError('--tree', null, null, `${resolve(tree)} is not a git repository (kmatrix builds commits; run \`kmatrix demo --path\` for the replay tree)`);
  }
  return realpathSync(out);
}

/** Stable short id of a tree for cache paths. */
export function treeId(commonDir: string): string {
  return createHash('sha1').update(commonDir).digest('hex').slice(0, 12);
}

/** Expand revision arguments (`A..B` ranges oldest first, single revs) to unique full SHAs. */
export async function resolveRevisions(tree: string, revs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rev of revs.length ? revs : ['HEAD']) {
    if (rev.includes('..')) {
      let list: string;
      try {
        list = await git(tree, ['rev-list', '--reverse', rev, '--']);
      } catch (e) {
        throw new InputError('revision', null, null, `bad range '${rev}': ${(e as Error).message.split(': ').slice(1).join(': ')}`);
      }
      if (!list) throw new InputError('revision', null, null, `range '${rev}' is empty: it contains no commits`);
      out.push(...list.split('\n'));
    } else {
      try {
        out.push(await git(tree, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]));
      } catch {
        throw new InputError('revision', null, null, `unknown revision '${rev}' in ${resolve(tree)} (not a commit git knows there)`);
      }
    }
  }
  return [...new Set(out)];
}

/**
 * Check that every commit is a Linux kernel tree for `srcarch` (top-level Makefile and Kconfig, arch/<srcarch>/Kconfig)
 * with one `git cat-file --batch-check`; throws an exit-2 InputError naming --tree and the first commit that is not.
 */
export async function assertKernelTree(tree: string, shas: readonly string[], srcarch: string): Promise<void> {
  const files = ['Makefile', 'Kconfig', `arch/${srcarch}/Kconfig`];
  const input = shas.flatMap((sha) => files.map((f) => `${sha}:${f}`)).join('\n') + '\n';
  const r = await execa('git', ['-C', tree, 'cat-file', '--batch-check'], { input, reject: false });
  if (r.exitCode !== 0) throw new Error(`git cat-file --batch-check (in ${tree}): ${String(r.stderr).trim() || r.shortMessage}`);
  const lines = String(r.stdout).split('\n');
  for (const [i, sha] of shas.entries()) {
    const absent = files.filter((_, j) => / missing$/.test(lines[i * files.length + j] ?? ' missing'));
    if (absent.length) {
      throw new InputError('--tree', null, null, `${resolve(tree)} at ${sha.slice(0, 12)} is not a Linux kernel tree for ARCH ${srcarch} (no ${absent.join(', ')})`);
    }
  }
}

/** Subject, author and tree of a commit. */
export async function commitInfo(tree: string, sha: string): Promise<CommitInfo> {
  const out = await git(tree, ['show', '-s', '--format=%H%x00%T%x00%s%x00%an <%ae>%x00%aI', sha]);
  const [full, treeSha, subject, author, authorDate] = out.split('\0');
  return { sha: full ?? sha, treeSha: treeSha ?? '', subject: subject ?? '', author: author ?? '', authorDate: authorDate ?? '' };
}

/** Put a detached worktree of `tree` at `path` on `sha`; the user's checkout is never touched. */
export async function checkoutWorktree(tree: string, path: string, sha: string): Promise<void> {
  if (existsSync(join(path, '.git'))) {
    try {
      const top = await git(path, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
      if (realpathSync(top) === (await commonGitDir(tree))) {
        await git(path, ['checkout', '--quiet', '--detach', '--force', sha]);
        return;
      }
    } catch {
      /* stale worktree (the repository was re-created): make it again below */
    }
  }
  rmSync(path, { recursive: true, force: true });
  await git(tree, ['worktree', 'prune']);
  await git(tree, ['worktree', 'add', '--quiet', '--detach', '--force', path, sha]);
}
