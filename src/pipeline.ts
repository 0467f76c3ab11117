import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import pLimit from 'p-limit';
import { buildCell, type BuildOutcome } from './build/build.js';
import { checkoutWorktree, commitInfo, commonGitDir, resolveRevisions, treeId } from './build/git.js';
import { acquireLock } from './build/lock.js';
import { cellSlug, treeSlot } from './build/paths.js';
import type { Cell, Matrix } from './matrix/load.js';
import type { Runtime } from './runtime/runtime.js';
import { cellId, finishRun, recordBuild, startRun, upsertCommit, type CommitInfo, type Store } from './store/db.js';
import { TOOL_VERSION } from './version.js';

/** One finished build as `run` reports it. */
export interface RunBuild extends BuildOutcome {
  commit: CommitInfo;
  cell: Cell;
  buildId: number;
  toolchain: string;
}

/** Options of one matrix run. */
export interface RunOptions {
  tree: string;
  matrix: Matrix;
  cells: Cell[];
  revisions: string[];
  store: Store;
  cache: string;
  resultsDir: string;
  runtime: Runtime;
  /** Parallel builds (default: min(cells, cpus / 2)). */
  jobs?: number;
  /** make -j per build (default: cpus / jobs, rounded up). */
  makeJobs?: number;
  kconfigOnly?: boolean;
  command: string;
  /** 'auto': listr2 default renderer on a TTY, plain lines otherwise or when CI=true; 'silent' for tests. */
  progress?: 'auto' | 'plain' | 'silent';
  signal?: AbortSignal;
}

/**
 * Split the machine: how many builds at once, and make -j for each. By default each make gets
 * at least two jobs (a lone -j1 build leaves cores idle once its siblings finish).
 */
export function splitJobs(cells: number, cpus: number, jobs?: number, makeJobs?: number): { jobs: number; makeJobs: number } {
  const j = Math.max(1, jobs ?? Math.min(cells, Math.floor(cpus / 2)));
  return { jobs: j, makeJobs: Math.max(1, makeJobs ?? Math.ceil(cpus / j)) };
}

/** Format seconds for progress lines. */
function secs(s: number): string {
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Build every (revision × cell), recording each build in the store as soon as it ends. */
export async function runMatrix(o: RunOptions): Promise<{ runId: number; builds: RunBuild[] }> {
  const common = await commonGitDir(o.tree);
  const slot = treeSlot(o.cache, treeId(common));
  const shas = await resolveRevisions(o.tree, o.revisions);
  const commits: CommitInfo[] = [];
  for (const sha of shas) commits.push(await commitInfo(o.tree, sha));
  const { jobs, makeJobs } = splitJobs(o.cells.length, availableParallelism(), o.jobs, o.makeJobs);
  const limit = pLimit(jobs);

  const runId = startRun(o.store, {
    command: o.command,
    toolVersion: TOOL_VERSION,
    matrixName: o.matrix.name,
    matrixHash: o.matrix.hash,
    tree: common,
  });
  const release = await acquireLock(slot.lockFile, {
    onWait: (pid) => process.stderr.write(`kmatrix: waiting for process ${pid}, which is building in ${slot.root}\n`),
  });
  const builds: RunBuild[] = [];
  const plain = o.progress === 'plain' || !process.stderr.isTTY || process.env['CI'] === 'true';
  const out = new ProcessOutput(process.stderr, process.stderr);
  try {
    const identities = new Map<string, Awaited<ReturnType<Runtime['identity']>>>();
    for (const cell of o.cells) {
      if (!identities.has(cell.crossCompile)) identities.set(cell.crossCompile, await o.runtime.identity(cell.crossCompile));
    }
    const tasks = new Listr(
      commits.map((commit) => ({
        title: `${commit.sha.slice(0, 12)} ${commit.subject}`,
        task: async (_: unknown, task: { newListr: (...a: never[]) => unknown; title: string }) => {
          task.title = `${commit.sha.slice(0, 12)} ${commit.subject} (checkout)`;
          await checkoutWorktree(o.tree, slot.worktree, commit.sha);
          task.title = `${commit.sha.slice(0, 12)} ${commit.subject}`;
          return new Listr(
            o.cells.map((cell) => ({
              title: `${cell.name}: queued`,
              task: async (_c: unknown, sub: { title: string }) =>
                limit(async () => {
                  if (o.signal?.aborted) throw new Error('interrupted');
                  const t0 = Date.now();
                  let stage = 'start';
                  const tick = setInterval(() => (sub.title = `${cell.name}: ${stage} ${secs((Date.now() - t0) / 1000)}`), 1000);
                  try {
                    const toolchain = identities.get(cell.crossCompile)!;
                    const r = await buildCell({
                      srcDir: slot.worktree,
                      buildDir: slot.buildDir(cell.name, toolchain.runtime),
                      commit,
                      cell,
                      runtime: o.runtime,
                      toolchain,
                      makeJobs,
                      kconfigOnly: o.kconfigOnly ?? false,
                      logPath: join(o.resultsDir, 'logs', `run-${runId}`, commit.sha.slice(0, 12), `${cellSlug(cell.name)}.log.gz`),
                      signal: o.signal,
                      onStage: (s) => {
                        stage = s;
                        sub.title = `${cell.name}: ${stage} ${secs((Date.now() - t0) / 1000)}`;
                      },
                    });
                    upsertCommit(o.store, commit);
                    const buildId = recordBuild(o.store, {
                      runId,
                      commitSha: commit.sha,
                      cellId: cellId(o.store, cell.name, cell.hash, cell),
                      status: r.status,
                      stage: r.stage,
                      exitCode: r.exitCode,
                      timedOut: r.timedOut,
                      seconds: r.seconds,
                      startedAt: r.startedAt,
                      logPath: r.logPath,
                      runtime: toolchain.runtime,
                      image: toolchain.image,
                      toolchain: toolchain.compiler,
                      diagnostics: r.diagnostics,
                    });
                    builds.push({ ...r, commit, cell, buildId, toolchain: toolchain.compiler });
                    const first = r.diagnostics.find((d) => d.severity === 'error');
                    sub.title = `${cell.name}: ${r.status} ${secs(r.seconds)}${first ? ` — ${first.message}` : ''}`;
                  } finally {
                    clearInterval(tick);
                  }
                }),
            })),
            { concurrent: true, exitOnError: false },
          );
        },
      })),
      {
        concurrent: false,
        exitOnError: true,
        registerSignalListeners: false,
        renderer: o.progress === 'silent' ? 'silent' : 'default',
        rendererOptions: { processOutput: out },
        fallbackRenderer: 'simple',
        fallbackRendererOptions: { logger: new ListrLogger({ processOutput: out }) },
        fallbackRendererCondition: plain,
      } as never,
    );
    await tasks.run();
  } finally {
    release();
    finishRun(o.store, runId);
  }
  const order = new Map(commits.map((c, i) => [c.sha, i]));
  const cellOrder = new Map(o.cells.map((c, i) => [c.name, i]));
  builds.sort((a, b) => order.get(a.commit.sha)! - order.get(b.commit.sha)! || cellOrder.get(a.cell.name)! - cellOrder.get(b.cell.name)!);
  return { runId, builds };
}
