/** What a kmatrix killed without warning (SIGKILL, power loss) left behind, found and finished by the next one. */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { alive } from '../runtime/process.js';
import { cellId, recordBuild, unfinishedRuns, upsertCommit, type Store } from '../store/db.js';
import type { CommitInfo, RunStage, ToolchainUsed } from '../types.js';
import { causeDiagnostic } from './recorder.js';

/** Marker of a build in flight, written next to its log before it starts and removed once it is recorded. */
export interface InFlight extends ToolchainUsed {
  pid: number;
  runId: number;
  commit: CommitInfo;
  cell: { name: string; hash: string; definition: unknown };
  stage: RunStage;
  startedAt: string;
  /** Final (gzipped) log path. */
  logPath: string;
}

/** Suffix of in-flight markers (`<log>.gz.inflight`). */
const INFLIGHT = '.inflight';
/** File in a run's log dir naming the process that runs it. */
const OWNER = 'owner';

/** The log dir of a run. */
export function runLogDir(resultsDir: string, runId: number): string {
  return join(resultsDir, 'logs', `run-${runId}`);
}

/** Say which process runs `runId` (so another process can tell, later, that it died). Best effort: an unwritable results dir is the build's own ERROR to report. */
export function claimRun(resultsDir: string, runId: number): void {
  const dir = runLogDir(resultsDir, runId);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, OWNER), `${process.pid}\n`);
  } catch {
    /* the builds will fail to write their logs and say so */
  }
}

/** Give up this process's claim on a run it ends (finished or interrupted): no later process will take it for a killed one. */
export function releaseRun(resultsDir: string, runId: number, how: 'finished' | 'interrupted'): void {
  const dir = runLogDir(resultsDir, runId);
  try {
    renameSync(join(dir, OWNER), join(dir, `${OWNER}.${how}`));
  } catch {
    /* never claimed (unwritable results dir): nothing to release */
  }
}

/** Mark a build as in flight (written before make starts); null if it cannot be written (the build reports why). */
export function markInFlight(f: Omit<InFlight, 'pid'>): string | null {
  const file = `${f.logPath}${INFLIGHT}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ ...f, pid: process.pid }));
    return file;
  } catch {
    return null;
  }
}

/** The in-flight markers under a run's log dir. */
function markers(dir: string): string[] {
  const out: string[] = [];
  for (const sub of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
    if (!sub.isDirectory()) continue;
    for (const f of readdirSync(join(dir, sub.name))) if (f.endsWith(INFLIGHT)) out.push(join(dir, sub.name, f));
  }
  return out;
}

/** Record one abandoned build as ERROR (interrupted) with its half-written log, gzipped. */
async function recoverBuild(store: Store, claimed: string): Promise<void> {
  const f = JSON.parse(readFileSync(claimed, 'utf8')) as InFlight;
  const plain = f.logPath.replace(/\.gz$/, '');
  const why = `interrupted: kmatrix (pid ${f.pid}) was killed during this build; recorded by pid ${process.pid}`;
  let logPath: string | null = f.logPath;
  if (existsSync(plain)) {
    appendFileSync(plain, `kmatrix: ${why}\n`);
    await pipeline(createReadStream(plain), createGzip(), createWriteStream(f.logPath));
    rmSync(plain, { force: true });
  } else if (!existsSync(f.logPath)) {
    logPath = null;
  }
  upsertCommit(store, f.commit);
  recordBuild(store, {
    runId: f.runId,
    commitSha: f.commit.sha,
    cellId: cellId(store, f.cell.name, f.cell.hash, f.cell.definition),
    status: 'ERROR',
    stage: f.stage,
    exitCode: null,
    timedOut: false,
    seconds: 0,
    startedAt: f.startedAt,
    logPath,
    runtime: f.runtime,
    image: f.image,
    toolchain: f.toolchain,
    diagnostics: [causeDiagnostic('infra', why)],
  });
  rmSync(claimed, { force: true });
}

/**
 * Runs whose process died without finishing them: each build it had in flight becomes an ERROR row
 * ("interrupted"), with its half-written log kept (gzipped). The run itself stays unfinished (finished_at
 * NULL: merge and reports show it did not complete). Builds it never started have no row, so the next run
 * builds them. Returns how many runs and builds were recovered.
 */
export async function recoverAbandonedRuns(store: Store, resultsDir: string): Promise<{ runs: number; builds: number }> {
  let runs = 0;
  let builds = 0;
  for (const id of unfinishedRuns(store)) {
    const dir = runLogDir(resultsDir, id);
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(dir, OWNER), 'utf8').trim());
    } catch {
      continue; // no owner file: a run of an older kmatrix, or one still starting
    }
    if (!Number.isFinite(owner) || owner === process.pid || alive(owner)) continue;
    for (const m of markers(dir)) {
      const claimed = `${m}.recovering-${process.pid}`;
      try {
        renameSync(m, claimed); // atomic: of two recovering processes, one gets each marker
      } catch {
        continue;
      }
      await recoverBuild(store, claimed);
      builds++;
    }
    // Claim the run itself the same way (only one process closes it and counts it).
    try {
      renameSync(join(dir, OWNER), join(dir, `${OWNER}.dead`));
    } catch {
      continue;
    }
    runs++;
  }
  return { runs, builds };
}
