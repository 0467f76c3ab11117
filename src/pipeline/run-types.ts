/** The vocabulary of one matrix run: its options, the builds it reports, its result and the events its display hears. */
import type { BuildOutcome } from '../kbuild/build.js';
import type { Cell, Matrix } from '../matrix/load.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/db.js';
import type { CommitInfo } from '../types.js';

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

/** A cell at a commit with no recorded build, and why. */
export interface MissingBuild {
  commit: CommitInfo;
  cell: Cell;
  reason: string;
}

/** What runMatrix returns: every build recorded, and every (commit, cell) that has none (never silently dropped). */
export interface RunResult {
  runId: number;
  builds: RunBuild[];
  /** Cells with no recorded build (interrupted before they started, or the store itself failed), with why. */
  missing: MissingBuild[];
}

/** Where a commit of the run is (what its progress line says). */
export type CommitState =
  | { state: 'cached'; cached: number }
  | { state: 'checkout' }
  | { state: 'waiting'; pid: number }
  | { state: 'cached-meanwhile'; cached: number }
  | { state: 'checkout-failed' }
  | { state: 'building'; cached: number; cells: Cell[] };

/** What a run tells its progress display; the display keeps no state of the run, only what it shows. */
export type RunEvent =
  | ({ kind: 'commit'; commit: CommitInfo } & CommitState)
  | { kind: 'cell'; commit: CommitInfo; cell: Cell; stage: string }
  | { kind: 'built'; commit: CommitInfo; cell: Cell; build: RunBuild }
  | { kind: 'dropped'; commit: CommitInfo; cell: Cell }
  | { kind: 'commit-done'; commit: CommitInfo };
