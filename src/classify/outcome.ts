/** A finished build's raw result (build/) → its BuildOutcome: the log classified, infra faults named, the status decided. */
import { statfsSync } from 'node:fs';
import type { BuildOutcome, RawBuild } from '../build/build.js';
import { fingerprint } from '../fingerprint.js';
import type { Diagnostic } from '../types.js';
import { classifyFile } from './index.js';
import { buildStatus } from './status.js';

const INFRA_BASE = { kind: 'infra', severity: 'error', file: null, line: null, column: null, symbol: null, module: null } as const;

/** Output lines that mean the machine, not the code, failed the build (gcc/as/ld/make report them as plain errors). */
const ENV_FAULT = /^.*(?:No space left on device|Disk quota exceeded).*$/m;

/** An infra diagnostic when the log shows a full disk (what the compiler printed, where, and how much is free there). */
export function environmentFault(logTail: string, dirs: string[]): Diagnostic | null {
  const line = ENV_FAULT.exec(logTail)?.[0]?.trim();
  if (!line) return null;
  const free = dirs.map((d) => {
    try {
      const st = statfsSync(d);
      return `${d}: ${Math.floor((st.bavail * st.bsize) / 1024)} KiB free`;
    } catch {
      return `${d}: unknown`;
    }
  });
  const message = `disk full: ${line} (${free.join('; ')})`;
  return { ...INFRA_BASE, message, fingerprint: fingerprint({ ...INFRA_BASE, message: 'disk full' }) };
}

/** The infra diagnostic of a build stopped by an interrupt (Ctrl-C, SIGTERM, SIGHUP: the abort reason). */
export function interrupted(reason: unknown): Diagnostic {
  const why = typeof reason === 'string' ? reason : 'abort';
  const message = `interrupted (${why}): kmatrix was stopped during this build; the build was killed`;
  return { ...INFRA_BASE, message, fingerprint: fingerprint({ ...INFRA_BASE, message: 'interrupted' }) };
}


/** The infra diagnostic of a command the runtime could not run (engine missing, container failed to start…). */
function runtimeFault(message: string): Diagnostic {
  return { ...INFRA_BASE, message, fingerprint: fingerprint({ ...INFRA_BASE, message }) };
}

/** Classify a raw build: its log, the Kconfig stage's findings and the infrastructure faults, then the status. */
export async function classifyBuild(raw: RawBuild): Promise<BuildOutcome> {
  const t0 = process.hrtime.bigint();
  const logDiags = await classifyFile(raw.logPath, { roots: raw.roots });
  const infra: Diagnostic[] = raw.infraError ? [runtimeFault(raw.infraError)] : [];
  const full = raw.exitCode !== 0 ? environmentFault(raw.logTail, raw.dirs) : null;
  if (full) infra.push(full);
  if (raw.aborted) infra.unshift(interrupted(raw.abortReason));
  // The classifier names a full disk too (for `classify`); keep this one, which says where and how much is free.
  const fromLog = full ? logDiags.filter((d) => d.fingerprint !== full.fingerprint) : logDiags;
  const diagnostics = [...raw.kconfig, ...infra, ...fromLog];
  const status = buildStatus({
    diagnostics,
    exitCode: raw.exitCode,
    missingArtifacts: raw.missingArtifacts,
    timedOut: raw.timedOut || raw.aborted || raw.infraError !== null,
  });
  const classifySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    status,
    stage: raw.stage,
    exitCode: raw.exitCode,
    timedOut: raw.timedOut,
    aborted: raw.aborted,
    seconds: raw.seconds + classifySeconds,
    startedAt: raw.startedAt,
    logPath: raw.logPath,
    diagnostics,
    stages: { ...raw.stages, classify: classifySeconds },
    ccache: raw.ccache ?? null,
  };
}
