import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The folders of src/ in dependency order, which is the data flow matrix → kconfig → runtime → workspace → kbuild → classify →
 * store → compare → report → cli: each may import only itself and the ones before it. `shared` is the top-level
 * vocabulary (types, errors, version, fingerprint, tree-paths, stage-text, …).
 */
const LAYERS = ['shared', 'matrix', 'kconfig', 'runtime', 'workspace', 'kbuild', 'classify', 'demo', 'store', 'pipeline', 'compare', 'report', 'ci', 'cli'];

const SRC = resolve(import.meta.dirname, '../../src');

/** Every .ts file under a folder. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer of a source file: its top folder, or `shared`. */
function layerOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : 'shared';
}

/** Folder-level import edges (from, to, file, specifier), from the imports TypeScript itself finds (type-only ones too). */
function edges(): { from: string; to: string; file: string; spec: string }[] {
  return files(SRC).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => ({ from: layerOf(file), to: layerOf(resolve(dirname(file), spec).replace(/\.js$/, '.ts')), file: relative(SRC, file), spec }))
      .filter((e) => e.from !== e.to),
  );
}

/** Cycles between folders (each as a path a → … → a), by depth-first search. */
export function folderCycles(es: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of es) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const cycles: string[][] = [];
  const walk = (node: string, path: string[]) => {
    for (const n of next.get(node) ?? []) {
      if (n === path[0]) cycles.push([...path, n]);
      else if (!path.includes(n) && n > path[0]!) walk(n, [...path, n]);
    }
  };
  for (const start of next.keys()) walk(start, [start]);
  return cycles;
}

describe('import graph', () => {
  const es = edges();

  it('sees the imports (the scan is not empty and finds a known arrow)', () => {
    expect(es.some((e) => e.file === 'cli/diff.ts' && e.to === 'compare')).toBe(true);
  });

  it('every folder of src/ has a place in the layer order', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
  });

  it('no cycle between folders', () => {
    expect(folderCycles(es).map((c) => c.join(' → '))).toEqual([]);
  });

  it('no arrow the wrong way (a folder imports only the ones before it)', () => {
    const wrong = es.filter((e) => LAYERS.indexOf(e.to) > LAYERS.indexOf(e.from)).map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to})`);
    expect(wrong).toEqual([]);
  });

  it('the cycle finder finds a planted cycle', () => {
    expect(folderCycles([{ from: 'compare', to: 'report' }, { from: 'report', to: 'compare' }])).toEqual([['compare', 'report', 'compare']]);
  });
});
