/**
 * Bad input through the real CLI (in process, no kernel build): every case answers exit 2 with a message naming the
 * culprit (file:line:column for files, the flag for flags) and writes nothing — no store, no results dir, no cache,
 * and an existing store is left byte-for-byte as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';
import { fakeTree, gitIn } from '../helpers/fake-tree.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MATRIX = join(ROOT, 'matrix', 'zsmalloc-arm.yaml');
const work = mkdtempSync(join(tmpdir(), 'kmatrix-bad-input-'));
const cache = join(work, 'cache');
const { tree, shas } = fakeTree(3);
const plainTree = fakeTree(2, false).tree;
const notGit = mkdtempSync(join(tmpdir(), 'kmatrix-not-git-'));
// A commit with no parent and no relation to the tree's history.
const unrelated = gitIn(tree, 'commit-tree', gitIn(tree, 'rev-parse', 'HEAD^{tree}'), '-m', 'unrelated root');
let savedCache: string | undefined;

beforeAll(() => {
  savedCache = process.env['KMATRIX_CACHE'];
  process.env['KMATRIX_CACHE'] = cache;
});
afterAll(() => {
  if (savedCache === undefined) delete process.env['KMATRIX_CACHE'];
  else process.env['KMATRIX_CACHE'] = savedCache;
});

/** A matrix file in a fresh dir (with a good and a bad fragment file beside it). */
function matrixFile(yaml: string): string {
  const dir = mkdtempSync(join(work, 'm-'));
  writeFileSync(join(dir, 'frag.config'), 'CONFIG_ZRAM=m\n');
  writeFileSync(join(dir, 'bad.config'), 'CONFIG_ZRAM=m\nCONFIG_BROKEN y\n');
  const f = join(dir, 'm.yaml');
  writeFileSync(f, yaml);
  return f;
}

const GOOD = `version: 1
name: t
arch: arm
cross_compile: arm-linux-gnueabi-
runtime: host
targets: [vmlinux]
artifacts: []
fragments:
  f:
    file: frag.config
variants:
  UP: { config: ["# CONFIG_SMP is not set"] }
  SMP: { config: ["CONFIG_SMP=y"] }
configs:
  a:
    base: allnoconfig
    fragments: [f]
`;

/** A fresh results dir that must stay absent: the store goes in it. */
function freshDb(): { db: string; results: string } {
  const results = join(mkdtempSync(join(work, 'r-')), 'results');
  return { results, db: join(results, 'kmatrix.db') };
}

/** Everything under `dir` with its size and mtime: what "unchanged" is compared on. */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((f) => {
      const st = statSync(join(dir, f));
      return `${f} ${st.size} ${st.mtimeMs} ${st.isFile() ? sha(join(dir, f)) : 'dir'}`;
    })
    .join('\n');
}

function sha(file: string): string {
  return createHash('sha1').update(readFileSync(file)).digest('hex');
}

/** An existing store (made by this kmatrix) in its own dir. */
function existingStore(): { db: string; dir: string } {
  const dir = mkdtempSync(join(work, 's-'));
  const db = join(dir, 'kmatrix.db');
  copyFileSync(join(ROOT, 'test', 'fixtures', 'store', `v${MIGRATIONS.length - 1}.db`), db);
  return { db, dir };
}

interface Case {
  name: string;
  args: (db: string) => string[];
  /** What stderr must say (the culprit). */
  says: RegExp;
  /** Prepare an existing --db (its dir must stay unchanged); default: a fresh path whose results dir must stay absent. */
  store?: () => { db: string; dir: string };
}

/** A pinned install source for `kmatrix ci`, so that the flag under test is what gets refused. */
const PINNED_IMAGE = `registry.example.invalid/kmatrix@sha256:${'c'.repeat(64)}`;
const run = (...extra: string[]) => (db: string) => ['run', '--runtime', 'host', '--tree', tree, '--db', db, ...extra];

