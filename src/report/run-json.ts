/** What `run` and `classify` print besides the grid: the exit code of a set of statuses and the `--json` shape of a build. */
import { roundStages } from '../stage-text.js';
import type { BuildStatus, CcacheStats, Diagnostic, StageTimes } from '../types.js';

/** The minimum `run --json` needs from a build. */
export interface RunJsonBuild {
  commit: { sha: string; subject: string };
  cell: { name: string };
  status: BuildStatus;
  seconds: number;
  diagnostics: Diagnostic[];
}

/** Exit code for a set of build statuses: 0 all PASS, 1 any FAIL, 3 any ERROR and no FAIL. */
export function exitCodeFor(statuses: BuildStatus[]): 0 | 1 | 3 {
  if (statuses.includes('FAIL')) return 1;
  if (statuses.includes('ERROR')) return 3;
  return 0;
}

/**
 * Exit code of `kmatrix demo`: its FAIL cells are the story it tells (0), but any ERROR cell, cell without a result or
 * interrupt makes it 3 — also next to FAIL cells (where `run` would say 1).
 */
export function demoExitCode(statuses: BuildStatus[], missing: number, interrupted: boolean): 0 | 3 {
  return interrupted || missing > 0 || statuses.includes('ERROR') ? 3 : 0;
}

/** The JSON shape `run --json` prints for one build. */
export function buildJson(
  b: RunJsonBuild & {
    stage?: string;
    logPath?: string;
    toolchain?: string;
    exitCode?: number | null;
    cached?: boolean;
    stages?: StageTimes;
    ccache?: CcacheStats | null;
  },
): Record<string, unknown> {
  // A reused result was not built by this run: it has no stage times or ccache counts of its own (null, not zeros).
  return {
    commit: b.commit.sha,
    subject: b.commit.subject,
    cell: b.cell.name,
    status: b.status,
    seconds: Math.round(b.seconds * 100) / 100,
    stage: b.stage ?? null,
    exitCode: b.exitCode ?? null,
    toolchain: b.toolchain ?? null,
    log: b.logPath ?? null,
    cached: b.cached ?? false,
    stages: b.cached || !b.stages ? null : roundStages(b.stages),
    ccache: b.cached ? null : (b.ccache ?? null),
    diagnostics: b.diagnostics,
  };
}
