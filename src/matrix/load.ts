/**
 * The matrix file: YAML parsed with positions, validated with zod, expanded into cells (`<config>/<variant>`,
 * `@<toolchain>` with several toolchains), each with its Kconfig fragment, targets, artifacts and hash. Every error
 * names file:line:column (InputError, exit 2).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { FragmentError, mergeFragments, parseFragment, type FragmentLine } from './fragment.js';
import { InputError } from '../errors.js';
import { MatrixSchema, type MatrixFile } from './schema.js';
import { DEFAULT_TOOLCHAIN, isDefaultBuild, makeVariableProblem, toolchainBuildDef, type Toolchain } from './toolchain.js';

/** One buildable cell of the matrix: `<config>/<variant>` (`@<toolchain>` when the matrix has several) with everything needed to build it. */
export interface Cell {
  name: string;
  config: string;
  variant: string;
  arch: string;
  crossCompile: string;
  /** A Kconfig target (`multi_v7_defconfig`, `allnoconfig`) or an absolute path to a config file. */
  base: string;
  /** Merged requested symbols: config fragments, then inline lines, then the variant's. */
  fragment: FragmentLine[];
  targets: string[];
  artifacts: string[];
  timeout: number;
  /** Where it builds; `container` = podman, or docker when only docker is installed. */
  runtime: 'host' | 'podman' | 'docker' | 'container';
  image: string | null;
  /** OCI runtime for the container engine (podman --runtime / docker run --runtime), e.g. runc. */
  ociRuntime: string | null;
  runtimeFlags: string[];
  /** What it compiles with (DEFAULT_TOOLCHAIN unless the matrix has a `toolchains:` section). */
  toolchain: Toolchain;
  /** Hash of everything that defines the build of this cell (not its name). */
  hash: string;
}

/** A loaded, validated matrix expanded to cells. */
export interface Matrix {
  name: string;
  /** Source file, or null for an ad-hoc matrix built from flags. */
  path: string | null;
  /** Hash of the expanded cells: changes when any cell's definition changes. */
  hash: string;
  file: MatrixFile;
  cells: Cell[];
}

/** Where a zod issue path points in the YAML document, as 1-based line/column. */
function locate(doc: Document, lc: LineCounter, path: PropertyKey[], key?: string): { line: number; column: number } {
  let node: unknown = doc.getIn(path.map(String).map((p) => (/^\d+$/.test(p) ? Number(p) : p)), true);
  // Walk up until something with a range exists (a missing key points at its parent map).
  let p = path.slice();
  while ((node === undefined || node === null) && p.length > 0) {
    p = p.slice(0, -1);
    node = p.length === 0 ? doc.contents : doc.getIn(p.map((x) => (/^\d+$/.test(String(x)) ? Number(x) : String(x))), true);
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
    if (pair && isScalar(pair.key) && pair.key.range) node = pair.key;
  }
  const range = (node as Node | null)?.range ?? [0, 0, 0];
  const pos = lc.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/** Turn the first zod issue into a located InputError. */
function issueError(file: string, doc: Document, lc: LineCounter, issue: z.core.$ZodIssue): InputError {
  const path = issue.path as PropertyKey[];
  const where = path.length ? path.map(String).join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const pos = locate(doc, lc, path, key);
    const hint = path.length === 0 && key === 'toolchain' ? ' (the label was replaced by a `toolchains:` section: see README "The matrix file")' : '';
    return new InputError(file, pos.line, pos.column, `unknown key '${key}' in ${where}${hint}`);
  }
  if (issue.code === 'invalid_key' && path.length > 0) {
    // A bad name (config, variant, toolchain): point at the name and say what names may hold.
    const key = String(path[path.length - 1]);
    const pos = locate(doc, lc, path.slice(0, -1), key);
    return new InputError(file, pos.line, pos.column, `${where}: bad name '${key}': ${issue.issues[0]?.message ?? issue.message}`);
  }
  const pos = locate(doc, lc, path);
  return new InputError(file, pos.line, pos.column, `${where}: ${issue.message}`);
}

