/** The data every nightly renderer (JUnit, Markdown, JSON, HTML) takes. */
import type { CellDiff, DiffResult } from '../compare/diff.js';
import type { BuildStatus, Diagnostic } from '../types.js';
import type { LogExcerpt } from './log-excerpt.js';

/** One cell of a nightly: its build at the ref and how it changed since the baseline. */
export interface NightlyCell {
  cell: string;
  status: BuildStatus | null;
  seconds: number;
  diagnostics: Diagnostic[];
  logPath: string | null;
  reproducer: string | null;
  excerpts: LogExcerpt[];
  change: CellDiff;
}

/** A finished nightly, ready to render. */
export interface NightlyReport {
  id: number | null;
  ref: string;
  sha: string;
  subject: string;
  matrixName: string;
  matrixHash: string;
  baselineSha: string | null;
  baselineSubject: string | null;
  /** How the baseline was chosen, e.g. `nightly #4 (last complete; skipped partial #5)` or `--baseline v6.1`. */
  baselineNote: string | null;
  /** Why this nightly is partial (interrupted, ERROR or unbuilt cells): it is not a baseline for the next one. Null when complete. */
  partial: string | null;
  createdAt: string;
  cells: NightlyCell[];
  diff: DiffResult;
  exitCode: number;
}
