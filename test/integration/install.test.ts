import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeTree } from '../helpers/fake-tree.js';
import { copyBinding, packCheckout, sqliteVersion } from '../helpers/pack.js';
import { ROOT, tempDir } from '../helpers/replay.js';

/**
 * kmatrix installs like a tool: `npm pack` (prepack builds dist/), the tarball installed into a temp prefix,
 * then the installed bin and npx run from an empty directory. Dependencies come from npm's cache where it has them
 * (`--prefer-offline`) and from the registry otherwise: `npm ci` caches tarballs but not the registry's package
 * documents that a global install resolves ranges with, so a fresh machine has to fetch those (an `--offline`
 * install failed there with ENOTCACHED).
 * The pack runs in a copy of the checkout (its files as git sees them, node_modules linked), so its build
 * never replaces the dist/ other tests are running.
 *
 * One shortcut, to stay cheap: npm 11 runs no install scripts of a global install unless allowed
 * (`--allow-scripts=better-sqlite3`), and better-sqlite3's script compiles SQLite (minutes on 2 cores). The test
 * installs without scripts and copies in the binding `npm ci` already compiled for this checkout when the installed
 * better-sqlite3 is the same version (same Node); when the registry resolved another version it runs that version's own
 * install script instead (slow, but never a binding built from other sources). Everything else is the tarball as a
 * user gets it.
 */
describe('npm pack → install → run from an empty directory', () => {
  const tmp = tempDir('kmatrix-install-');
  const prefix = join(tmp, 'prefix');
  const empty = join(tmp, 'empty');
  const results = join(tmp, 'results');
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  let tarball = '';
  let files: string[] = [];
  const env = { ...process.env, KMATRIX_RESULTS: results, KMATRIX_CACHE: join(tmp, 'cache'), npm_config_prefix: prefix, npm_config_audit: 'false', npm_config_fund: 'false' };
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: empty, env, encoding: 'utf8' });

  beforeAll(() => {
    mkdirSync(empty, { recursive: true });
    const p = packCheckout(tmp);
    tarball = p.tarball;
    files = p.files;
    execFileSync('npm', ['install', '-g', '--prefer-offline', '--loglevel=error', tarball], { cwd: empty, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const installed = join(prefix, 'lib/node_modules/kmatrix');
    if (sqliteVersion(installed) === sqliteVersion(ROOT)) copyBinding(installed);
    else execFileSync('npm', ['rebuild', 'better-sqlite3', '--foreground-scripts', '--loglevel=error'], { cwd: installed, env, stdio: ['ignore', 'pipe', 'pipe'] });
  }, 900_000);

  it('the tarball ships dist/ and what the CLI reads at run time, and no tests or sources', () => {
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('bin/kmatrix.js');
    expect(files).toContain('matrix/zsmalloc-arm.yaml');
    expect(files).toContain('support/kconfig.yaml');
    expect(files).toContain('docker/packages.txt');
    expect(files.filter((f) => f.startsWith('src/demo/series/')).length).toBeGreaterThan(30);
    expect(files.filter((f) => f.startsWith('test/') || f.endsWith('.ts') || f.endsWith('.map'))).toEqual([]);
  });

  it('the installed bin prints the version from an empty directory', () => {
    const r = run(join(prefix, 'bin', 'kmatrix'), ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(version);
  });

  it('npx finds the installed kmatrix and runs it', () => {
    const r = run('npx', ['--no-install', 'kmatrix', '--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('a run writes its store and logs to the user results dir, never into the package or the current directory', () => {
    // A git tree with the files a kernel tree has, but no kernel: the Kconfig stage fails (FAIL, exit 1) after the
    // store has been opened and the build recorded.
    const { tree } = fakeTree(1);
    const r = run(join(prefix, 'bin', 'kmatrix'), ['run', '--tree', tree, '--runtime', 'host', '--kconfig-only', '--cells', 'virt-v7/UP']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^commit \(newest first\)\s+virt-v7\/UP$/m);
    expect(existsSync(join(results, 'kmatrix.db'))).toBe(true);
    expect(readdirSync(join(results, 'logs')).length).toBe(1);
    expect(readdirSync(join(prefix, 'lib/node_modules/kmatrix'))).not.toContain('results');
    expect(readdirSync(empty)).toEqual([]);
    const log = run(join(prefix, 'bin', 'kmatrix'), ['bisect', '--log']);
    expect([log.status, log.stderr]).toEqual([2, `kmatrix: --log: no bisect recorded in ${join(results, 'kmatrix.db')}\n`]);
  });

  it('classifies a log with the shipped classifier (exit 1: the log shows a FAIL)', () => {
    const r = run(join(prefix, 'bin', 'kmatrix'), ['classify', join(ROOT, 'test/fixtures/logs/modpost-undefined-up.log')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\n {2}error: modpost-undefined: v7wbi_flush_kern_tlb_range undefined in mm\/zsmalloc\.ko\n/);
  });
});