const CASES: Case[] = [
  // --- matrix files: file:line:column
  { name: 'matrix: YAML syntax error', args: (db) => run('--matrix', matrixFile(GOOD.replace('name: t', 'name: [t')))(db), says: /m\.yaml:\d+:\d+: /  },
  { name: 'matrix: unknown key', args: (db) => run('--matrix', matrixFile(GOOD + 'colour: red\n'))(db), says: /m\.yaml:18:1: unknown key 'colour'/ },
  { name: 'matrix: wrong type', args: (db) => run('--matrix', matrixFile(GOOD.replace('targets: [vmlinux]', 'targets: vmlinux')))(db), says: /m\.yaml:6:10: targets: .*expected array/ },
  { name: 'matrix: unsupported version', args: (db) => run('--matrix', matrixFile(GOOD.replace('version: 1', 'version: 2')))(db), says: /m\.yaml:1:\d+: .*version/ },
  { name: 'matrix: missing required key', args: (db) => run('--matrix', matrixFile(GOOD.replace('arch: arm\n', '')))(db), says: /m\.yaml:\d+:\d+: .*arch/ },
  { name: 'matrix: unknown fragment name', args: (db) => run('--matrix', matrixFile(GOOD.replace('fragments: [f]', 'fragments: [nope]')))(db), says: /m\.yaml:17:17: unknown fragment 'nope'/ },
  { name: 'matrix: fragment file missing', args: (db) => run('--matrix', matrixFile(GOOD.replace('file: frag.config', 'file: gone.config')))(db), says: /m\.yaml:10:\d+: .*gone\.config/ },
  { name: 'matrix: malformed line in a fragment file', args: (db) => run('--matrix', matrixFile(GOOD.replace('file: frag.config', 'file: bad.config')))(db), says: /bad\.config:2:\d+: / },
  { name: 'matrix: malformed inline Kconfig line', args: (db) => run('--matrix', matrixFile(GOOD.replace('"CONFIG_SMP=y"', '"SMP=y"')))(db), says: /m\.yaml:13:19: malformed Kconfig line "SMP=y"/ },
  { name: 'matrix: duplicate config', args: (db) => run('--matrix', matrixFile(GOOD + '  a:\n    base: allnoconfig\n'))(db), says: /m\.yaml:18:3: duplicate key/ },
  { name: 'matrix: unknown variant in a config', args: (db) => run('--matrix', matrixFile(GOOD + '    variants: [UP, QUAD]\n'))(db), says: /m\.yaml:18:20: config 'a' names unknown variant 'QUAD'/ },
  { name: 'matrix: fragment with both file and lines', args: (db) => run('--matrix', matrixFile(GOOD.replace('file: frag.config', 'file: frag.config\n    lines: ["CONFIG_X=y"]')))(db), says: /m\.yaml:\d+:\d+: / },
  { name: 'matrix: empty file', args: (db) => run('--matrix', matrixFile(''))(db), says: /m\.yaml(:\d+:\d+)?: / },
  { name: 'matrix: toolchain with an unknown family', args: (db) => run('--matrix', matrixFile(GOOD + 'toolchains:\n  icc: { family: intel }\n'))(db), says: /m\.yaml:19:\d+: toolchains\.icc\.family: / },
  { name: 'matrix: toolchain make variable with a bad name', args: (db) => run('--matrix', matrixFile(GOOD + 'toolchains:\n  c:\n    family: llvm\n    make: { "LLVM=1": "1" }\n'))(db), says: /m\.yaml:21:13: toolchains\.c\.make: 'LLVM=1' is not a make variable name/ },
  { name: 'matrix: toolchain overriding ARCH', args: (db) => run('--matrix', matrixFile(GOOD + 'toolchains:\n  c:\n    family: llvm\n    make: { ARCH: x86 }\n'))(db), says: /m\.yaml:21:13: toolchains\.c\.make: 'ARCH' is set by kmatrix/ },
  { name: 'matrix: config naming an unknown toolchain', args: (db) => run('--matrix', matrixFile(GOOD + '    toolchains: [gcc, clang]\n'))(db), says: /m\.yaml:18:23: config 'a' names unknown toolchain 'clang' \(known: gcc\)/ },
  { name: 'matrix: the old `toolchain:` label', args: (db) => run('--matrix', matrixFile(GOOD + 'toolchain: gcc-12\n'))(db), says: /m\.yaml:18:1: unknown key 'toolchain' .*replaced by a `toolchains:` section/ },
  {
    name: 'matrix: a YAML alias bomb (billion laughs)',
    args: (db) => run('--matrix', matrixFile(GOOD + 'bomb:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n' + ['b', 'c', 'd', 'e', 'f'].map((k, i) => `  ${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]\n`).join('')))(db),
    says: /m\.yaml:20:10: YAML aliases expand too much/,
  },
  { name: 'matrix: configs: {} (no config)', args: (db) => run('--matrix', matrixFile(GOOD.replace(/configs:[\s\S]*$/, 'configs: {}\n')))(db), says: /m\.yaml:14:10: configs: defines no config/ },
  { name: 'matrix: --matrix file that does not exist', args: (db) => run('--matrix', join(work, 'nope.yaml'))(db), says: /nope\.yaml.*(not found|no such)/i },
  // --- flags: the flag named
  { name: '--cells matching nothing', args: (db) => run('--cells', 'nope/*')(db), says: /--cells: 'nope\/\*' matches no cell/ },
  { name: '--kconfig-add that is not Kconfig', args: (db) => run('--kconfig-add', 'ZRAM=y')(db), says: /--kconfig-add: 'ZRAM=y' is neither a CONFIG_X=value line/ },
  { name: '--kconfig-add with a bad value', args: (db) => run('--kconfig-add', 'CONFIG_ZRAM=maybe')(db), says: /--kconfig-add: malformed Kconfig line 'CONFIG_ZRAM=maybe'/ },
  { name: '--variants unknown', args: (db) => run('--variants', 'QUAD')(db), says: /--variants: unknown variant 'QUAD'/ },
  { name: '--toolchain unknown', args: (db) => run('--toolchain', 'icc')(db), says: /--toolchain: unknown toolchain 'icc' \(the matrix defines: gcc; built-in: clang, llvm\)/ },
  { name: 'diff: --toolchain unknown', args: (db) => ['diff', '--tree', tree, '--db', db, '--toolchain', 'icc', 'HEAD~1', 'HEAD'], says: /--toolchain: unknown toolchain 'icc'/ },
  { name: 'bisect: --toolchain unknown', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', 'HEAD~2', '--bad', 'HEAD', '--cell', 'virt-v7/UP', '--toolchain', 'icc'], says: /--toolchain: unknown toolchain 'icc'/ },
  { name: '--jobs 0', args: (db) => run('--jobs', '0')(db), says: /--jobs: expects a positive integer/ },
  { name: '--kconfig not a target name', args: (db) => run('--kconfig', 'bad name!')(db), says: /--kconfig: 'bad name!' is not a Kconfig target name/ },
  { name: 'unknown option', args: (db) => run('--frobnicate')(db), says: /unknown option '--frobnicate'/ },
  // --- trees and revisions
  { name: '--tree that does not exist', args: (db) => ['run', '--runtime', 'host', '--tree', join(work, 'no-tree'), '--db', db], says: /--tree: .*no-tree: no such directory/ },
  { name: '--tree that is not a git repository', args: (db) => ['run', '--runtime', 'host', '--tree', notGit, '--db', db], says: /--tree: .* is not a git repository/ },
  { name: '--tree: a git repository that is not a kernel tree', args: (db) => ['run', '--runtime', 'host', '--tree', plainTree, '--db', db], says: /--tree: .* is not a Linux kernel tree for ARCH arm \(no Makefile, Kconfig, arch\/arm\/Kconfig\)/ },
  { name: 'unknown revision', args: (db) => run('no-such-rev')(db), says: /revision: unknown revision 'no-such-rev'/ },
  { name: 'empty range', args: (db) => run('HEAD..HEAD')(db), says: /revision: range 'HEAD\.\.HEAD' is empty/ },
  { name: 'range with an unknown end', args: (db) => run('HEAD~1..nosuch')(db), says: /revision: bad range 'HEAD~1\.\.nosuch'/ },
  // --- --db
  { name: '--db whose parent is a file', args: () => run()(join(tree, 'Makefile', 'x.db')), says: /--db: .*Makefile\/x\.db: .*Makefile is a file, not a directory/ },
  { name: '--db /etc/passwd/x.db', args: () => run()('/etc/passwd/x.db'), says: /--db: \/etc\/passwd\/x\.db: \/etc\/passwd is a file, not a directory/ },
  { name: '--db under /proc (mkdir there never returns if recursive)', args: () => run()('/proc/kmatrix-test/x.db'), says: /--db: \/proc\/kmatrix-test\/x\.db: cannot create \/proc\/kmatrix-test: ENOENT/ },
  { name: '--db that is a directory', args: () => run()(work), says: /--db: .* is a directory/ },
  {
    name: '--db: a text file, not a database',
    args: (db) => run()(db),
    store: () => {
      const dir = mkdtempSync(join(work, 's-'));
      writeFileSync(join(dir, 'notes.db'), 'hello\n');
      return { db: join(dir, 'notes.db'), dir };
    },
    says: /--db: .*notes\.db: is not a kmatrix result store \(not an SQLite database\)/,
  },
  {
    name: '--db: an SQLite database that is not a kmatrix store',
    args: (db) => run()(db),
    store: () => {
      const dir = mkdtempSync(join(work, 's-'));
      const other = new Database(join(dir, 'other.db'));
      other.exec('CREATE TABLE t (x)');
      other.close();
      return { db: join(dir, 'other.db'), dir };
    },
    says: /--db: .*other\.db: is an SQLite database but not a kmatrix result store/,
  },
  {
    name: '--db from a newer kmatrix',
    args: (db) => run()(db),
    store: () => {
      const s = existingStore();
      const raw = new Database(s.db);
      raw.pragma('journal_mode = DELETE');
      raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
      raw.close();
      return s;
    },
    says: /--db: .*kmatrix\.db: was written by a newer kmatrix \(schema version \d+, this kmatrix knows \d+\); left untouched/,
  },
  {
    name: '--db: a damaged store',
    args: (db) => run()(db),
    store: () => {
      const s = existingStore();
      const raw = new Database(s.db);
      raw.pragma('journal_mode = DELETE');
      raw.close();
      const bytes = readFileSync(s.db);
      bytes.fill(0x5a, 100, 4096); // the schema page after the header
      writeFileSync(s.db, bytes);
      return s;
    },
    says: /--db: .*kmatrix\.db: (database disk image is malformed|file is not a database)/,
  },
  // --- bisect
  { name: 'bisect: --good equals --bad', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', 'HEAD', '--bad', shas[2]!, '--cell', 'virt-v7/UP'], says: /--good: --good HEAD and --bad \w+ are the same commit/ },
  { name: 'bisect: unrelated endpoints', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', unrelated, '--bad', 'HEAD', '--cell', 'virt-v7/UP'], says: /--good: --good \w+ is not an ancestor of --bad \w+ \(unrelated or swapped/ },
  { name: 'bisect: swapped endpoints', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', 'HEAD', '--bad', 'HEAD~2', '--cell', 'virt-v7/UP'], says: /--good: .* is not an ancestor/ },
  { name: 'bisect: --cell matching nothing', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', 'HEAD~2', '--bad', 'HEAD', '--cell', 'nope'], says: /--cell: 'nope' matches no cell/ },
  { name: 'bisect: --cell matching several', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', 'HEAD~2', '--bad', 'HEAD', '--cell', 'virt-v7/*'], says: /--cell: 'virt-v7\/\*' matches 3 cells, bisect takes one/ },
  { name: 'bisect: malformed --match', args: (db) => ['bisect', '--tree', tree, '--db', db, '--good', 'HEAD~2', '--bad', 'HEAD', '--cell', 'virt-v7/UP', '--match', 'kind:nonsense'], says: /--match: unknown diagnostic kind 'nonsense'/ },
  { name: 'bisect --resume without a store', args: (db) => ['bisect', '--resume', '--db', db], says: /--db: .*: no result store \(nothing to resume\)/ },
  // --- check
  { name: 'check: unknown revision (git says why)', args: (db) => ['check', '--tree', tree, '--db', db, 'nosuch..HEAD'], says: /range: unknown revision 'nosuch' in 'nosuch\.\.HEAD' \(git: fatal: Needed a single revision\)/ },
  { name: 'check: empty range', args: (db) => ['check', '--tree', tree, '--db', db, 'HEAD..HEAD'], says: /range: 'HEAD\.\.HEAD' is empty/ },
  { name: 'check: symmetric range', args: (db) => ['check', '--tree', tree, '--db', db, 'HEAD~2...HEAD'], says: /range: symmetric range 'HEAD~2\.\.\.HEAD' is not a series/ },
  { name: 'check: --worktree with nothing uncommitted', args: (db) => ['check', '--tree', tree, '--db', db, '--worktree'], says: /--worktree: no uncommitted changes to tracked files/ },
  { name: 'check: --format unknown', args: (db) => ['check', '--tree', tree, '--db', db, '--format', 'pdf'], says: /--format must be text, md or json/ },
  { name: 'check: not a kernel tree', args: (db) => ['check', '--tree', plainTree, '--db', db, 'HEAD~1'], says: /--tree: .* is not a Linux kernel tree/ },
  // --- diff and nightly
  { name: 'diff: a range instead of a commit', args: (db) => ['diff', '--tree', tree, '--db', db, 'HEAD~2..HEAD', 'HEAD'], says: /revision: diff takes two commits, not a range/ },
  { name: 'diff: unknown revision', args: (db) => ['diff', '--tree', tree, '--db', db, 'HEAD', 'nosuch'], says: /revision: unknown revision 'nosuch'/ },
  { name: 'nightly: unknown --ref', args: (db) => ['nightly', '--tree', tree, '--db', db, '--ref', 'nosuch'], says: /revision: unknown revision 'nosuch'/ },
  { name: 'nightly: unknown --baseline', args: (db) => ['nightly', '--tree', tree, '--db', db, '--ref', 'HEAD', '--baseline', 'nosuch'], says: /revision: unknown revision 'nosuch'/ },
];

describe('bad input: exit 2, the culprit named, nothing written', () => {
  it(`covers at least 25 distinct cases (has ${CASES.length})`, () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const headBefore = gitIn(tree, 'rev-parse', 'HEAD');
    const statusBefore = gitIn(tree, 'status', '--porcelain');
    let check: () => void;
    let db: string;
    if (c.store) {
      const s = c.store();
      db = s.db;
      const before = snapshot(s.dir);
      check = () => expect(snapshot(s.dir)).toBe(before);
    } else {
      const f = freshDb();
      db = f.db;
      check = () => expect(existsSync(f.results)).toBe(false);
    }
    const r = await runCliInProcess(withMatrix(c.args(db)));
    expect(r.stderr).toMatch(c.says);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    check();
    expect(existsSync(cache)).toBe(false);
    expect(gitIn(tree, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(gitIn(tree, 'status', '--porcelain')).toBe(statusBefore);
  });

  it('a --db on a read-only file system is refused as not writable (tmpfs mounted read-only; needs root)', async (ctx) => {
    const mnt = mkdtempSync(join(work, 'ro-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      ctx.skip(`cannot mount a read-only tmpfs here: ${(e as Error).message}`);
    }
    try {
      const r = await runCliInProcess(run()(join(mnt, 'results', 'kmatrix.db')));
      expect(r.stderr).toMatch(/--db: .*results\/kmatrix\.db: not writable \(EROFS on .*ro-\w+\)/);
      expect(r.code).toBe(2);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('check: git failing for another reason (a missing object) is exit 3 with git’s message, not a usage error', async () => {
    const { tree: broken, shas: s } = fakeTree(3);
    // Remove the middle commit's object: rev-list cannot walk from the tip to the base.
    const obj = join(broken, '.git', 'objects', s[1]!.slice(0, 2), s[1]!.slice(2));
    rmSync(obj, { force: true });
    const { db, results } = freshDb();
    const r = await runCliInProcess(['check', '--tree', broken, '--db', db, `${s[0]}..${s[2]}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`git rev-list .*: (fatal|error): .*${s[1]!.slice(0, 7)}`));
    expect(existsSync(results)).toBe(false);
  });
});

/** Prepend the default matrix for commands that take one. */
function withMatrix(args: string[]): string[] {
  return args.includes('--matrix') || (args[0] === 'bisect' && args.includes('--resume')) ? args : [args[0]!, '--matrix', MATRIX, ...args.slice(1)];
}

/** A FIFO (named pipe) in a fresh dir: opening it for reading blocks until a writer comes. */
function fifo(): string {
  const f = join(mkdtempSync(join(work, 'fifo-')), 'pipe');
  execFileSync('mkfifo', [f]);
  return f;
}

describe('hostile paths: exit 2 naming the flag and the file, nothing created, no hang', () => {
  const aFile = join(work, 'a-file');
  writeFileSync(aFile, 'x');
  const PATHS: { name: string; args: () => string[]; says: RegExp; absent?: () => string }[] = [
    { name: 'ci -o under a file', args: () => ['ci', 'github', '--shards', '2', '--kmatrix-image', PINNED_IMAGE, '-o', join(aFile, 'x.yml')], says: /-o: .*a-file\/x\.yml: .*a-file is a file, not a directory/ },
    { name: 'ci -o under /proc (a recursive mkdir there spins forever)', args: () => ['ci', 'github', '--shards', '2', '--kmatrix-image', PINNED_IMAGE, '-o', '/proc/self/kmatrix-a/b/x.yml'], says: /-o: \/proc\/self\/kmatrix-a\/b\/x\.yml: not writable \(EPERM on \/proc\/self\)/ },
    { name: 'ci --check -o /dev/zero', args: () => ['ci', 'github', '--shards', '2', '--kmatrix-image', PINNED_IMAGE, '--check', '-o', '/dev/zero'], says: /-o: \/dev\/zero: is not a regular file/ },
    {
      name: 'shards --weights -o under a file',
      args: () => ['shards', '--weights', '--db', existingStore().db, '-o', join(aFile, 'w.json')],
      says: /-o: .*a-file\/w\.json: .*a-file is a file, not a directory/,
    },
    { name: 'shards --shards 257', args: () => ['shards', '--shards', '257'], says: /--shards: shard count must be 1\.\.256, got 257/ },
    {
      name: 'shards --weights with a mistyped --db (no empty store made)',
      args: () => ['shards', '--weights', '--db', join(work, 'typo', 'x.db')],
      says: /--db: .*typo\/x\.db: no such result store/,
      absent: () => join(work, 'typo'),
    },
    { name: 'shards --shard-weights /dev/zero (never ends)', args: () => ['shards', '--shards', '2', '--shard-weights', '/dev/zero'], says: /--shard-weights: \/dev\/zero: is not a regular file/ },
    { name: 'shards --shard-weights a FIFO (blocks)', args: () => ['shards', '--shards', '2', '--shard-weights', fifo()], says: /--shard-weights: .*pipe: is not a regular file/ },
    { name: 'run --db a FIFO (blocks)', args: () => run()(fifo()), says: /--db: .*pipe: is not a regular file/ },
    {
      name: 'merge from a FIFO (blocks; no target left behind)',
      args: () => ['merge', fifo(), '--into', join(work, 'merged-fifo', 'all.db')],
      says: /pipe: is not a regular file/,
      absent: () => join(work, 'merged-fifo'),
    },
  ];
  it.each(PATHS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const r = await runCliInProcess(withMatrix(c.args()));
    expect(r.stderr).toMatch(c.says);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync('/proc/self/kmatrix-a')).toBe(false);
    if (c.absent) expect(existsSync(c.absent())).toBe(false);
  });

  it('diff --no-build and check with an empty shard still check their inputs (a typo is not a green shard)', async () => {
    const { planShards } = await import('../../src/matrix/shard.js');
    const { loadMatrix } = await import('../../src/matrix/load.js');
    const plan = planShards(loadMatrix(MATRIX).cells, 8);
    const empty = [...plan.cells].find(([, cells]) => cells.length === 0)![0];
    const { db, results } = freshDb();
    const shard = ['--no-build', '--shard', `${empty}/8`];
    for (const [args, says] of [
      [['--tree', tree, '--db', db, ...shard, 'HEAD~1', 'nosuch'], /revision: unknown revision 'nosuch'/],
      [['--tree', notGit, '--db', db, ...shard, 'HEAD~1', 'HEAD'], /not a git repository|unknown revision 'HEAD~1'/],
      [['--tree', tree, '--db', join(aFile, 'x.db'), ...shard, 'HEAD~1', 'HEAD'], /--db: .*a-file is a file, not a directory/],
    ] as const) {
      const r = await runCliInProcess(['diff', '--matrix', MATRIX, ...args]);
      expect(r.stderr).toMatch(says);
      expect(r.code).toBe(2);
    }
    // check takes --shard too: the same rule.
    for (const [args, says] of [
      [['--tree', tree, '--db', db, ...shard, 'nosuch..HEAD'], /range: unknown revision 'nosuch'/],
      [['--tree', tree, '--db', join(aFile, 'x.db'), ...shard, 'HEAD~1'], /--db: .*a-file is a file, not a directory/],
    ] as const) {
      const r = await runCliInProcess(['check', '--matrix', MATRIX, ...args]);
      expect(r.stderr).toMatch(says);
      expect(r.code).toBe(2);
    }
    expect(existsSync(results)).toBe(false);
    // On a good tree the empty shard is exit 0 and says so.
    const ok = await runCliInProcess(['diff', '--matrix', MATRIX, '--tree', tree, '--db', db, '--no-build', '--shard', `${empty}/8`, 'HEAD~1', 'HEAD']);
    expect([ok.code, ok.stdout]).toEqual([0, `shard ${empty}/8: no cells\n`]);
  });
});

describe('logs with no content', () => {
  it.each([
    ['NUL bytes (a file zeroed by a crash)', Buffer.alloc(4096)],
    ['NUL bytes on several lines', Buffer.from('\0\0\0\n\0\0\n\0\n')],
    ['whitespace only', Buffer.from(' \n\t\n\r\n')],
  ])('%s classifies as ERROR (exit 3), never PASS', async (_name, bytes) => {
    const f = join(mkdtempSync(join(work, 'log-')), 'build.log');
    writeFileSync(f, bytes);
    const r = await runCliInProcess(['classify', '--json', f]);
    expect(JSON.parse(r.stdout).status).toBe('ERROR');
    expect(r.code).toBe(3);
  });
});

describe('the error taxonomy: every expected error is a usage error (2) or an infrastructure error (3), mapped once by class', () => {
  it('each specific error extends one of the two bases and carries its exit code', async () => {
    const { InfraError, InputError, UsageError, exitCodeOf } = await import('../../src/errors.js');
    const { MergeRefused } = await import('../../src/store/merge.js');
    const { MissingBuildsError } = await import('../../src/compare/builds.js');
    const { FragmentError } = await import('../../src/matrix/fragment.js');
    const { ReplayError } = await import('../../src/demo/replay.js');
    const usageErrors = [new InputError('f', 1, 2, 'd'), new MergeRefused('s.db', 'd'), new MissingBuildsError([{ sha: 'a'.repeat(40), cell: 'c' }]), new FragmentError(1, 1, 'r')];
    for (const e of usageErrors) {
      expect(e).toBeInstanceOf(UsageError);
      expect(exitCodeOf(e)).toBe(2);
    }
    const replay = new ReplayError('apt-get failed');
    expect(replay).toBeInstanceOf(InfraError);
    expect(exitCodeOf(replay)).toBe(3);
    expect(exitCodeOf(new Error('unexpected'))).toBe(3);
  });
});
