import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './replay.js';

/** better-sqlite3's native binding as `npm ci` compiled it for this checkout. */
const BINDING = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

/**
 * `npm pack` of this checkout as a user gets it: the files git sees are copied to `<tmp>/checkout` (node_modules
 * linked) and packed there, so prepack's build never replaces the dist/ other tests are running.
 * Returns the tarball, the files it ships and npm's integrity (sha512-<base64>).
 */
export function packCheckout(tmp: string): { tarball: string; files: string[]; integrity: string } {
  const checkout = join(tmp, 'checkout');
  const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of tracked.filter((x) => existsSync(join(ROOT, x)))) {
    mkdirSync(dirname(join(checkout, f)), { recursive: true });
    cpSync(join(ROOT, f), join(checkout, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  if (existsSync(join(checkout, 'dist'))) throw new Error('packCheckout: dist/ was copied (it must be built by prepack)');
  const out = execFileSync('npm', ['pack', '--pack-destination', tmp, '--json'], { cwd: checkout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const info = (JSON.parse(out) as { filename: string; integrity: string; files: { path: string }[] }[])[0]!;
  return { tarball: join(tmp, info.filename), files: info.files.map((f) => f.path), integrity: info.integrity };
}

/** The better-sqlite3 version installed under a package dir (whose compiled binding must match it). */
export function sqliteVersion(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
}

/** Copy the compiled binding into an installed kmatrix (for an install made without install scripts). */
export function copyBinding(installedPackage: string): void {
  const to = join(installedPackage, BINDING);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(ROOT, BINDING), to);
}

/**
 * An npm cache dir in which better-sqlite3's install script (prebuild-install) finds its prebuilt binding, as if
 * downloaded before: `_prebuilds/<hash of the release URL>-<name>` holds this checkout's compiled binding, and
 * `_cacache` is the user's npm cache (linked), so an offline `npm install` of the kmatrix tarball runs every
 * install script unchanged in seconds instead of compiling SQLite for minutes.
 */
export function npmCacheWithPrebuild(dir: string): string {
  const version = sqliteVersion(ROOT);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const url = `https://github.com/WiseLibs/better-sqlite3/releases/download/v${version}/${name}`;
  const cached = join(dir, '_prebuilds', `${createHash('sha512').update(url).digest('hex').slice(0, 6)}-${name.replace(/[^a-zA-Z0-9.]+/g, '-')}`);
  mkdirSync(dirname(cached), { recursive: true });
  execFileSync('tar', ['-czf', cached, '-C', join(ROOT, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node']);
  const user = join(process.env['npm_config_cache'] ?? join(homedir(), '.npm'), '_cacache');
  if (!existsSync(join(dir, '_cacache'))) symlinkSync(user, join(dir, '_cacache'));
  return dir;
}
