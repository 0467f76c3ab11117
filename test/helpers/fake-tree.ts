import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildDirName, cellSlug } from '../../src/workspace/paths.js';
import { renderFragment } from '../../src/matrix/fragment.js';
import type { Cell } from '../../src/matrix/load.js';
import type { ExecResult, ExecSpec, Runtime } from '../../src/runtime/runtime.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'kmatrix test',
  GIT_AUTHOR_EMAIL: 'test@kmatrix.invalid',
  GIT_COMMITTER_NAME: 'kmatrix test',
  GIT_COMMITTER_EMAIL: 'test@kmatrix.invalid',
};

/** Run git in `dir` (test identity); returns trimmed stdout. */
export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * A small git repository with `n` commits; with `kernel` it has the files kmatrix looks for in a kernel tree
 * (Makefile, Kconfig, arch/arm/Kconfig) — enough for everything except a real make.
 */
export function fakeTree(n = 2, kernel = true): { tree: string; shas: string[] } {
  const tree = mkdtempSync(join(tmpdir(), 'kmatrix-fake-tree-'));
  gitIn(tree, 'init', '--quiet', '-b', 'main');
  const shas: string[] = [];
  for (let i = 1; i <= n; i++) {
    if (kernel) {
      mkdirSync(join(tree, 'arch', 'arm'), { recursive: true });
      writeFileSync(join(tree, 'Makefile'), `VERSION = 6\n# ${i}\n`);
      writeFileSync(join(tree, 'Kconfig'), 'mainmenu "fake"\n');
      writeFileSync(join(tree, 'arch', 'arm', 'Kconfig'), 'config ARM\n\tdef_bool y\n');
    }
    writeFileSync(join(tree, 'file.c'), `int x = ${i};\n`);
    gitIn(tree, 'add', '-A');
    gitIn(tree, 'commit', '--quiet', '-m', `commit ${i}`);
    shas.push(gitIn(tree, 'rev-parse', 'HEAD'));
  }
  return { tree, shas };
}

/** What a fake build of one command does; return a result, or throw to simulate a runtime that breaks. */
export type FakeStep = (spec: ExecSpec, cell: Cell | undefined) => Partial<ExecResult> | void;

/**
 * A Runtime that runs no compiler: the Kconfig stage writes the requested fragment as the config, the build
 * stage creates the cell's artifacts. `hook` runs first for every command and may throw or alter the outcome.
 */
export function fakeRuntime(cells: readonly Cell[], hook: FakeStep = () => {}, identity?: Runtime['identity']): Runtime {
  return {
    name: 'host',
    identity: identity ?? (async () => ({ runtime: 'host', image: null, compiler: 'fake-gcc 1.0' })),
    async exec(spec: ExecSpec): Promise<ExecResult> {
      const slug = spec.cwd.split('/').pop() ?? '';
      const cell = cells.find((c) => cellSlug(buildDirName(c)) === slug);
      appendFileSync(spec.logFile, `fake: ${spec.argv.slice(-1)[0]}\n`);
      const over = hook(spec, cell) ?? {};
      const kc = spec.argv.find((a) => a.startsWith('KCONFIG_CONFIG='));
      if (kc && cell) writeFileSync(join(spec.cwd, kc.slice('KCONFIG_CONFIG='.length)), renderFragment(cell.fragment));
      if (!kc && cell) {
        for (const a of cell.artifacts) {
          mkdirSync(dirname(join(spec.cwd, a)), { recursive: true });
          writeFileSync(join(spec.cwd, a), 'artifact');
        }
      }
      return { exitCode: 0, signal: null, timedOut: false, aborted: false, seconds: 0, infraError: null, ...over };
    },
  };
}
