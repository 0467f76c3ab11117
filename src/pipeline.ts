import { existsSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import pLimit from 'p-limit';
import { buildCell, type BuildOutcome } from './build/build.js';
import { classifyBuild } from './classify/outcome.js';
import { checkoutWorktree, commitInfo, commonGitDir, resolveRevisions, treeId } from './build/git.js';
import { acquireLock } from './build/lock.js';
import { fingerprint } from './fingerprint.js';
import { buildDirName, cellSlug, treeSlot } from './build/paths.js';
import type { Cell, Matrix } from './matrix/load.js';
import { identityKey, toolchainCommands, versionPinProblem } from './matrix/toolchain.js';
import { reapOrphanGroups, subdirs } from './runtime/host.js';
import { effectiveCpus } from './runtime/cpus.js';
import type { Runtime, ToolchainIdentity } from './runtime/runtime.js';
import { claimRun, markInFlight, recoverAbandonedRuns, releaseRun } from './pipeline/recover.js';
import {
  buildDiagnostics,
  cachedBuild,
  cellId,
  finishRun,
  recordBuild,
  recordStoreTime,
  startRun,
  upsertCommit,
  type Store,
  type StoredBuild,
} from './store/db.js';
import type { CommitInfo } from './types.js';
import { stageSecs, stageSummary } from './pipeline/stages.js';
import { TOOL_VERSION } from './version.js';

/** One finished build as `run` reports it. */
export interface RunBuild extends BuildOutcome {
  commit: CommitInfo;
  cell: Cell;
  buildId: number;
  toolchain: string;
  /** Reused from the store (same tree, cell definition and toolchain) instead of built. */
  cached: boolean;
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
  /** Parallel builds (default, per commit: min(cells, 1.5 × cpus) when every build dir is warm, else min(cells, cpus / 2); see splitJobs). */
  jobs?: number;
  /** make -j per build (default: cpus / jobs, rounded up). */
  makeJobs?: number;
  kconfigOnly?: boolean;
  /** Build even when the store already has this (tree, cell, toolchain) result. */
  rebuild?: boolean;
  /** Compile through ccache (cache dir `<cache>/ccache`); false = `--no-ccache`. Default true. */
  ccache?: boolean;
  command: string;
  /** `I/N` when this run is one shard of the matrix (recorded with the run). */
  shard?: string;
  /** 'auto': listr2 default renderer on a TTY, plain lines otherwise or when CI=true; 'silent' for tests. */
  progress?: 'auto' | 'plain' | 'silent';
  signal?: AbortSignal;
}

/** What runMatrix returns: every build recorded, and every (commit, cell) that has none (never silently dropped). */
export interface RunResult {
  runId: number;
  builds: RunBuild[];
  /** Cells with no recorded build (interrupted before they started, or the store itself failed), with why. */
  missing: { commit: CommitInfo; cell: Cell; reason: string }[];
}

/** Builds at once per CPU when every build dir is warm (measured: see splitJobs; `bench --sched` uses it too). */
export const WARM_BUILDS_PER_CPU = 1.5;

/**
 * Split the machine: how many builds at once, and make -j for each. Measured on 2 cores (`npm run bench -- --sched`,
 * bench/RESULTS.md). Incremental builds (warm build dirs) are mostly serial work (make reading the tree, kbuild's
 * compiler probes, the container start, the link and modpost) that leaves a CPU idle, so more builds than CPUs fill
 * it: 10 commits × 3 cells took 54 s with three at once at -j1, 73 s with two at once at -j1 (the third cell then
 * ran alone after each pair) and 66 s one at a time at -j2. So with warm build dirs up to 1.5 builds per CPU run at
 * once (the ratio measured; more was not). Cold builds compile for minutes; one at a time at -j2 was as fast or
 * slightly faster (248 s vs 256 s) and avoids a lone -j1 build idling a core at the end, so when any build dir is
 * cold each make gets at least two jobs.
 */
export function splitJobs(
  cells: number,
  cpus: number,
  jobs?: number,
  makeJobs?: number,
  warm = false,
): { jobs: number; makeJobs: number } {
  const j = Math.max(1, jobs ?? Math.min(cells, warm ? Math.floor(cpus * WARM_BUILDS_PER_CPU) : Math.floor(cpus / 2)));
  return { jobs: j, makeJobs: Math.max(1, makeJobs ?? Math.ceil(cpus / j)) };
}

/** A build dir that a build has already compiled in (its `.config` and `init/main.o` exist): the next build is incremental. */
export function warmBuildDir(dir: string): boolean {
  return existsSync(join(dir, '.config')) && existsSync(join(dir, 'init', 'main.o'));
}

/** Format seconds for progress lines. */
function secs(s: number): string {
  return s < 60 ? `${s.toFixed(1)}s` : stageSecs(s);
}

/** Build every (revision × cell), recording each build in the store as soon as it ends. */
export async function runMatrix(o: RunOptions): Promise<RunResult> {
  const common = await commonGitDir(o.tree);
  const slot = treeSlot(o.cache, treeId(common));
  const shas = await resolveRevisions(o.tree, o.revisions);
  const commits: CommitInfo[] = [];
  for (const sha of shas) commits.push(await commitInfo(o.tree, sha));

  const recovered = await recoverAbandonedRuns(o.store, o.resultsDir);
  if (recovered.runs > 0) {
    process.stderr.write(
      `kmatrix: found ${recovered.runs} run(s) of a kmatrix that was killed; ${recovered.builds} build(s) it had in flight are recorded as interrupted (ERROR) and will be built again\n`,
    );
  }
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
  // The worktree is locked only once something must be built: a fully cached run never waits.
  let release: (() => void) | null = null;
  const lockWorktree = async (onWait: (pid: number) => void) => {
    if (release) return;
    release = await acquireLock(slot.lockFile, { onWait, signal: o.signal });
    // Whoever held the slot before may have been killed with SIGKILL: its make groups die now.
    const killed = reapOrphanGroups(subdirs(join(slot.root, 'build')).flatMap(subdirs));
    if (killed.length > 0) process.stderr.write(`kmatrix: killed ${killed.length} build(s) left running by a kmatrix that died\n`);
  };
  const builds: RunBuild[] = [];
  /** (commit, cell) → why it has no recorded build (even recording an ERROR failed, e.g. the store is unwritable). */
  const failures = new Map<string, string>();
  const plain = o.progress === 'plain' || !process.stderr.isTTY || process.env['CI'] === 'true';
  const out = new ProcessOutput(process.stderr, process.stderr);
  try {
    // Identities are per toolchain (cross prefix, family, make variables, image), not per cross prefix.
    const identities = new Map<string, ToolchainIdentity>();
    /** Why a toolchain could not be identified (engine gone…) or misses its version pin: its cells are recorded ERROR without building. */
    const identityErrors = new Map<string, { kind: 'infra' | 'toolchain-missing'; cause: string }>();
    for (const cell of o.cells) {
      const key = cellToolchainKey(cell);
      if (!identities.has(key)) {
        const cmd = toolchainCommands(cell.toolchain, cell.crossCompile).compiler;
        try {
          identities.set(key, await runtimeOf(o.runtime, cell).identity(cell.crossCompile, cell.toolchain));
        } catch (e) {
          identities.set(key, { runtime: o.runtime.name, image: null, compiler: `unknown: ${cmd} not identified` });
          identityErrors.set(key, { kind: 'infra', cause: `identifying the toolchain ${cmd} failed: ${errorText(e)}` });
        }
      }
      // The pin is checked per cell's toolchain (two toolchains may share programs but not pins): never built, never PASS.
      const pinKey = `${key}\0${cell.toolchain.version ?? ''}`;
      const pin = versionPinProblem(cell.toolchain, identities.get(key)!.compiler);
      if (pin && !identityErrors.has(key)) identityErrors.set(pinKey, { kind: 'toolchain-missing', cause: pin });
    }
    const tcOf = (cell: Cell) => identities.get(cellToolchainKey(cell))!;
    const identityError = (cell: Cell) =>
      identityErrors.get(cellToolchainKey(cell)) ?? identityErrors.get(`${cellToolchainKey(cell)}\0${cell.toolchain.version ?? ''}`);
    /**
     * How this commit's builds share the machine, decided per commit: a run's first commit may build cold dirs (then
     * at least -j2 each) and its next ones incremental (then more builds than CPUs).
     */
    const split = (todo: Cell[]) => {
      const warm = todo.every((c) => warmBuildDir(slot.buildDir(buildDirName(c), tcOf(c).runtime)));
      const s = splitJobs(todo.length, effectiveCpus(), o.jobs, o.makeJobs, warm);
      return { limit: pLimit(s.jobs), makeJobs: s.makeJobs };
    };
    const stage = o.kconfigOnly ? 'kconfig' : 'build';
    /**
     * Record one build (fresh or a cached result seen at another commit of the same tree). A build of this run
     * also gets the time recording it took (`r.stages.store`); a reused result gets no stage times at all.
     */
    const record = (commit: CommitInfo, cell: Cell, tc: ToolchainIdentity, r: BuildOutcome, reused = false): number => {
      const t0 = process.hrtime.bigint();
      upsertCommit(o.store, commit);
      const id = recordBuild(o.store, {
        runId,
        commitSha: commit.sha,
        cellId: cellId(o.store, cell.name, cell.hash, cell),
        status: r.status,
        stage: r.stage,
        exitCode: r.exitCode,
        timedOut: r.timedOut,
        seconds: r.seconds,
        startedAt: r.startedAt,
        logPath: r.logPath || null,
        runtime: tc.runtime,
        image: tc.image,
        toolchain: tc.compiler,
        diagnostics: r.diagnostics,
        stages: reused ? {} : r.stages,
        ccache: reused ? null : r.ccache,
      });
      if (!reused) {
        r.stages.store = Number(process.hrtime.bigint() - t0) / 1e9;
        recordStoreTime(o.store, id, r.stages.store);
      }
      return id;
    };
    /** The stored result for this (tree, cell, toolchain), reused unless --rebuild. */
    const fromCache = (commit: CommitInfo, cell: Cell, tc: ToolchainIdentity): RunBuild | null => {
      if (o.rebuild || identityError(cell)) return null;
      const hit: StoredBuild | null = cachedBuild(o.store, {
        treeSha: commit.treeSha,
        cell: cell.name,
        configHash: cell.hash,
        stage,
        runtime: tc.runtime,
        image: tc.image,
        toolchain: tc.compiler,
      });
      if (!hit) return null;
      const r: BuildOutcome = {
        status: hit.status,
        stage: hit.stage,
        exitCode: hit.exitCode,
        timedOut: hit.timedOut,
        aborted: false,
        seconds: hit.seconds,
        startedAt: hit.startedAt,
        logPath: hit.logPath ?? '',
        diagnostics: buildDiagnostics(o.store, hit.id),
        // Reused, not built now: no stage times or ccache counts of this run (the stored build keeps its own).
        stages: {},
        ccache: null,
      };
      const buildId = hit.commitSha === commit.sha ? hit.id : record(commit, cell, tc, r, true);
      return { ...r, commit, cell, buildId, toolchain: tc.compiler, cached: true };
    };
    /** Record a cell whose build could not run or threw as ERROR with an `infra` diagnostic naming the cause. */
    const recordError = (commit: CommitInfo, cell: Cell, cause: string, t0: number, startedAt: string, logPath: string, kind: 'infra' | 'toolchain-missing' = 'infra'): RunBuild => {
      const tc = tcOf(cell);
      const r = errorOutcome(cause, startedAt, (Date.now() - t0) / 1000, logPath, kind);
      const b: RunBuild = { ...r, commit, cell, buildId: record(commit, cell, tc, r), toolchain: tc.compiler, cached: false };
      builds.push(b);
      return b;
    };
    const logPathOf = (commit: CommitInfo, cell: Cell) =>
      join(o.resultsDir, 'logs', `run-${runId}`, commit.sha.slice(0, 12), `${cellSlug(cell.name)}.log.gz`);
    const summary = (r: RunBuild) => {
      const first = r.diagnostics.find((d) => d.severity === 'error');
      const stages = r.cached ? '' : stageSummary(r.stages, r.ccache);
      return `${r.cell.name}: ${r.status} ${r.cached ? '(cached)' : secs(r.seconds)}${stages ? ` (${stages})` : ''}${first ? ` — ${first.message}` : ''}`;
    };
    const tasks = new Listr(
      commits.map((commit) => ({
        title: `${commit.sha.slice(0, 12)} ${commit.subject}`,
        task: async (_: unknown, task: { title: string }) => {
          const todo: Cell[] = [];
          const done: RunBuild[] = [];
          const unbuildable: Cell[] = [];
          for (const cell of o.cells) {
            if (identityError(cell)) {
              unbuildable.push(cell);
              continue;
            }
            const hit = fromCache(commit, cell, tcOf(cell));
            if (hit) done.push(hit);
            else todo.push(cell);
          }
          builds.push(...done);
          // A toolchain that is not there or misses its pin: recorded ERROR at once, without the worktree lock or a checkout.
          for (const cell of unbuildable) {
            const why = identityError(cell)!;
            try {
              recordError(commit, cell, why.cause, Date.now(), new Date().toISOString(), '', why.kind);
            } catch (e) {
              failures.set(`${commit.sha}\0${cell.name}`, `${why.cause}; recording it failed: ${errorText(e)}`);
            }
          }
          if (todo.length === 0) {
            task.title = `${commit.sha.slice(0, 12)} ${commit.subject} (${done.length} cached)`;
            return;
          }
          task.title = `${commit.sha.slice(0, 12)} ${commit.subject} (checkout)`;
          const t0 = Date.now();
          const startedAt = new Date().toISOString();
          try {
            await lockWorktree((pid) => {
              task.title = `${commit.sha.slice(0, 12)} ${commit.subject} (waiting for process ${pid}, building in this tree)`;
              if (plain) process.stderr.write(`kmatrix: ${commit.sha.slice(0, 12)}: waiting for process ${pid}, building in this tree\n`);
            });
            // Another kmatrix may have built some of these while this one waited: reuse, never build twice.
            for (const cell of [...todo]) {
              const hit = fromCache(commit, cell, tcOf(cell));
              if (!hit) continue;
              builds.push(hit);
              done.push(hit);
              todo.splice(todo.indexOf(cell), 1);
            }
            if (todo.length === 0) {
              task.title = `${commit.sha.slice(0, 12)} ${commit.subject} (${done.length} cached, built meanwhile by another kmatrix)`;
              return;
            }
            await checkoutWorktree(o.tree, slot.worktree, commit.sha);
          } catch (e) {
            if (o.signal?.aborted) throw e;
            // No cell of this commit can build: each is recorded ERROR with the cause; the run goes on.
            const cause = `checkout of ${commit.sha.slice(0, 12)} failed: ${errorText(e)}`;
            for (const cell of todo) {
              try {
                recordError(commit, cell, cause, t0, startedAt, '');
              } catch (e2) {
                failures.set(`${commit.sha}\0${cell.name}`, `${cause}; recording it failed: ${errorText(e2)}`);
              }
            }
            task.title = `${commit.sha.slice(0, 12)} ${commit.subject}: ERROR (checkout failed)`;
            return;
          }
          task.title = `${commit.sha.slice(0, 12)} ${commit.subject}${done.length ? ` (${done.length} cached)` : ''}`;
          const { limit, makeJobs } = split(todo);
          return new Listr(
            todo.map((cell) => ({
              title: `${cell.name}: queued`,
              task: async (_c: unknown, sub: { title: string }) =>
                limit(async () => {
                  if (o.signal?.aborted) throw new Error('interrupted');
                  const t0 = Date.now();
                  let current = 'start';
                  const show = () => (sub.title = `${cell.name}: ${current} ${secs((Date.now() - t0) / 1000)}`);
                  const tick = setInterval(show, 1000);
                  const startedAt = new Date().toISOString();
                  const logPath = logPathOf(commit, cell);
                  let marker: string | null = null;
                  try {
                    const toolchain = tcOf(cell);
                    const unidentified = identityError(cell);
                    if (unidentified) {
                      sub.title = summary(recordError(commit, cell, unidentified.cause, t0, startedAt, '', unidentified.kind));
                      return;
                    }
                    let r: BuildOutcome;
                    // If kmatrix is killed (SIGKILL) mid-build, the next kmatrix records this build as interrupted.
                    marker = markInFlight({
                      runId,
                      commit,
                      cell: { name: cell.name, hash: cell.hash, definition: cell },
                      stage,
                      runtime: toolchain.runtime,
                      image: toolchain.image,
                      toolchain: toolchain.compiler,
                      startedAt,
                      logPath,
                    });
                    try {
                      const raw = await buildCell({
                        srcDir: slot.worktree,
                        buildDir: slot.buildDir(buildDirName(cell), toolchain.runtime),
                        commit,
                        cell,
                        runtime: runtimeOf(o.runtime, cell),
                        toolchain,
                        makeJobs,
                        kconfigOnly: o.kconfigOnly ?? false,
                        ccache: { dir: join(o.cache, 'ccache'), enabled: o.ccache ?? true },
                        logPath,
                        signal: o.signal,
                        onStage: (st) => {
                          current = st;
                          show();
                        },
                      });
                      current = 'classify';
                      show();
                      r = await classifyBuild(raw);
                    } catch (e) {
                      // Anything that throws inside one build (log write, classifier, gzip, the engine) is an ERROR row.
                      sub.title = summary(recordError(commit, cell, `${current === 'start' ? 'setup' : `${current} stage`} of ${cell.name} threw: ${errorText(e)}`, t0, startedAt, logPath));
                      return;
                    }
                    const buildId = record(commit, cell, toolchain, r);
                    const b: RunBuild = { ...r, commit, cell, buildId, toolchain: toolchain.compiler, cached: false };
                    builds.push(b);
                    sub.title = summary(b);
                  } catch (e) {
                    failures.set(`${commit.sha}\0${cell.name}`, `recording the build failed: ${errorText(e)}`);
                    throw e;
                  } finally {
                    clearInterval(tick);
                    if (marker) rmSync(marker, { force: true });
                  }
                }),
            })),
            // registerSignalListeners: a Listr made inside a task is a root Listr of its own; by default it
            // takes SIGINT and calls process.exit(127) (what Ctrl-C did before), bypassing interruptible().
            { concurrent: true, exitOnError: false, registerSignalListeners: false },
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
    try {
      await tasks.run();
    } catch (e) {
      // Interrupted (e.g. while waiting for the lock): what finished is recorded, the rest is reported missing below.
      if (!o.signal?.aborted) throw e;
    }
  } finally {
    (release as (() => void) | null)?.();
    // An interrupted run stays unfinished (finished_at NULL): merge and reports show that it did not complete.
    if (o.signal?.aborted) releaseRun(o.resultsDir, runId, 'interrupted');
    else {
      finishRun(o.store, runId);
      releaseRun(o.resultsDir, runId, 'finished');
    }
  }
  const order = new Map(commits.map((c, i) => [c.sha, i]));
  const cellOrder = new Map(o.cells.map((c, i) => [c.name, i]));
  builds.sort((a, b) => order.get(a.commit.sha)! - order.get(b.commit.sha)! || cellOrder.get(a.cell.name)! - cellOrder.get(b.cell.name)!);
  const have = new Set(builds.map((b) => `${b.commit.sha}\0${b.cell.name}`));
  const missing = commits.flatMap((commit) =>
    o.cells
      .filter((cell) => !have.has(`${commit.sha}\0${cell.name}`))
      .map((cell) => ({ commit, cell, reason: failures.get(`${commit.sha}\0${cell.name}`) ?? (o.signal?.aborted ? 'interrupted before it was built' : 'not built') })),
  );
  return { runId, builds, missing };
}

/** The message of anything thrown. */
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The runtime a cell builds in: the run's, or the same engine in the cell's toolchain `image:`. */
export function runtimeOf(runtime: Runtime, cell: Pick<Cell, 'toolchain'>): Runtime {
  return cell.toolchain.image && runtime.withImage ? runtime.withImage(cell.toolchain.image) : runtime;
}

/** The key a cell's toolchain identity is asked and cached by (cross prefix, toolchain programs, image). */
export function cellToolchainKey(cell: Pick<Cell, 'crossCompile' | 'toolchain'>): string {
  return identityKey(cell.crossCompile, cell.toolchain);
}

/**
 * The outcome of a build that could not run or threw: ERROR with one diagnostic naming the cause (`infra`, or
 * `toolchain-missing` for a toolchain that is not there or misses its version pin).
 */
export function errorOutcome(cause: string, startedAt: string, seconds: number, logPath: string, kind: 'infra' | 'toolchain-missing' = 'infra'): BuildOutcome {
  const message = `kmatrix: ${cause}`;
  const base = { kind, severity: 'error', file: null, line: null, column: null, symbol: null, module: null } as const;
  const kept = [logPath, logPath.replace(/\.gz$/, '')].find((p) => p && existsSync(p) && statSync(p).isFile()) ?? '';
  return {
    status: 'ERROR',
    stage: 'build',
    exitCode: null,
    timedOut: false,
    aborted: false,
    seconds,
    startedAt,
    logPath: kept,
    diagnostics: [{ ...base, message, fingerprint: fingerprint({ ...base, message }) }],
    stages: {},
    ccache: null,
  };
}
