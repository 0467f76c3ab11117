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
  createdAt: string;
  cells: NightlyCell[];
  diff: DiffResult;
  exitCode: number;
}
