import { hostname } from 'node:os';
import { commitInfo, commonGitDir, resolveRevisions, treeId } from '../workspace/git.js';
import { treeSlot } from '../workspace/paths.js';
import { runCommit, worktreeLock, type RunContext } from './execute.js';
import { runDisplay } from './progress.js';
import { createRecorder } from './recorder.js';
import { claimRun, recoverAbandonedRuns, releaseRun } from './recover.js';
import type { RunOptions, RunResult } from './run-types.js';
import { identifyToolchains } from './toolchains.js';
import { finishRun, startRun, type Store } from '../store/db.js';
import type { CommitInfo } from '../types.js';
import { TOOL_VERSION } from '../version.js';

export { splitJobs, warmBuildDir, WARM_BUILDS_PER_CPU } from './jobs.js';
export { errorOutcome } from './recorder.js';
export type { MissingBuild, RunBuild, RunEvent, RunOptions, RunResult } from './run-types.js';
export { cellToolchainKey, runtimeOf } from './toolchains.js';

/**
 * Build every (revision × cell), recording each build in the store as soon as it ends. Like TuxMake's `Build.run()`:
 * identify the toolchains, then per commit a plan (reused, refused, to build) and its execution; the recorder owns
 * what is recorded and what is missing, the display only listens.
 */
export async function runMatrix(o: RunOptions): Promise<RunResult> {
  const common = await commonGitDir(o.tree);
  const slot = treeSlot(o.cache, treeId(common));
  const commits: CommitInfo[] = [];
  for (const sha of await resolveRevisions(o.tree, o.revisions)) commits.push(await commitInfo(o.tree, sha));
  await recoverKilled(o.store, o.resultsDir);
  const runId = startRun(o.store, {
    command: o.command,
    toolVersion: TOOL_VERSION,
    matrixName: o.matrix.name,
    matrixHash: o.matrix.hash,
    tree: common,
    shard: o.shard ?? null,
    host: hostname(),
    cells: o.cells.map((c) => c.name),
  });
  claimRun(o.resultsDir, runId);
  const lock = worktreeLock(slot, o.signal);
  const recorder = createRecorder(o.store, runId);
  try {
    const toolchains = await identifyToolchains(o.runtime, o.cells);
    const display = runDisplay(commits, o.progress);
    const x: RunContext = { o, runId, slot, stage: o.kconfigOnly ? 'kconfig' : 'build', toolchains, recorder, lock, emit: display.on };
    let stopped = true;
    try {
      for (const commit of commits) await runCommit(x, commit);
      stopped = false;
    } catch (e) {
      // Interrupted (e.g. while waiting for the lock): what finished is recorded, the rest is reported missing below.
      if (!o.signal?.aborted) throw e;
    } finally {
      await display.close(stopped);
    }
  } finally {
    lock.release();
    // An interrupted run stays unfinished (finished_at NULL): merge and reports show that it did not complete.
    if (o.signal?.aborted) releaseRun(o.resultsDir, runId, 'interrupted');
    else {
      finishRun(o.store, runId);
      releaseRun(o.resultsDir, runId, 'finished');
    }
  }
  return { runId, ...recorder.result(commits, o.cells, o.signal?.aborted ?? false) };
}

/** Finish the runs of a kmatrix that was killed (their in-flight builds become ERROR rows), and say so. */
async function recoverKilled(store: Store, resultsDir: string): Promise<void> {
  const recovered = await recoverAbandonedRuns(store, resultsDir);
  if (recovered.runs > 0) {
    process.stderr.write(
      `kmatrix: found ${recovered.runs} run(s) of a kmatrix that was killed; ${recovered.builds} build(s) it had in flight are recorded as interrupted (ERROR) and will be built again\n`,
    );
  }
}