/** Parse Kconfig lines given inline in YAML, located at the sequence item. */
function inlineLines(
  file: string,
  doc: Document,
  lc: LineCounter,
  path: (string | number)[],
  lines: string[],
): FragmentLine[] {
  return lines.flatMap((text, i) => {
    try {
      return parseFragment(text, `${file}`).map((l) => ({ ...l, line: locate(doc, lc, [...path, i]).line }));
    } catch (err) {
      if (err instanceof FragmentError) {
        const pos = locate(doc, lc, [...path, i]);
        return fail(new InputError(file, pos.line, pos.column, `malformed Kconfig line ${JSON.stringify(text)}: ${err.reason}`));
      }
      throw err;
    }
  });
}

function fail(err: Error): never {
  throw err;
}

/** Read a fragment file relative to the matrix, errors located in the fragment file itself. */
function fileLines(matrixFile: string, doc: Document, lc: LineCounter, path: (string | number)[], rel: string): FragmentLine[] {
  const abs = isAbsolute(rel) ? rel : resolve(dirname(matrixFile), rel);
  if (!existsSync(abs)) {
    const pos = locate(doc, lc, path);
    throw new InputError(matrixFile, pos.line, pos.column, `fragment file not found: ${rel} (looked at ${abs})`);
  }
  try {
    return parseFragment(readFileSync(abs, 'utf8'), abs);
  } catch (err) {
    if (err instanceof FragmentError) throw new InputError(abs, err.line, err.column, err.reason);
    throw err;
  }
}

/** Stable short hash of a JSON-able value. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** The matrix file being expanded: its path, content and YAML (for locating errors), and its parsed `fragments:` section. */
interface Expansion {
  file: string;
  m: MatrixFile;
  doc: Document;
  lc: LineCounter;
  named: Map<string, FragmentLine[]>;
}

/** What every config's cells share: the matrix's toolchains, whether cell names carry the toolchain, the names taken, the ad-hoc lines. */
interface CellsShared {
  toolchains: Map<string, Toolchain>;
  multi: boolean;
  seen: Set<string>;
  extra: readonly FragmentLine[];
}

type ConfigDef = MatrixFile['configs'][string];

/**
 * Expand a validated matrix file into cells (throws InputError for semantic problems). `extra` lines (ad-hoc
 * --kconfig-add) follow each config's own lines, before the variant's.
 */
export function expandMatrix(file: string, m: MatrixFile, doc: Document, lc: LineCounter, extra: readonly FragmentLine[] = []): Cell[] {
  const x: Expansion = { file, m, doc, lc, named: namedFragments(file, m, doc, lc) };
  const toolchains = matrixToolchains(file, m, doc, lc);
  // Several toolchains: the toolchain is part of every cell name (even of a config that builds with one of them).
  const shared: CellsShared = { toolchains, multi: toolchains.size > 1, seen: new Set<string>(), extra };
  const cells: Cell[] = [];
  for (const [cname, cfg] of Object.entries(m.configs)) cells.push(...configCells(x, cname, cfg, shared));
  if (cells.length === 0) {
    throw errorAt(x, ['configs'], Object.keys(m.configs).length ? 'configs: the matrix expands to no cells' : 'configs: defines no config (the matrix expands to no cells)');
  }
  return cells;
}

/** An InputError located at the YAML node `path` names. */
function errorAt(x: Expansion, path: (string | number)[], message: string): InputError {
  const pos = locate(x.doc, x.lc, path);
  return new InputError(x.file, pos.line, pos.column, message);
}

/** The `fragments:` section parsed, each fragment from its file or its inline lines. */
function namedFragments(file: string, m: MatrixFile, doc: Document, lc: LineCounter): Map<string, FragmentLine[]> {
  const named = new Map<string, FragmentLine[]>();
  for (const [name, frag] of Object.entries(m.fragments)) {
    named.set(
      name,
      frag.file !== undefined
        ? fileLines(file, doc, lc, ['fragments', name, 'file'], frag.file)
        : inlineLines(file, doc, lc, ['fragments', name, 'lines'], frag.lines ?? []),
    );
  }
  return named;
}

