/**
 * The run's plan and execute steps (I/O): per commit, which cells are reused, which are refused and why, which are
 * built; then the worktree lock, the checkout and the builds, each handed to the recorder and told to the display.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { buildCell, type BuildOutcome } from '../kbuild/build.js';
import { checkoutWorktree } from '../workspace/git.js';
import { acquireLock } from '../workspace/lock.js';
import { buildDirName, cellSlug, type TreeSlot } from '../workspace/paths.js';
import { classifyBuild } from '../classify/outcome.js';
import type { Cell } from '../matrix/load.js';
import { effectiveCpus } from '../runtime/cpus.js';
import { reapOrphanGroups, subdirs } from '../runtime/host.js';
import { cachedBuild, type StoredBuild } from '../store/db.js';
import { buildKey, type CommitInfo, type RunStage } from '../types.js';
import { splitJobs, warmBuildDir } from './jobs.js';
import type { Recorder } from './recorder.js';
import { markInFlight, runLogDir } from './recover.js';
import type { RunEvent, RunOptions } from './run-types.js';
import { errorText, runtimeOf, toolchainUsed, type RunToolchains, type ToolchainProblem } from './toolchains.js';

/** What the execute step of one run works with. */
export interface RunContext {
  o: RunOptions;
  runId: number;
  slot: TreeSlot;
  stage: RunStage;
  toolchains: RunToolchains;
  recorder: Recorder;
  lock: WorktreeLock;
  emit: (e: RunEvent) => void;
}

/** What to do with each cell at one commit. */
export interface CommitPlan {
  /** Cells with a stored result of the same build key. */
  reused: { cell: Cell; hit: StoredBuild }[];
  /** Cells whose toolchain is not there or misses its pin: recorded ERROR without building. */
  refused: { cell: Cell; problem: ToolchainProblem }[];
  /** Cells to build. */
  build: Cell[];
}

/** Plan one commit (pure given its two questions): refused when the toolchain has a problem, reused when stored, else built. */
export function planCommit(cells: readonly Cell[], problem: (cell: Cell) => ToolchainProblem | null, stored: (cell: Cell) => StoredBuild | null): CommitPlan {
  const plan: CommitPlan = { reused: [], refused: [], build: [] };
  for (const cell of cells) {
    const why = problem(cell);
    const hit = why ? null : stored(cell);
    if (why) plan.refused.push({ cell, problem: why });
    else if (hit) plan.reused.push({ cell, hit });
    else plan.build.push(cell);
  }
  return plan;
}

/** The worktree slot's lock, taken only once something must be built (a fully cached run never waits) and kept to the end. */
export interface WorktreeLock {
  acquire(onWait: (pid: number) => void): Promise<void>;
  release(): void;
}

/** The lock of a tree slot; whoever held it before may have been killed with SIGKILL: its make groups die on taking it. */
export function worktreeLock(slot: TreeSlot, signal?: AbortSignal): WorktreeLock {
  let held: (() => void) | null = null;
  return {
    async acquire(onWait) {
      if (held) return;
      held = await acquireLock(slot.lockFile, { onWait, signal });
      const killed = reapOrphanGroups(subdirs(join(slot.root, 'build')).flatMap(subdirs));
      if (killed.length > 0) process.stderr.write(`kmatrix: killed ${killed.length} build(s) left running by a kmatrix that died\n`);
    },
    release() {
      held?.();
    },
  };
}

/** The stored result for a cell at a commit (same build key), reused unless --rebuild. */
function stored(x: RunContext, commit: CommitInfo, cell: Cell): StoredBuild | null {
  if (x.o.rebuild) return null;
  return cachedBuild(x.o.store, buildKey(commit.treeSha, cell, x.stage, toolchainUsed(x.toolchains.of(cell))));
}

/** Plan and execute one commit; every cell ends recorded, or noted by the recorder, or left for `missing`. */
export async function runCommit(x: RunContext, commit: CommitInfo): Promise<void> {
  try {
    const plan = planCommit(x.o.cells, x.toolchains.problem, (cell) => stored(x, commit, cell));
    for (const { cell, hit } of plan.reused) x.recorder.reused(commit, cell, x.toolchains.of(cell), hit);
    // A toolchain that is not there or misses its pin: recorded ERROR at once, without the worktree lock or a checkout.
    for (const { cell, problem } of plan.refused) x.recorder.errorOrNote(commit, cell, x.toolchains.of(cell), problem.cause, { kind: problem.kind });
    if (plan.build.length === 0) return x.emit({ kind: 'commit', commit, state: 'cached', cached: plan.reused.length });
    const todo = await checkout(x, commit, plan);
    if (todo.length > 0) await buildAll(x, commit, todo);
  } finally {
    x.emit({ kind: 'commit-done', commit });
  }
}

