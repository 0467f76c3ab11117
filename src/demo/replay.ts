import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { git } from '../workspace/git.js';
import { acquireLock } from '../workspace/lock.js';
import { subdirs } from '../runtime/host.js';
import { alive, killProcessesUnder } from '../runtime/process.js';
import { InfraError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';

/** Debian's kernel source tarball the replay tree is made from. */
export const SOURCE_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
/** The Debian package that provides it. */
export const SOURCE_PACKAGE = 'linux-source-6.1';
/** Our patch series, applied one commit each on top of the baseline. */
export const SERIES_DIR = join(PACKAGE_ROOT, 'src', 'demo', 'series');

/** Fixed identity and dates so every machine gets the same commit SHAs. */
const REPLAY_ENV = {
  GIT_AUTHOR_NAME: 'kmatrix replay',
  GIT_AUTHOR_EMAIL: 'replay@kmatrix.invalid',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'kmatrix replay',
  GIT_COMMITTER_EMAIL: 'replay@kmatrix.invalid',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
};

/** Subject of the baseline commit. */
export const BASELINE_SUBJECT = 'Linux 6.1.192 (Debian linux-source-6.1)';

/** Raised when the replay tree cannot be prepared for reasons outside kmatrix (exit 3). */
export class ReplayError extends InfraError {}

/** Patch files of the series, in order. */
export function seriesFiles(dir = SERIES_DIR): string[] {
  const list = join(dir, 'series');
  const names = existsSync(list)
    ? readFileSync(list, 'utf8').split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('#'))
    : readdirSync(dir).filter((f) => f.endsWith('.patch')).sort();
  return names.map((n) => join(dir, n));
}

