/** `kmatrix demo`: prepare the replay tree and the image side by side, then run the matrix on its interesting commits. */
import type { Command } from 'commander';
import { cacheRoot } from '../workspace/paths.js';
import { demoCommits } from '../demo/commits.js';
import { ensureReplayTree } from '../demo/replay.js';
import type { Cell } from '../matrix/load.js';
import { minutesAndSeconds } from '../stage-text.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkStorePath } from '../store/db.js';
import { paths, runtimeFor } from './command.js';
import { selectCells } from './options.js';
import { addRunFlags, doRun, type RunFlags } from './run.js';
import { interruptible } from './signals.js';

/** Seconds for the demo's phase line. */
function secs(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const [m, rest] = minutesAndSeconds(s);
  return `${m} min ${rest} s`;
}

/**
 * The demo's two independent preparations side by side: the build image (made if missing) and the replay tree.
 * A signal stops both (each removes its scratch dir); if one fails the other is stopped too and the first
 * failure is thrown. Returns the tree, the ready runtime and a line saying how long each took.
 */
async function prepareDemo(
  cells: Cell[],
  f: RunFlags,
  cache: string,
  log: (s: string) => void,
): Promise<{ tree: string; runtime: Runtime; phases: string }> {
  const intr = interruptible();
  const failed = new AbortController();
  const signal = AbortSignal.any([intr.signal, failed.signal]);
  const t0 = Date.now();
  const timed = async <T>(p: () => Promise<T>): Promise<{ value: T; seconds: number }> => {
    try {
      const value = await p();
      return { value, seconds: (Date.now() - t0) / 1000 };
    } catch (e) {
      failed.abort('failed');
      throw e;
    }
  };
  try {
    const rt = runtimeFor(cells, f, { signal }, cache);
    const [image, replay] = await Promise.allSettled([timed(() => rt.get()), timed(() => ensureReplayTree(cacheRoot(), log, signal))]);
    // The replay tree's failure says more (and an image build stopped because of it only says it was stopped).
    if (replay.status === 'rejected') throw replay.reason;
    if (image.status === 'rejected') throw image.reason;
    const both = Math.max(image.value.seconds, replay.value.seconds);
    return {
      tree: replay.value.value,
      runtime: image.value.value,
      phases: `image ${secs(image.value.seconds)} and replay tree ${secs(replay.value.seconds)}, side by side: ${secs(both)}`,
    };
  } finally {
    intr.dispose();
  }
}

/** Register `kmatrix demo`. */
export function registerDemoCommand(p: Command): void {
  addRunFlags(
    p
      .command('demo')
      .description('prepare the replay tree (Debian linux-source-6.1 + the seed series) and run the matrix on its interesting commits')
      .option('--path', 'prepare the tree if needed and print only its path'),
  ).action(async (f: RunFlags & { path?: boolean }) => {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    if (f.path) {
      const intr = interruptible();
      const tree = await ensureReplayTree(cacheRoot(), log, intr.signal).finally(intr.dispose);
      process.stdout.write(`${tree}\n`);
      return;
    }
    const t0 = Date.now();
    // Bad flags (matrix, cells, --db) are exit 2 before anything is made.
    const { matrix, cells } = selectCells(f);
    const { dbPath, cache } = paths(f, {});
    checkStorePath(dbPath);
    const { tree, runtime, phases } = await prepareDemo(cells.length ? cells : matrix.cells, f, cache, log);
    const commits = await demoCommits(tree);
    log(`kmatrix: building ${commits.length} commits of the replay tree: ${commits.map((c) => c.label).join(', ')}`);
    const t1 = Date.now();
    const { output, demoCode } = await doRun(commits.map((c) => c.sha), f, tree, runtime);
    process.stdout.write(output);
    log(`kmatrix: demo phases: ${phases}; builds ${secs((Date.now() - t1) / 1000)}; total ${secs((Date.now() - t0) / 1000)}`);
    // FAIL cells are the story the demo tells; an ERROR or missing cell (even next to them) fails the demo: exit 3.
    process.exitCode = demoCode;
  });
}
