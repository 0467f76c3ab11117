/** Shared parsing of modpost's `ERROR|WARNING|FATAL: [modpost: ]message` lines. */
import type { Severity } from '../../types.js';

/** One modpost line split into level and message. */
export interface ModpostLine {
  severity: Severity;
  level: 'ERROR' | 'WARNING' | 'FATAL';
  /** Whether the line carried the `modpost:` tag (kernels ≥ 5.7 always do). */
  tagged: boolean;
  message: string;
}

const RE = /^(?<lvl>ERROR|WARNING|FATAL): (?<tag>modpost: )?(?<msg>.+)$/;

/** Parse a modpost line, or null. */
export function parseModpost(line: string): ModpostLine | null {
  if (!(line.startsWith('ERROR: ') || line.startsWith('WARNING: ') || line.startsWith('FATAL: '))) return null;
  const m = RE.exec(line);
  if (!m?.groups) return null;
  const level = m.groups.lvl as ModpostLine['level'];
  return {
    level,
    severity: level === 'WARNING' ? 'warning' : 'error',
    tagged: m.groups.tag !== undefined,
    message: m.groups.msg!.trim(),
  };
}
