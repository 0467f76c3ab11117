/** Toolchains as a matrix axis: what a cell compiles with (GNU or LLVM), as data. */

/** A compiler family: GNU (`<cross>gcc` + binutils) or LLVM (`clang` + `ld.lld` + llvm binutils, `make LLVM=1`). */
export type ToolchainFamily = 'gcc' | 'llvm';

/** One toolchain of the matrix (`toolchains:` section; a matrix without one has DEFAULT_TOOLCHAIN only). */
export interface Toolchain {
  /** Its name in the matrix (`gcc`, `clang`); part of the cell name when the matrix has several. */
  name: string;
  family: ToolchainFamily;
  /** Extra make variables on every make call, e.g. `{ LLVM: '1' }`. */
  make: Record<string, string>;
  /** Container image for this toolchain; null = the matrix's image. */
  image: string | null;
  /** Version pin: the identified compiler version line must contain it; null = any. */
  version: string | null;
}

/** The toolchain of a matrix that names none: the GNU cross compiler of `cross_compile`. */
export const DEFAULT_TOOLCHAIN: Toolchain = { name: 'gcc', family: 'gcc', make: {}, image: null, version: null };
