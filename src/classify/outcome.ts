/** A finished build's raw result (build/) → its BuildOutcome: the log classified, infra faults named, the status decided. */
import { statfsSync } from 'node:fs';
import type { BuildOutcome, RawBuild } from '../kbuild/build.js';
import { fingerprint } from '../fingerprint.js';
import type { Diagnostic } from '../types.js';
import { classifyFile } from './index.js';
import { DISK_FULL } from './kinds/infra.js';
import { buildStatus } from './status.js';

const INFRA_BASE = { kind: 'infra', severity: 'error', file: null, line: null, column: null, symbol: null, module: null } as const;

/** Output lines that mean the machine, not the code, failed the build (gcc/as/ld/make report them as plain errors). */
const ENV_FAULT = new RegExp(`^.*(?:${DISK_FULL.source}).*$`, 'm');

/** Below this many free bytes in a build's own dirs, a failed build is blamed on the full disk even when no tool said so. */
export const NEARLY_FULL_BYTES = 4 * 1024 * 1024;

/** Free bytes of the file system holding a dir, or null if unknown. */
export type FreeBytes = (dir: string) => number | null;

/** statfs-based FreeBytes. */
export const statfsFree: FreeBytes = (dir) => {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
};

/**
 * An infra diagnostic when a failed build ran out of disk: the log shows it (what the tool printed, where, and how much
 * is free there), or one of its dirs is nearly full (< NEARLY_FULL_BYTES) although the tool said something else
 * (bison says `input/output error`; a ccache hit leaves the compiler no write to fail).
 */
export function environmentFault(logTail: string, dirs: string[], free: FreeBytes = statfsFree): Diagnostic | null {
  const frees = dirs.map((d) => ({ d, bytes: free(d) }));
  const show = frees.map(({ d, bytes }) => `${d}: ${bytes === null ? 'unknown' : `${Math.floor(bytes / 1024)} KiB free`}`).join('; ');
  const line = ENV_FAULT.exec(logTail)?.[0]?.trim();
  let message: string;
  if (line) message = `disk full: ${line} (${show})`;
  else {
    const full = frees.find(({ bytes }) => bytes !== null && bytes < NEARLY_FULL_BYTES);
    if (!full) return null;
    const said = /^.*(?:error|Error \d+).*$/m.exec(logTail)?.[0]?.trim();
    message = `disk full: No space left on device in ${full.d} when the build failed (${show})${said ? `; the tool said: ${said}` : ''}`;
  }
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
