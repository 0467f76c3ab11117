/** Where a build's time went, as short text for progress lines and `kmatrix log` (pure). */
import type { CcacheStats, StageTimes } from './types.js';

/** Seconds of a minute or more as whole minutes and the rest, rounded to the second: 119.6 → [2, '00'] (never `1m60s`). */
export function minutesAndSeconds(s: number): [number, string] {
  const r = Math.round(s);
  return [Math.floor(r / 60), String(r % 60).padStart(2, '0')];
}

/** Seconds as text: `3.1s`, `0.04s`, `2m05s`. */
export function stageSecs(s: number): string {
  if (s >= 60) {
    const [m, rest] = minutesAndSeconds(s);
    return `${m}m${rest}s`;
  }
  return s >= 1 || s === 0 ? `${s.toFixed(1)}s` : `${s.toFixed(s >= 0.1 ? 1 : s >= 0.01 ? 2 : 3)}s`;
}

/**
 * One line of a build's stages: `kconfig skipped · make 3.1s · ccache 12/0` (ccache hits/misses). `detail` adds
 * compress, classify and store and spells ccache out. Empty when nothing was measured (a reused result, an old build).
 */
export function stageSummary(stages: StageTimes, ccache: CcacheStats | null, detail = false): string {
  const parts: string[] = [];
  if (stages.kconfigSkipped) parts.push('kconfig skipped');
  else if (stages.kconfig !== undefined) parts.push(`kconfig ${stageSecs(stages.kconfig)}`);
  if (stages.make !== undefined) parts.push(`make ${stageSecs(stages.make)}`);
  if (detail) {
    for (const k of ['compress', 'classify', 'store'] as const) {
      const v = stages[k];
      if (v !== undefined) parts.push(`${k} ${stageSecs(v)}`);
    }
  }
  if (ccache) {
    parts.push(
      detail
        ? `ccache ${ccache.hits} hit(s), ${ccache.misses} miss(es), ${ccache.uncacheable} uncacheable`
        : `ccache ${ccache.hits}/${ccache.misses}`,
    );
  }
  return parts.join(' · ');
}

/** Stage times rounded to milliseconds for JSON (the skipped flag kept as it is). */
export function roundStages(stages: StageTimes): StageTimes {
  const out: StageTimes = {};
  for (const [k, v] of Object.entries(stages) as [keyof StageTimes, number | boolean | undefined][]) {
    if (v === undefined) continue;
    (out as Record<string, number | boolean>)[k] = typeof v === 'number' ? Math.round(v * 1000) / 1000 : v;
  }
  return out;
}
