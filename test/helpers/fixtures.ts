import type { Diagnostic } from '../../src/types.js';

/** The seed diagnostic as modpost prints it on 6.1 (fields as the classifier fills them); override what a test needs. */
export function v7wbiDiagnostic(overrides: Partial<Diagnostic> = {}): Diagnostic {
  return {
    kind: 'modpost-undefined',
    severity: 'error',
    file: null,
    line: null,
    column: null,
    symbol: 'v7wbi_flush_kern_tlb_range',
    module: 'mm/zsmalloc.ko',
    message: 'ERROR: modpost: "v7wbi_flush_kern_tlb_range" [mm/zsmalloc.ko] undefined!',
    fingerprint: 'fp-v7wbi',
    ...overrides,
  };
}
