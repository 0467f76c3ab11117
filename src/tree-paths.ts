/** Turning paths printed by the toolchain into paths relative to the kernel source tree. */

/** Top-level directories of a Linux source tree, used to strip unknown absolute prefixes. */
export const KERNEL_TOP_DIRS: readonly string[] = [
  'arch', 'block', 'certs', 'crypto', 'drivers', 'fs', 'include', 'init', 'io_uring', 'ipc',
  'kernel', 'lib', 'mm', 'net', 'rust', 'samples', 'scripts', 'security', 'sound', 'tools',
  'usr', 'virt',
];

/** Top dirs whose names also commonly appear in host paths (/usr/src/kernel/...): weaker evidence. */
const WEAK_TOP_DIRS = new Set(['kernel', 'lib', 'scripts', 'tools', 'usr']);
const TOP_DIR_RE = new RegExp(`/(${KERNEL_TOP_DIRS.join('|')})(?=/)`, 'g');

/** Index of the kernel top dir in an absolute path: earliest strong dir, else earliest weak one not at the start. */
function topDirIndex(p: string): number {
  let weak = -1;
  for (const m of p.matchAll(TOP_DIR_RE)) {
    if (!WEAK_TOP_DIRS.has(m[1]!)) return m.index + 1;
    if (weak === -1 && m.index > 0) weak = m.index + 1;
  }
  return weak;
}

/** Normalise a list of roots: absolute, no trailing slash, longest first (so nested roots win). */
export function normaliseRoots(roots: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of roots) {
    const t = r.trim().replace(/\/+$/, '');
    if (t.length > 1) out.add(t);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * Path relative to the kernel source tree: strips a known root (source tree or O= dir), else
 * everything before the first well-known top-level kernel dir; drops leading `./` and `../`.
 * `roots` must be normalised (see normaliseRoots).
 */
export function relativePath(path: string, roots: readonly string[]): string {
  let p = path.trim();
  for (const root of roots) {
    if (p.startsWith(root + '/')) {
      p = p.slice(root.length + 1);
      return tidy(p);
    }
  }
  if (p.startsWith('/')) {
    const i = topDirIndex(p);
    return i === -1 ? p : tidy(p.slice(i));
  }
  const t = tidy(p);
  // `../../../src/drivers/x.c`: a path relative to the O= dir that leaves it (ccache's base_dir makes the compiler
  // print these): cut before the kernel top dir, as for an unknown absolute prefix.
  if (p.startsWith('../') && !KERNEL_TOP_DIRS.includes(t.split('/')[0] ?? '')) {
    const i = topDirIndex(`/${t}`);
    if (i > 0) return t.slice(i - 1);
  }
  return t;
}

function tidy(p: string): string {
  let s = p.replace(/\/{2,}/g, '/');
  for (;;) {
    if (s.startsWith('./')) s = s.slice(2);
    else if (s.startsWith('../')) s = s.slice(3);
    else break;
  }
  return s;
}

/** Replace every absolute path-like token inside free text by its tree-relative form. */
export function relativiseText(text: string, roots: readonly string[]): string {
  return text.replace(/(?<![\w.])\/[^\s'"`‘’():,;\[\]]+/g, (tok) => relativePath(tok, roots));
}
