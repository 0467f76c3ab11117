/** Stored builds → what reports show: reproducer and log excerpts (reads logs: I/O). */
import type { HistoryBuild } from './grid.js';
import { logExcerpts, readLog, type ExcerptOptions, type LogExcerpt } from './log-excerpt.js';
import { reproducer } from './reproducer.js';
import type { LoadedBuild } from '../store/queries.js';

/** The reproducer of a stored build (null when its cell definition is not recorded). */
export function buildReproducer(b: LoadedBuild): string | null {
  if (!b.definition) return null;
  return reproducer({
    cell: b.definition,
    sha: b.commitSha,
    subject: b.subject,
    tree: b.tree,
    runtime: b.runtime,
    image: b.image,
    user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  });
}

/** Excerpts around the errors of a stored build's log ([] when the log is gone). */
export function buildExcerpts(b: LoadedBuild, o: ExcerptOptions = {}): LogExcerpt[] {
  if (!b.diagnostics.some((d) => d.severity === 'error')) return [];
  const log = readLog(b.logPath);
  return log ? logExcerpts(log, b.diagnostics, { maxExcerpts: 6, maxChars: 8192, ...o }) : [];
}

/** A stored build as a grid entry; failing (FAIL/ERROR) builds get their reproducer and log excerpts. */
export function historyBuild(b: LoadedBuild): HistoryBuild {
  const failing = b.status !== 'PASS';
  return {
    commitSha: b.commitSha,
    cell: b.cell,
    status: b.status,
    diagnostics: b.diagnostics,
    seconds: b.seconds,
    logPath: b.logPath,
    buildId: b.id,
    toolchain: b.toolchain,
    runtime: b.runtime,
    reproducer: failing ? buildReproducer(b) : null,
    excerpts: failing ? buildExcerpts(b) : [],
  };
}
