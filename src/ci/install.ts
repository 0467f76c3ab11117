/** How generated jobs get kmatrix: only from a source the user names and that cannot change under them (pure). */
import { InputError } from '../errors.js';

/**
 * Where jobs get kmatrix. `tarball`: an `npm pack` tarball (a path in the repository, a URL, or a registry
 * `name@x.y.z`), fetched with `npm pack` and checked against its sha512 before install; `git`: a git URL at a
 * full commit id; `image`: a job image by digest that already holds kmatrix and the toolchains (no install).
 */
export type KmatrixSource =
  | { kind: 'tarball'; spec: string; sha512: string }
  | { kind: 'git'; spec: string }
  | { kind: 'image'; image: string };

const HEX512 = /^[0-9a-f]{128}$/;

/** An integrity as npm prints it (`sha512-<base64>`) or as `sha512sum` prints it (128 hex digits) → hex; throws naming the flag. */
export function sha512Hex(integrity: string): string {
  const t = integrity.trim();
  if (HEX512.test(t.toLowerCase())) return t.toLowerCase();
  const m = /^sha512-([A-Za-z0-9+/]{86}==)$/.exec(t);
  if (m) return Buffer.from(m[1]!, 'base64').toString('hex');
  throw new InputError('--kmatrix-integrity', null, null, `'${integrity}' is not a sha512 integrity: give npm's (sha512-<base64>, \`npm pack --json\` prints it) or 128 hex digits (sha512sum)`);
}

/** True when a spec names a tarball file or URL (`.tgz`, `.tar.gz`). */
function isTarball(spec: string): boolean {
  return /\.(tgz|tar\.gz)$/.test(spec.replace(/[?#].*$/, ''));
}

/** An exact registry version `name@1.2.3` (optionally scoped), never a range or tag. */
const EXACT = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * Decide the install source from `--kmatrix SPEC`, `--kmatrix-integrity` and `--kmatrix-image`; refuses (exit 2)
 * anything that could change under the user: a bare name, a range or tag, a branch, a tarball without its hash,
 * an image without a digest.
 */
export function kmatrixSource(spec: string | undefined, integrity: string | undefined, image: string | undefined): KmatrixSource {
  if (image !== undefined) {
    if (spec !== undefined || integrity !== undefined) throw new InputError('--kmatrix-image', null, null, 'the image already holds kmatrix: give either --kmatrix-image or --kmatrix, not both');
    if (!/^[^\s@]+@sha256:[0-9a-f]{64}$/.test(image)) {
      throw new InputError('--kmatrix-image', null, null, `'${image}' is not pinned: give NAME@sha256:<64 hex digits> (after \`podman push\`, \`podman image inspect --format '{{.Digest}}'\` prints the digest)`);
    }
    return { kind: 'image', image };
  }
  if (spec === undefined) {
    throw new InputError('--kmatrix', null, null, 'say where jobs get kmatrix: --kmatrix TARBALL made by `npm pack` (a path in the repository or a URL; its sha512 is checked), --kmatrix git+https://…#<full commit id>, or --kmatrix-image NAME@sha256:<digest>');
  }
  if (/^git\+|^git:\/\/|\.git(#|$)/.test(spec)) {
    if (integrity !== undefined) throw new InputError('--kmatrix-integrity', null, null, 'a git URL is pinned by its commit id, not by an integrity hash');
    if (!/^git\+(https|ssh|file):\/\/[^\s#]+#[0-9a-f]{40}$/.test(spec)) {
      throw new InputError('--kmatrix', null, null, `'${spec}' is not pinned: give git+https://HOST/PATH#<full 40-digit commit id> (a branch, tag or short id can change)`);
    }
    return { kind: 'git', spec };
  }
  if (!isTarball(spec) && !EXACT.test(spec)) {
    throw new InputError('--kmatrix', null, null, `'${spec}' can change under you (a bare name, range or tag): give a tarball made by \`npm pack\` with --kmatrix-integrity, a registry name@x.y.z with --kmatrix-integrity, a git URL at a full commit id, or --kmatrix-image`);
  }
  if (integrity === undefined) {
    throw new InputError('--kmatrix-integrity', null, null, `'${spec}' needs its sha512: --kmatrix-integrity sha512-… (\`npm pack --json\` prints it as integrity)`);
  }
  return { kind: 'tarball', spec, sha512: sha512Hex(integrity) };
}

/**
 * Shell lines that install kmatrix into a fresh directory of the job and put its bin on PATH (`exportPath` turns
 * the bin directory into the line that does so: `export PATH=…` in one shell, `>> "$GITHUB_PATH"` across steps).
 * Every line must succeed: a tarball whose sha512 differs fails the job before anything is installed.
 * Reads `$KMATRIX_PACKAGE` and `$KMATRIX_SHA512` (the file's variables); none for an image.
 */
export function installLines(s: KmatrixSource, exportPath: (bin: string) => string): string[] {
  if (s.kind === 'image') return [];
  // npm 11 runs the install scripts of a global install only for the packages named here (better-sqlite3
  // fetches or compiles its binding; a git source builds kmatrix itself with its prepack script).
  const allow = s.kind === 'git' ? 'kmatrix,better-sqlite3' : 'better-sqlite3';
  const install = `npm install -g --prefix "$kmatrix_home" --no-audit --no-fund --allow-scripts=${allow}`;
  const lines = ['kmatrix_home="$(mktemp -d)"'];
  if (s.kind === 'tarball') {
    lines.push(
      'kmatrix_tgz="$kmatrix_home/$(npm pack --silent --pack-destination "$kmatrix_home" "$KMATRIX_PACKAGE" | tail -n 1)"',
      'echo "$KMATRIX_SHA512  $kmatrix_tgz" | sha512sum --check --strict -',
      `${install} "$kmatrix_tgz"`,
    );
  } else {
    lines.push(`${install} "$KMATRIX_PACKAGE"`);
  }
  lines.push(exportPath('$kmatrix_home/bin'), '"$kmatrix_home/bin/kmatrix" --version');
  return lines;
}

/** The file-level variables the install lines read (none for an image). */
export function installVariables(s: KmatrixSource): Record<string, string> {
  if (s.kind === 'image') return {};
  return s.kind === 'tarball' ? { KMATRIX_PACKAGE: s.spec, KMATRIX_SHA512: s.sha512 } : { KMATRIX_PACKAGE: s.spec };
}
