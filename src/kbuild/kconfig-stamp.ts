import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../types.js';

/** File in a build dir describing the inputs and result of its last Kconfig stage. */
export const KCONFIG_STAMP = '.kmatrix-kconfig-stamp';

/** Everything the Kconfig stage's result depends on. */
export interface KconfigInputs {
  /** The base config: an all*config/defconfig target name, or the base file's content. */
  base: string;
  /** The rendered fragment (KCONFIG_ALLCONFIG / appended lines). */
  fragment: string;
  /** The make command line of the stage without its target (ARCH, CROSS_COMPILE, CC, LLVM=1…). */
  make: string[];
  /** The compiler identity (runtime, image, `--version` line): Kconfig asks the compiler. */
  compiler: string;
  /** Digest of the `<blob id> <path>` lines of every Kconfig input file at the commit (treeDigest of kconfigTreeLines). */
  tree: string;
}

/** What the stamp records: the inputs' key, the .config they produced and the stage's unmet-symbol diagnostics. */
export interface KconfigStamp {
  version: 1;
  key: string;
  /** sha256 of the .config the stage left. */
  config: string;
  unmet: Diagnostic[];
  /** The git tree (HEAD^{tree}) the inputs were read from and their digest: the next build diffs against it instead of listing the whole tree. */
  treeId?: string;
  treeDigest?: string;
}

/** Whether a tracked path is an input of the Kconfig stage: any `Kconfig*`, scripts/kconfig/, the version probes Kconfig runs, defconfigs and the Makefiles that define the config targets. */
export function isKconfigInput(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return (
    base.startsWith('Kconfig') ||
    path.startsWith('scripts/kconfig/') ||
    /^scripts\/[^/]+\.sh$/.test(path) ||
    /^arch\/[^/]+\/configs\//.test(path) ||
    path.startsWith('kernel/configs/') ||
    path === 'Makefile' ||
    /^arch\/[^/]+\/Makefile$/.test(path)
  );
}

/** From `git ls-tree -r <commit>` output, the `<blob> <path>` lines of the Kconfig inputs, sorted. */
export function kconfigTreeLines(lsTree: string): string[] {
  const out: string[] = [];
  for (const line of lsTree.split('\n')) {
    // <mode> SP <type> SP <object> TAB <path>
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const path = line.slice(tab + 1);
    if (!isKconfigInput(path)) continue;
    const object = line.slice(0, tab).split(' ')[2] ?? '';
    out.push(`${object} ${path}`);
  }
  return out.sort();
}

/** sha256 (hex) of the Kconfig input lines of a tree: what the key hashes for the tree. */
export function treeDigest(lines: string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/**
 * The Kconfig inputs' digest at tree `headTree` taken over from the stamp, when it is known to be the same: the stamp was
 * made at that tree, or none of the paths changed since (`git diff-tree --name-only` from the stamp's tree) is a Kconfig
 * input. null = list the tree (no stamp tree, or a Kconfig input changed).
 */
export function carriedTreeDigest(stamp: KconfigStamp | null, headTree: string, changedSinceStamp: string[] | null): string | null {
  if (!stamp?.treeId || !stamp.treeDigest) return null;
  if (stamp.treeId === headTree) return stamp.treeDigest;
  if (changedSinceStamp === null || changedSinceStamp.some(isKconfigInput)) return null;
  return stamp.treeDigest;
}

/** The key of a set of Kconfig inputs (sha256, hex): equal keys mean the stage would produce the same .config. */
export function kconfigKey(i: KconfigInputs): string {
  const h = createHash('sha256');
  for (const part of [i.base, i.fragment, i.make.join('\0'), i.compiler, i.tree]) {
    h.update(String(part.length)).update(':').update(part).update('\n');
  }
  return h.digest('hex');
}

/** sha256 of a .config text. */
export function configDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The stamp of a build dir, or null if absent or unreadable. */
export function readStamp(buildDir: string): KconfigStamp | null {
  try {
    const s = JSON.parse(readFileSync(join(buildDir, KCONFIG_STAMP), 'utf8')) as KconfigStamp;
    if (s.version !== 1 || typeof s.key !== 'string' || typeof s.config !== 'string' || !Array.isArray(s.unmet)) return null;
    // A tree without its digest (or the reverse) cannot be carried over: drop both.
    if (typeof s.treeId !== 'string' || typeof s.treeDigest !== 'string') return { version: 1, key: s.key, config: s.config, unmet: s.unmet };
    return s;
  } catch {
    return null;
  }
}

/** Write the stamp after a successful Kconfig stage. */
export function writeStamp(buildDir: string, stamp: Omit<KconfigStamp, 'version'>): void {
  writeFileSync(join(buildDir, KCONFIG_STAMP), JSON.stringify({ version: 1, ...stamp }) + '\n');
}

/** Forget the stamp (the stage is about to change .config, or failed). */
export function clearStamp(buildDir: string): void {
  rmSync(join(buildDir, KCONFIG_STAMP), { force: true });
}

/** The stamp's cached diagnostics when it matches these inputs and the build dir's current .config; null = run the stage. */
export function stampHit(stamp: KconfigStamp | null, key: string, dotConfig: string | null): Diagnostic[] | null {
  if (!stamp || dotConfig === null || stamp.key !== key || stamp.config !== configDigest(dotConfig)) return null;
  return stamp.unmet;
}
