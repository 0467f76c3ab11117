/** Toolchains as a matrix axis: what a cell compiles with (GNU or LLVM), as data. */
import { createHash } from 'node:crypto';

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

/** The families, for validation and messages. */
export const TOOLCHAIN_FAMILIES: readonly ToolchainFamily[] = ['gcc', 'llvm'];

/**
 * Toolchains `--toolchain NAME` knows when the matrix does not define NAME: `gcc` (the cross gcc and binutils of
 * `cross_compile`, no extra make variable), `clang` and its alias `llvm` (`make LLVM=1`: clang, ld.lld, llvm-ar…).
 */
export const BUILTIN_TOOLCHAINS: Readonly<Record<string, Toolchain>> = {
  gcc: DEFAULT_TOOLCHAIN,
  clang: { name: 'clang', family: 'llvm', make: { LLVM: '1' }, image: null, version: null },
  llvm: { name: 'llvm', family: 'llvm', make: { LLVM: '1' }, image: null, version: null },
};

/** A make variable name (what `make NAME=value` accepts and the kernel's Makefiles read). */
export const MAKE_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Make variables kmatrix sets itself on every make call: a toolchain may not override them. */
export const RESERVED_MAKE_VARIABLES: readonly string[] = ['ARCH', 'CROSS_COMPILE', 'O', 'KCONFIG_CONFIG', 'KCONFIG_ALLCONFIG'];

/** Why a make variable name is refused, or null when it is fine. */
export function makeVariableProblem(name: string): string | null {
  if (!MAKE_VARIABLE.test(name)) return `'${name}' is not a make variable name (letters, digits and _, not starting with a digit)`;
  if (RESERVED_MAKE_VARIABLES.includes(name)) return `'${name}' is set by kmatrix on every make call (from the matrix), a toolchain cannot override it`;
  return null;
}

/**
 * Whether the toolchain builds exactly as a matrix without `toolchains:` does (GNU, no make variables, the matrix's
 * image): such a cell keeps its hash and build dir (a version pin does not change what is built).
 */
export function isDefaultBuild(tc: Pick<Toolchain, 'family' | 'make' | 'image'>): boolean {
  return tc.family === 'gcc' && Object.keys(tc.make).length === 0 && tc.image === null;
}

/** What of a toolchain defines the build (not its name nor its version pin), in a stable order. */
export function toolchainBuildDef(tc: Pick<Toolchain, 'family' | 'make' | 'image'>): { family: ToolchainFamily; make: [string, string][]; image: string | null } {
  return { family: tc.family, make: Object.entries(tc.make).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), image: tc.image };
}

/**
 * The toolchain's part of a build dir / shard key: null for a default build (today's dirs stay), else
 * `<family>-<hash>` of what defines the build, so `clang` and `llvm` (both `LLVM=1`) share warm dirs.
 */
export function toolchainDirKey(tc: Pick<Toolchain, 'family' | 'make' | 'image'>): string | null {
  if (isDefaultBuild(tc)) return null;
  return `${tc.family}-${createHash('sha256').update(JSON.stringify(toolchainBuildDef(tc))).digest('hex').slice(0, 8)}`;
}

/** `make VAR=value` arguments of a toolchain, in a stable order. */
export function makeVariables(tc: Pick<Toolchain, 'make'>): string[] {
  return toolchainBuildDef({ family: 'gcc', make: tc.make, image: null }).make.map(([k, v]) => `${k}=${v}`);
}

/** The commands whose `--version` identify a toolchain: the compiler, and for LLVM the linker. */
export interface ToolchainCommands {
  compiler: string;
  linker: string | null;
}

/** The program of a make variable value such as `CC="ccache clang"` (a leading ccache/distcc wrapper dropped). */
function program(value: string): string {
  const words = value.trim().split(/\s+/).filter(Boolean);
  while (words.length > 1 && /(^|\/)(ccache|distcc|sccache|icecc)$/.test(words[0]!)) words.shift();
  return words[0] ?? value;
}

/**
 * Which programs the kernel's make runs for this toolchain: for GNU `<cross>gcc`; for LLVM `clang` and `ld.lld`
 * as `LLVM=` selects them (`LLVM=1`, `LLVM=-14` → `clang-14`, `LLVM=/opt/llvm/bin/` → `/opt/llvm/bin/clang`);
 * `CC=`/`LD=` make variables win.
 */
export function toolchainCommands(tc: Pick<Toolchain, 'family' | 'make'>, crossCompile: string): ToolchainCommands {
  const cc = tc.make['CC'];
  const ld = tc.make['LD'];
  if (tc.family === 'gcc') return { compiler: cc ? program(cc) : `${crossCompile}gcc`, linker: null };
  const llvm = tc.make['LLVM'] ?? '';
  const [prefix, suffix] = llvm.endsWith('/') ? [llvm, ''] : llvm.startsWith('-') ? ['', llvm] : ['', ''];
  return { compiler: cc ? program(cc) : `${prefix}clang${suffix}`, linker: ld ? program(ld) : `${prefix}ld.lld${suffix}` };
}

/** The first non-empty line of a `--version` output. */
export function firstLine(out: string): string {
  return out.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
}

/**
 * The recorded identity line: the compiler's own first `--version` line, and for LLVM ` + ` the linker's
 * (`Debian clang version 14.0.6 + Debian LLD 14.0.6`; lld's `(compatible with GNU linkers)` tail dropped).
 */
export function identityLine(compilerVersion: string, linkerVersion: string | null): string {
  const cc = firstLine(compilerVersion);
  if (linkerVersion === null) return cc;
  return `${cc} + ${firstLine(linkerVersion).replace(/\s*\(compatible with GNU linkers\)\s*$/, '')}`;
}

/** Why an identified toolchain does not meet the toolchain's version pin, or null when it does (or has none). */
export function versionPinProblem(tc: Pick<Toolchain, 'name' | 'version'>, compiler: string): string | null {
  if (tc.version === null || compiler.includes(tc.version)) return null;
  return `toolchain ${tc.name}: version ${JSON.stringify(tc.version)} expected, found ${JSON.stringify(compiler)}`;
}

/** The key identities are asked and cached by: cross prefix and everything of the toolchain that picks its programs. */
export function identityKey(crossCompile: string, tc: Pick<Toolchain, 'family' | 'make' | 'image'>): string {
  return JSON.stringify([crossCompile, toolchainBuildDef(tc)]);
}