/** Lock the worktree, reuse what another kmatrix built meanwhile, check the commit out; returns the cells still to build. */
async function checkout(x: RunContext, commit: CommitInfo, plan: CommitPlan): Promise<Cell[]> {
  x.emit({ kind: 'commit', commit, state: 'checkout' });
  const at = { t0: Date.now(), startedAt: new Date().toISOString() };
  const todo = [...plan.build];
  let cached = plan.reused.length;
  try {
    await x.lock.acquire((pid) => x.emit({ kind: 'commit', commit, state: 'waiting', pid }));
    // Another kmatrix may have built some of these while this one waited: reuse, never build twice.
    for (const cell of [...todo]) {
      const hit = stored(x, commit, cell);
      if (!hit) continue;
      x.recorder.reused(commit, cell, x.toolchains.of(cell), hit);
      cached++;
      todo.splice(todo.indexOf(cell), 1);
    }
    if (todo.length === 0) {
      x.emit({ kind: 'commit', commit, state: 'cached-meanwhile', cached });
      return [];
    }
    await checkoutWorktree(x.o.tree, x.slot.worktree, commit.sha);
  } catch (e) {
    if (x.o.signal?.aborted) throw e;
    // No cell of this commit can build: each is recorded ERROR with the cause; the run goes on.
    const cause = `checkout of ${commit.sha.slice(0, 12)} failed: ${errorText(e)}`;
    for (const cell of todo) x.recorder.errorOrNote(commit, cell, x.toolchains.of(cell), cause, at);
    x.emit({ kind: 'commit', commit, state: 'checkout-failed' });
    return [];
  }
  x.emit({ kind: 'commit', commit, state: 'building', cached, cells: todo });
  return todo;
}

/**
 * Build a commit's cells, sharing the machine as decided for this commit: a run's first commit may build cold dirs
 * (then at least -j2 each) and its next ones incremental (then more builds than CPUs).
 */
async function buildAll(x: RunContext, commit: CommitInfo, todo: Cell[]): Promise<void> {
  const warm = todo.every((c) => warmBuildDir(x.slot.buildDir(buildDirName(c), x.toolchains.of(c).runtime)));
  const s = splitJobs(todo.length, effectiveCpus(), x.o.jobs, x.o.makeJobs, warm);
  const limit = pLimit(s.jobs);
  await Promise.all(
    todo.map((cell) =>
      limit(() => buildOne(x, commit, cell, s.makeJobs)).catch(() => {
        // Not started (interrupted) or not recorded (the recorder noted why): the cell is reported missing.
        x.emit({ kind: 'dropped', commit, cell });
      }),
    ),
  );
}

/** Build, classify and record one cell; a build that throws is an ERROR row; only a failing store throws. */
async function buildOne(x: RunContext, commit: CommitInfo, cell: Cell, makeJobs: number): Promise<void> {
  if (x.o.signal?.aborted) throw new Error('interrupted');
  const at = { t0: Date.now(), startedAt: new Date().toISOString(), logPath: join(runLogDir(x.o.resultsDir, x.runId), commit.sha.slice(0, 12), `${cellSlug(cell.name)}.log.gz`) };
  let current = 'start';
  const enter = (stage: string) => {
    current = stage;
    x.emit({ kind: 'cell', commit, cell, stage });
  };
  enter(current);
  let marker: string | null = null;
  try {
    const tc = x.toolchains.of(cell);
    // If kmatrix is killed (SIGKILL) mid-build, the next kmatrix records this build as interrupted.
    marker = markInFlight({ runId: x.runId, commit, cell: { name: cell.name, hash: cell.hash, definition: cell }, stage: x.stage, ...toolchainUsed(tc), startedAt: at.startedAt, logPath: at.logPath });
    let r: BuildOutcome;
    try {
      const raw = await buildCell({
        srcDir: x.slot.worktree,
        buildDir: x.slot.buildDir(buildDirName(cell), tc.runtime),
        commit,
        cell,
        runtime: runtimeOf(x.o.runtime, cell),
        toolchain: tc,
        makeJobs,
        kconfigOnly: x.o.kconfigOnly ?? false,
        ccache: { dir: join(x.o.cache, 'ccache'), enabled: x.o.ccache ?? true },
        logPath: at.logPath,
        signal: x.o.signal,
        onStage: enter,
      });
      enter('classify');
      r = await classifyBuild(raw);
    } catch (e) {
      // Anything that throws inside one build (log write, classifier, gzip, the engine) is an ERROR row.
      const cause = `${current === 'start' ? 'setup' : `${current} stage`} of ${cell.name} threw: ${errorText(e)}`;
      x.emit({ kind: 'built', commit, cell, build: x.recorder.error(commit, cell, tc, cause, at) });
      return;
    }
    x.emit({ kind: 'built', commit, cell, build: x.recorder.built(commit, cell, tc, r) });
  } catch (e) {
    x.recorder.failed(commit, cell, `recording the build failed: ${errorText(e)}`);
    throw e;
  } finally {
    if (marker) rmSync(marker, { force: true });
  }
}
