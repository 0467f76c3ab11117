/** Cells from TuxMake-style flags (--kconfig, --kconfig-add), expanded by the same code as a matrix file's cells. */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Document, LineCounter } from 'yaml';
import { InputError } from '../errors.js';
import { mergeFragments, type FragmentLine } from './fragment.js';
import { expandMatrix, hashOf, type Cell, type Matrix } from './load.js';

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
