/** The user's checkout must never change: its HEAD, index and status compared before and after every command. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** git in `tree` without taking optional locks (a plain `git status` would refresh and rewrite the index itself). */
function g(tree: string, args: string[]): string {
  return execFileSync('git', ['-C', tree, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** HEAD (and the branch it is on), the index (every staged entry, hashed) and `git status --porcelain` of a checkout. */
export function checkoutState(tree: string): { head: string; branch: string; index: string; status: string } {
  return {
    head: g(tree, ['rev-parse', 'HEAD']).trim(),
    branch: g(tree, ['symbolic-ref', '-q', '--short', 'HEAD']).trim() || '(detached)',
    index: createHash('sha1').update(g(tree, ['ls-files', '--stage', '-z'])).digest('hex'),
    status: g(tree, ['status', '--porcelain=v1', '-z']),
  };
}

/** Whether `dir` is the top of a git checkout (only those are compared). */
function isCheckout(dir: string | undefined): dir is string {
  return dir !== undefined && existsSync(join(dir, '.git'));
}

/** Run `fn` and fail if it changed the checkout at `tree` (HEAD, branch, index, status). */
export async function expectCheckoutUntouched<T>(tree: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  if (!isCheckout(tree)) return await fn();
  const before = checkoutState(tree);
  const r = await fn();
  expect(checkoutState(tree), `the command changed the checkout at ${tree}`).toEqual(before);
  return r;
}

/** The same check, synchronous (for the CLI run as a child process). */
export function expectCheckoutUntouchedSync<T>(tree: string | undefined, fn: () => T): T {
  if (!isCheckout(tree)) return fn();
  const before = checkoutState(tree);
  const r = fn();
  expect(checkoutState(tree), `the command changed the checkout at ${tree}`).toEqual(before);
  return r;
}

/** A command function (`diffCommand`, `checkCommand`, …) that also asserts it left the checkout of its flags' `--tree` as it was. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function guarded<F extends (...args: any[]) => Promise<unknown>>(fn: F, treeOf: (...args: Parameters<F>) => string | undefined): F {
  return ((...args: Parameters<F>) => expectCheckoutUntouched(treeOf(...args), () => fn(...args))) as F;
}
