/** Cells from TuxMake-style flags (--kconfig, --kconfig-add, --toolchain), expanded by the same code as a matrix file's cells. */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Document, LineCounter } from 'yaml';
import { InputError } from '../errors.js';
import { mergeFragments, type FragmentLine } from './fragment.js';
import { expandMatrix, hashOf, type Cell, type Matrix } from './load.js';
import { BUILTIN_TOOLCHAINS, DEFAULT_TOOLCHAIN } from './toolchain.js';

/**
 * An ad-hoc matrix: one config from `kconfig` (a Kconfig target or a config file) plus `extra` lines, crossed with
 * the template's variants (their fragments and lines) and settings.
 */
export function adhocMatrix(template: Matrix, kconfig: string, extra: readonly FragmentLine[]): Matrix {
  const isFile = kconfig.includes('/') || existsSync(kconfig);
  const base = isFile ? resolve(kconfig) : kconfig;
  if (isFile && !existsSync(base)) throw new InputError('--kconfig', null, null, `config file not found: ${kconfig}`);
  if (!isFile && !/^[A-Za-z0-9_.+-]+$/.test(kconfig)) throw new InputError('--kconfig', null, null, `'${kconfig}' is not a Kconfig target name`);
  const name = basename(kconfig).replace(/\.config$/, '').replace(/[^A-Za-z0-9._+-]/g, '_');
  const file = { ...template.file, configs: { [name]: { base, fragments: [], config: [], exclude: [] } } };
  // The template's fragments were read and located when it loaded; relative paths still resolve against it.
  const cells = expandMatrix(template.path ?? resolve('adhoc.yaml'), file, new Document(), new LineCounter(), extra);
  return { name: `${template.name}+adhoc`, path: null, hash: hashOf(cells.map((c) => [c.name, c.hash])), file, cells };
}

/** The matrix with `extra` lines on every cell (after the cell's own lines: they win). */
export function withExtraLines(matrix: Matrix, extra: readonly FragmentLine[]): Matrix {
  const cells: Cell[] = matrix.cells.map((c) => {
    const fragment = mergeFragments([c.fragment, extra]);
    return { ...c, fragment, hash: hashOf([c.hash, fragment.map((l) => [l.symbol, l.value])]) };
  });
  return { ...matrix, cells, hash: hashOf(cells.map((c) => [c.name, c.hash])) };
}

/** The toolchains `--toolchain` can name in this matrix: the matrix's own, then the built-in ones it does not define. */
export function knownToolchains(matrix: Matrix): { matrix: string[]; builtin: string[] } {
  const own = matrix.file.toolchains ? Object.keys(matrix.file.toolchains) : [DEFAULT_TOOLCHAIN.name];
  return { matrix: own, builtin: Object.keys(BUILTIN_TOOLCHAINS).filter((n) => !own.includes(n)) };
}

/**
 * `--toolchain NAME` (TuxMake's flag): a toolchain the matrix defines selects its cells (names unchanged: the
 * matrix is the same, `keep` filters; a matrix without `toolchains:` has `gcc`); a built-in one it does not define
 * (`gcc`, `clang`, `llvm`: see BUILTIN_TOOLCHAINS) rebuilds the matrix with that toolchain alone (named
 * `<matrix>+<toolchain>`, its cells `<config>/<variant>` with that toolchain's hash and build dir). Else exit 2
 * naming the flag and the known names.
 */
export function selectToolchain(matrix: Matrix, name: string): { matrix: Matrix; keep: (c: Cell) => boolean } {
  const known = knownToolchains(matrix);
  if (known.matrix.includes(name)) return { matrix, keep: (c) => c.toolchain.name === name };
  const builtin = known.builtin.includes(name) ? BUILTIN_TOOLCHAINS[name] : undefined;
  if (!builtin) {
    throw new InputError('--toolchain', null, null, `unknown toolchain '${name}' (the matrix defines: ${known.matrix.join(', ')}; built-in: ${known.builtin.join(', ') || 'none'})`);
  }
  const toolchains = { [name]: { family: builtin.family, make: { ...builtin.make } } };
  const configs = Object.fromEntries(Object.entries(matrix.file.configs).map(([k, c]) => [k, { ...c, toolchains: undefined }]));
  const file = { ...matrix.file, name: `${matrix.name}+${name}`, toolchains, configs };
  const cells = expandMatrix(matrix.path ?? resolve('adhoc.yaml'), file, new Document(), new LineCounter());
  return { matrix: { name: file.name, path: matrix.path, hash: hashOf(cells.map((c) => [c.name, c.hash])), file, cells }, keep: () => true };
}
