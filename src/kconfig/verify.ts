/** The Kconfig stage's findings: requested fragment symbols that did not stick in the .config, as `kconfig-unmet` diagnostics. */
import { fingerprint } from '../fingerprint.js';
import type { Diagnostic } from '../types.js';
import { parseDotConfig } from './dotconfig.js';
import { explainUnmet } from './explain.js';
import { fragmentValues, type FragmentLine } from '../matrix/fragment.js';
import { loadKconfig } from './parser.js';
import type { KconfigUnmet } from './types.js';

/** A `kconfig-unmet` diagnostic from one explained symbol. */
export function unmetDiagnostic(u: KconfigUnmet): Diagnostic {
  const d = {
    kind: 'kconfig-unmet' as const,
    severity: 'error' as const,
    file: u.definedAt[0]?.replace(/:\d+$/, '') ?? null,
    line: null,
    column: null,
    symbol: `CONFIG_${u.symbol}`,
    module: null,
    message: u.message,
  };
  // Fingerprint on what was asked and what came out, not on the (value-annotated) explanation.
  return { ...d, fingerprint: fingerprint({ ...d, message: `${u.symbol} requested ${u.requested} got ${u.actual}` }) };
}

/** Verify every requested symbol against the final .config; explain each one that did not stick. */
export function kconfigDiagnostics(srcDir: string, srcarch: string, dotconfig: string, requested: FragmentLine[]): Diagnostic[] {
  const values = parseDotConfig(dotconfig);
  const wanted = fragmentValues(requested);
  const differs = [...wanted].some(([sym, v]) => (values.get(sym) ?? 'n') !== v);
  if (!differs) return [];
  // Only parse the Kconfig sources when something did not stick (about a second on ARM).
  const db = loadKconfig(srcDir, { srcarch });
  return explainUnmet(db, values, wanted).map(unmetDiagnostic);
}
