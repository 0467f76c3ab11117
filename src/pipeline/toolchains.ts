/** The toolchains of a run's cells: identified once per toolchain, with why a cell cannot be built (I/O: asks the runtime). */
import type { Cell } from '../matrix/load.js';
import { identityKey, toolchainCommands, versionPinProblem } from '../matrix/toolchain.js';
import type { Runtime, ToolchainIdentity } from '../runtime/runtime.js';
import type { ToolchainUsed } from '../types.js';

/** Why a cell's toolchain makes its builds ERROR without building: not identified (`infra`) or missing its version pin. */
export interface ToolchainProblem {
  kind: 'infra' | 'toolchain-missing';
  cause: string;
}

/** The identified toolchains of a run. */
export interface RunToolchains {
  /** The identity of a cell's toolchain (an `unknown:` one when it could not be identified). */
  of(cell: Cell): ToolchainIdentity;
  /** Why a cell cannot be built, or null. */
  problem(cell: Cell): ToolchainProblem | null;
}

/** The runtime a cell builds in: the run's, or the same engine in the cell's toolchain `image:`. */
export function runtimeOf(runtime: Runtime, cell: Pick<Cell, 'toolchain'>): Runtime {
  return cell.toolchain.image && runtime.withImage ? runtime.withImage(cell.toolchain.image) : runtime;
}

/** The key a cell's toolchain identity is asked and cached by (cross prefix, toolchain programs, image). */
export function cellToolchainKey(cell: Pick<Cell, 'crossCompile' | 'toolchain'>): string {
  return identityKey(cell.crossCompile, cell.toolchain);
}

/** A toolchain identity as a build records it. */
export function toolchainUsed(tc: ToolchainIdentity): ToolchainUsed {
  return { runtime: tc.runtime, image: tc.image, toolchain: tc.compiler };
}

/** The message of anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Identify each toolchain of the cells once (per cross prefix, family, make variables and image, not per cross
 * prefix alone) and check each cell's version pin (two toolchains may share programs but not pins).
 */
export async function identifyToolchains(runtime: Runtime, cells: readonly Cell[]): Promise<RunToolchains> {
  const identities = new Map<string, ToolchainIdentity>();
  const problems = new Map<string, ToolchainProblem>();
  const pinKey = (cell: Cell) => `${cellToolchainKey(cell)}\0${cell.toolchain.version ?? ''}`;
  for (const cell of cells) {
    const key = cellToolchainKey(cell);
    if (!identities.has(key)) {
      const cmd = toolchainCommands(cell.toolchain, cell.crossCompile).compiler;
      try {
        identities.set(key, await runtimeOf(runtime, cell).identity(cell.crossCompile, cell.toolchain));
      } catch (e) {
        identities.set(key, { runtime: runtime.name, image: null, compiler: `unknown: ${cmd} not identified` });
        problems.set(key, { kind: 'infra', cause: `identifying the toolchain ${cmd} failed: ${errorText(e)}` });
      }
    }
    // Never built, never PASS: a toolchain that misses the cell's pin.
    const pin = versionPinProblem(cell.toolchain, identities.get(key)!.compiler);
    if (pin && !problems.has(key)) problems.set(pinKey(cell), { kind: 'toolchain-missing', cause: pin });
  }
  return {
    of: (cell) => identities.get(cellToolchainKey(cell))!,
    problem: (cell) => problems.get(cellToolchainKey(cell)) ?? problems.get(pinKey(cell)) ?? null,
  };
}