/** Identity of what the replay tree is made of: the tarball and the series. */
export function replayStamp(tarball = SOURCE_TARBALL, dir = SERIES_DIR): string {
  const h = createHash('sha256');
  const st = statSync(tarball);
  h.update(`${st.size}\n`);
  for (const f of seriesFiles(dir)) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** Remove the block Debian appends to .gitignore (it ignores everything at the top level). */
export function stripDebianGitignore(text: string): string {
  return text.replace(/#\n# Debian packaging: ignore everything at the top level, since it isn't\n# included in our repository\n#\n\/\*\n!\/debian\/\n?$/, '');
}

/** Make sure the kernel source tarball is present: install it as root, or say exactly what to install. */
async function ensureTarball(log: (s: string) => void): Promise<void> {
  if (existsSync(SOURCE_TARBALL)) return;
  if (process.getuid?.() !== 0) {
    throw new ReplayError(`${SOURCE_TARBALL} is missing: install it with \`sudo apt-get install ${SOURCE_PACKAGE}\``);
  }
  log(`kmatrix: ${SOURCE_TARBALL} is missing; installing ${SOURCE_PACKAGE} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-qq'], { env, reject: false, stdio: 'inherit' });
  const r = await execa('apt-get', ['install', '-y', '-qq', SOURCE_PACKAGE], { env, reject: false, stdout: 'ignore', stderr: 'inherit' });
  if (r.exitCode !== 0 || !existsSync(SOURCE_TARBALL)) {
    throw new ReplayError(`could not install ${SOURCE_PACKAGE} (apt-get exit ${r.exitCode}); install it by hand: apt-get install ${SOURCE_PACKAGE}`);
  }
}

/**
 * Path of the replay tree under the cache, one per stamp: a changed series makes a tree of its own next to the
 * old one, so a checkout that still has the old series never rebuilds the tree another one uses.
 */
export function replayPath(cache: string, stamp: string): string {
  return join(cache, 'replay', `linux-6.1-replay-${stamp}`);
}

/** Prepare (once; cached by stamp) the replay git tree: Debian's 6.1 source + our series; returns its path. */
export async function ensureReplayTree(cache: string, log: (s: string) => void = () => {}, signal?: AbortSignal): Promise<string> {
  await ensureTarball(log);
  const stamp = replayStamp();
  const path = replayPath(cache, stamp);
  const stampFile = join(path, '.git', 'kmatrix-replay-stamp');
  const ready = () => existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp;
  if (ready()) return path;
  const release = await acquireLock(join(cache, 'replay', 'lock'), {
    onWait: (pid) => log(`kmatrix: waiting for process ${pid}, which is preparing the replay tree`),
    signal,
  });
  try {
    if (!ready()) await createReplayTree(cache, path, stamp, log, signal);
  } finally {
    release();
  }
  return path;
}

/** Remove work dirs (`tmp-<pid>`) of replay-tree creations whose process is dead; returns them. */
export function removeStaleWork(replayDir: string): string[] {
  const removed: string[] = [];
  for (const d of subdirs(replayDir)) {
    const m = /\/tmp-(\d+)$/.exec(d);
    if (m && (Number(m[1]) === process.pid || !alive(Number(m[1])))) {
      killProcessesUnder(d); // a tar or git still writing there after its kmatrix was killed
      rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      removed.push(d);
    }
  }
  return removed;
}

/** Create the tree in a `tmp-<pid>` work dir that is removed whatever happens (failure, abort, exit). */
async function createReplayTree(cache: string, path: string, stamp: string, log: (s: string) => void, signal?: AbortSignal): Promise<void> {
  for (const d of removeStaleWork(join(cache, 'replay'))) log(`kmatrix: removed ${d}, left by an earlier run that was stopped`);
  const work = join(cache, 'replay', `tmp-${process.pid}`);
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  process.on('exit', cleanup);
  try {
    await fillReplayTree(work, path, stamp, log, signal);
  } finally {
    cleanup();
    process.off('exit', cleanup);
  }
}

/** Unpack, commit the baseline, apply the series, then move the finished repository into place. */
async function fillReplayTree(work: string, path: string, stamp: string, log: (s: string) => void, signal?: AbortSignal): Promise<void> {
  const t0 = Date.now();
  const step = () => {
    if (signal?.aborted) throw new ReplayError('replay tree creation interrupted; its work dir was removed');
  };
  mkdirSync(work, { recursive: true });
  log(`kmatrix: unpacking ${SOURCE_TARBALL} (about 15 s)`);
  const tar = await execa('tar', ['-xf', SOURCE_TARBALL, '-C', work], { cancelSignal: signal, reject: false });
  step();
  if (tar.exitCode !== 0) throw new ReplayError(`could not unpack ${SOURCE_TARBALL}: ${String(tar.stderr).trim() || tar.shortMessage}`);
  const src = join(work, readdirSync(work)[0] ?? 'linux-source-6.1');
  const gi = join(src, '.gitignore');
  writeFileSync(gi, stripDebianGitignore(readFileSync(gi, 'utf8')));
  log('kmatrix: committing the baseline (about 30 s)');
  const env = { ...REPLAY_ENV };
  await git(src, ['init', '-q', '-b', 'master'], env, signal);
  await git(src, ['config', 'core.autocrlf', 'false'], env, signal);
  await git(src, ['add', '-A'], env, signal).finally(step);
  await git(src, ['commit', '-q', '-m', BASELINE_SUBJECT], env, signal).finally(step);
  const patches = seriesFiles();
  log(`kmatrix: applying ${patches.length} patches`);
  const amEnv = { GIT_COMMITTER_NAME: REPLAY_ENV.GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL: REPLAY_ENV.GIT_COMMITTER_EMAIL };
  try {
    await git(src, ['am', '--committer-date-is-author-date', '-q', ...patches], amEnv, signal);
  } catch (e) {
    step();
    throw new ReplayError(`the replay series does not apply: ${(e as Error).message}`);
  }
  await git(src, ['gc', '--auto', '--quiet'], env, signal).catch(() => {});
  step();
  writeFileSync(join(src, '.git', 'kmatrix-replay-stamp'), `${stamp}\n`);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(join(path, '..'), { recursive: true });
  renameSync(src, path);
  log(`kmatrix: replay tree ready at ${path} (${Math.round((Date.now() - t0) / 1000)} s)`);
}