/** Fragment references resolved: a name from `fragments:`, or a path (with `/` or ending `.config`) to a fragment file. */
function resolveNamed(x: Expansion, path: (string | number)[], names: string[]): FragmentLine[][] {
  return names.map((n, i) => {
    const lines = x.named.get(n);
    if (lines) return lines;
    if (/\.config$|\//.test(n)) return fileLines(x.file, x.doc, x.lc, [...path, i], n);
    throw errorAt(x, [...path, i], `unknown fragment '${n}' (known: ${[...x.named.keys()].join(', ') || 'none'})`);
  });
}

/** The toolchains a config builds with (the matrix's unless it names some); an unknown or repeated name refused. */
function configToolchains(x: Expansion, cname: string, cfg: ConfigDef, toolchains: Map<string, Toolchain>): Toolchain[] {
  const tcNames = cfg.toolchains ?? [...toolchains.keys()];
  return tcNames.map((t, i) => {
    const tc = toolchains.get(t);
    const at = ['configs', cname, 'toolchains', i];
    if (!tc) throw errorAt(x, at, `config '${cname}' names unknown toolchain '${t}' (known: ${[...toolchains.keys()].join(', ')})`);
    if (tcNames.indexOf(t) !== i) throw errorAt(x, at, `config '${cname}' names toolchain '${t}' twice`);
    return tc;
  });
}

/** A config's base: a Kconfig target as is, or a config file resolved against the matrix's folder (which must exist). */
function configBase(x: Expansion, cname: string, cfg: ConfigDef): { isFile: boolean; base: string } {
  const isFile = /[/]/.test(cfg.base) || /\.config$/.test(cfg.base);
  const base = isFile ? resolve(dirname(x.file), cfg.base) : cfg.base;
  if (isFile && !existsSync(base)) throw errorAt(x, ['configs', cname, 'base'], `base config file not found: ${cfg.base}`);
  return { isFile, base };
}

/** One config's cells: each wanted variant not excluded, with each of its toolchains; a cell name taken twice refused. */
function configCells(x: Expansion, cname: string, cfg: ConfigDef, shared: CellsShared): Cell[] {
  const { file, m, doc, lc } = x;
  const tcs = configToolchains(x, cname, cfg, shared.toolchains);
  const wanted = cfg.variants ?? Object.keys(m.variants);
  const listPath = cfg.variants ? ['configs', cname, 'variants'] : ['configs', cname];
  for (const [i, v] of cfg.exclude.entries()) {
    if (!(v in m.variants)) throw errorAt(x, ['configs', cname, 'exclude', i], `exclude names unknown variant '${v}' (known: ${Object.keys(m.variants).join(', ')})`);
  }
  const { isFile, base } = configBase(x, cname, cfg);
  const configLines = mergeFragments([
    ...resolveNamed(x, ['configs', cname, 'fragments'], cfg.fragments),
    inlineLines(file, doc, lc, ['configs', cname, 'config'], cfg.config),
    shared.extra,
  ]);
  const cells: Cell[] = [];
  for (const [i, vname] of wanted.entries()) {
    const variant = m.variants[vname];
    const at = cfg.variants ? [...listPath, i] : listPath;
    if (!variant) throw errorAt(x, at, `config '${cname}' names unknown variant '${vname}' (known: ${Object.keys(m.variants).join(', ')})`);
    if (cfg.exclude.includes(vname)) continue;
    const base0 = `${cname}/${vname}`;
    if (shared.seen.has(base0)) throw errorAt(x, at, `duplicate cell '${base0}'`);
    shared.seen.add(base0);
    const fragment = mergeFragments([
      configLines,
      ...resolveNamed(x, ['variants', vname, 'fragments'], variant.fragments),
      inlineLines(file, doc, lc, ['variants', vname, 'config'], variant.config),
    ]);
    for (const tc of tcs) {
      const name = shared.multi ? `${base0}@${tc.name}` : base0;
      cells.push(cellOf(m, cfg, { name, config: cname, variant: vname, isFile, base, fragment, tc }));
    }
  }
  return cells;
}

/** One cell of a config's variant built with toolchain `tc`, its hash over everything that defines the build. */
function cellOf(
  m: MatrixFile,
  cfg: ConfigDef,
  c: { name: string; config: string; variant: string; isFile: boolean; base: string; fragment: FragmentLine[]; tc: Toolchain },
): Cell {
  const { tc, base, fragment } = c;
  const def = {
    arch: m.arch,
    crossCompile: m.cross_compile,
    // A config file counts by its content (an absolute path too), a Kconfig target by its name.
    base: c.isFile ? readFileSync(base, 'utf8') : base,
    fragment: fragment.map((l) => [l.symbol, l.value]),
    targets: cfg.targets ?? m.targets,
    artifacts: cfg.artifacts ?? m.artifacts,
    // Only a toolchain that builds differently from the default changes the hash (today's cells keep theirs).
    ...(isDefaultBuild(tc) ? {} : { toolchain: toolchainBuildDef(tc) }),
  };
  return {
    name: c.name,
    config: c.config,
    variant: c.variant,
    arch: m.arch,
    crossCompile: m.cross_compile,
    base,
    fragment,
    targets: def.targets,
    artifacts: def.artifacts,
    timeout: m.timeout,
    runtime: m.runtime,
    image: m.image ?? null,
    ociRuntime: m.oci_runtime ?? null,
    runtimeFlags: m.runtime_flags,
    toolchain: tc,
    hash: hashOf(def),
  };
}

/** The matrix's toolchains by name (DEFAULT_TOOLCHAIN alone without a `toolchains:` section); make variable names checked. */
export function matrixToolchains(file: string, m: MatrixFile, doc: Document, lc: LineCounter): Map<string, Toolchain> {
  if (m.toolchains === undefined) return new Map([[DEFAULT_TOOLCHAIN.name, DEFAULT_TOOLCHAIN]]);
  const out = new Map<string, Toolchain>();
  for (const [name, t] of Object.entries(m.toolchains)) {
    for (const key of Object.keys(t.make)) {
      const problem = makeVariableProblem(key);
      if (problem) {
        const pos = locate(doc, lc, ['toolchains', name, 'make'], key);
        throw new InputError(file, pos.line, pos.column, `toolchains.${name}.make: ${problem}`);
      }
    }
    out.set(name, { name, family: t.family, make: { ...t.make }, image: t.image ?? null, version: t.version ?? null });
  }
  if (out.size === 0) {
    const pos = locate(doc, lc, ['toolchains']);
    throw new InputError(file, pos.line, pos.column, 'toolchains: defines no toolchain (leave the section out to build with the cross gcc)');
  }
  return out;
}

/** Load, validate and expand a matrix file; every problem is an InputError with file:line:column. */
export function loadMatrix(path: string): Matrix {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError(path, null, null, 'matrix file not found');
  const text = readFileSync(file, 'utf8');
  return parseMatrix(text, file);
}

/** Most alias expansions a matrix may make (the yaml library's default): more is a "billion laughs" file. */
const MAX_ALIAS_COUNT = 100;

/** The document as plain data; aliases that expand past MAX_ALIAS_COUNT are an InputError at the first alias. */
function toJS(doc: Document, lc: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    let at = 0;
    visit(doc, {
      Alias(_key, node) {
        at = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const pos = lc.linePos(at);
    throw new InputError(file, pos.line, pos.col, `YAML aliases expand too much (${(e as Error).message}; at most ${MAX_ALIAS_COUNT} expansions): write the values out`);
  }
}

/** Validate and expand matrix YAML text that came from `file` (used for relative paths and messages). */
export function parseMatrix(text: string, file: string): Matrix {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const yamlErr = doc.errors[0];
  if (yamlErr) {
    const pos = lc.linePos(yamlErr.pos[0]);
    const msg = yamlErr.code === 'DUPLICATE_KEY' ? `duplicate key (a duplicate config or variant gives a duplicate cell): ${yamlErr.message.split('\n')[0]}` : yamlErr.message.split('\n')[0];
    throw new InputError(file, pos.line, pos.col, msg ?? 'YAML error');
  }
  const parsed = MatrixSchema.safeParse(toJS(doc, lc, file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new InputError(file, 1, 1, 'invalid matrix');
    throw issueError(file, doc, lc, issue);
  }
  const cells = expandMatrix(file, parsed.data, doc, lc);
  return { name: parsed.data.name, path: file, hash: hashOf(cells.map((c) => [c.name, c.hash])), file: parsed.data, cells };
}
