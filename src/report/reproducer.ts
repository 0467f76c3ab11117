/** Reproducers: the exact shell commands that rebuild one cell at one commit, on the host or in its container (pure). */
import { makeArgv } from '../kbuild/build.js';
import { cellSlug } from '../workspace/paths.js';
import { renderFragment } from '../matrix/fragment.js';
import type { Cell } from '../matrix/load.js';
import { isAllConfigTarget } from '../matrix/support.js';
import { runArgv, type ContainerSettings } from '../runtime/container.js';
import { DEFAULT_IMAGE } from '../runtime/image.js';

/** What a reproducer needs: the cell definition (from the store), the commit, where and how it was built. */
export interface ReproducerInput {
  cell: Pick<Cell, 'name' | 'arch' | 'crossCompile' | 'base' | 'fragment' | 'targets'> &
    Partial<Pick<Cell, 'image' | 'ociRuntime' | 'runtimeFlags' | 'toolchain'>>;
  sha: string;
  subject?: string;
  /** The kernel repository (a work tree or its git dir); null → the current directory. */
  tree: string | null;
  /** Runtime the build ran under: host, podman or docker. */
  runtime: string;
  /** Image (ID) the build used, if a container. */
  image?: string | null;
  /** Scratch directory for the worktree and O= dir (default /tmp/kmatrix-repro/<sha12>). */
  workDir?: string;
  /** make -j (default `$(nproc)`). */
  makeJobs?: number;
  /** Container user (default root). */
  user?: { uid: number; gid: number };
}

const RAW_JOBS = '-j$(nproc)';

/** Quote one word for POSIX sh (the `-j$(nproc)` word stays unquoted so the shell expands it). */
export function shq(w: string): string {
  if (w === RAW_JOBS || /^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}

/** The repository path to run git in: a `/x/.git` common dir → `/x`. */
function repoPath(tree: string | null): string {
  if (!tree) return '.';
  return tree.replace(/\/\.git\/?$/, '');
}

/** A full image ID (`sha256:` + 64 hex digits) as engines accept it in `run`; null for anything else (a name, a short ID). */
export function imageIdRef(image: string | null | undefined): string | null {
  return image && /^sha256:[0-9a-f]{64}$/.test(image) ? image : null;
}

/** Shell script (text) that rebuilds the cell at the commit exactly as kmatrix did. */
export function reproducer(i: ReproducerInput): string {
  const short = i.sha.slice(0, 12);
  const work = i.workDir ?? `/tmp/kmatrix-repro/${short}`;
  const src = `${work}/src`;
  const out = `${work}/build/${cellSlug(i.cell.name)}`;
  const frag = `${out}/kmatrix.fragment`;
  const repo = repoPath(i.tree);
  const container = i.runtime === 'podman' || i.runtime === 'docker';
  const named = i.cell.toolchain?.image ?? i.cell.image ?? DEFAULT_IMAGE;
  // The image the build ran in, by ID when the store has it: the cell's matrix name may not be it (`--image X`).
  const exact = imageIdRef(i.image);
  const settings: ContainerSettings | null = container
    ? {
        engine: i.runtime as 'podman' | 'docker',
        image: exact ?? named,
        ociRuntime: i.cell.ociRuntime ?? null,
        runFlags: i.cell.runtimeFlags ?? [],
        ccacheDir: null,
        user: i.user ?? { uid: 0, gid: 0 },
      }
    : null;
  const gitDir = i.tree ? (i.tree.endsWith('.git') ? i.tree : `${repo}/.git`) : null;
  const wrap = (argv: string[]): string[] =>
    settings
      ? runArgv(settings, 'kmatrix-repro', {
          argv,
          cwd: out,
          mounts: [
            { path: src, readOnly: true },
            { path: out, readOnly: false },
            ...(gitDir && gitDir.startsWith('/') ? [{ path: gitDir, readOnly: true }] : []),
          ],
        })
      : argv;
  const line = (argv: string[]) => wrap(argv).map(shq).join(' ');
  const job = { srcDir: src, buildDir: out, cell: i.cell as Cell };
  const L: string[] = [];
  L.push(`# reproduce ${i.cell.name} at ${short}${i.subject ? ` (${i.subject})` : ''} — ${container ? `${i.runtime} container` : 'host toolchain'}`);
  if (settings && exact) L.push(`# image at build time: ${exact} (by ID; if this ID is gone, use the matrix's ${named} instead, which \`kmatrix image build\` makes)`);
  else if (settings && i.image) L.push(`# image at build time: ${i.image} (${named})`);
  L.push(`git -C ${shq(repo)} worktree add --detach ${shq(src)} ${i.sha} || git -C ${shq(src)} checkout --detach --force ${i.sha}`);
  L.push(`mkdir -p ${shq(out)}`);
  L.push(`cat > ${shq(frag)} <<'EOF'`, ...renderFragment(i.cell.fragment).split('\n').filter(Boolean), 'EOF');
  if (isAllConfigTarget(i.cell.base)) {
    L.push(line(makeArgv(job, [`KCONFIG_ALLCONFIG=${frag}`, i.cell.base])));
  } else {
    if (i.cell.base.startsWith('/')) L.push(`cp ${shq(i.cell.base)} ${shq(`${out}/.config`)}`);
    else L.push(line(makeArgv(job, [i.cell.base])));
    L.push(`cat ${shq(frag)} >> ${shq(`${out}/.config`)}   # later lines win, like kmatrix's merge`);
    L.push(line(makeArgv(job, ['olddefconfig'])));
  }
  L.push(line(makeArgv(job, ['-k', i.makeJobs ? `-j${i.makeJobs}` : RAW_JOBS, ...i.cell.targets])));
  return L.join('\n') + '\n';
}
