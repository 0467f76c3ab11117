/** The build image: its package list and label, building it offline (mmdebstrap + import), listing and checking it. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { PACKAGE_ROOT } from '../version.js';
import { globalArgs, onPath, type ContainerSettings, type EngineName } from './container.js';
import { subdirs } from './host.js';
import { alive, killProcessesUnder } from './process.js';

/** The default build image (one name, everywhere). */
export const DEFAULT_IMAGE = 'kmatrix/arm-linux-gnueabi:bookworm';
/** The Debian suite the image is made from. */
export const IMAGE_SUITE = 'bookworm';
/** The image's Debian packages, one per line: the single list for the Dockerfile and the offline path. */
export const PACKAGES_FILE = join(PACKAGE_ROOT, 'docker', 'packages.txt');
/** The Dockerfile (for users with a registry). */
export const DOCKERFILE = join(PACKAGE_ROOT, 'docker', 'Dockerfile');
/** Label carrying the hash of the package list an image was built from. */
export const PACKAGES_LABEL = 'org.kmatrix.packages';

/** Package names from packages.txt text (comments and blanks dropped). */
export function parsePackages(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** Hash of a package list (order-insensitive), stored in the image's label. */
export function packagesHash(packages: string[]): string {
  return createHash('sha256')
    .update(`${IMAGE_SUITE}\n${[...new Set(packages)].sort().join('\n')}`)
    .digest('hex')
    .slice(0, 16);
}

/** The package list and its hash as currently in docker/packages.txt. */
export function currentPackages(file = PACKAGES_FILE): { packages: string[]; hash: string } {
  const packages = parsePackages(readFileSync(file, 'utf8'));
  return { packages, hash: packagesHash(packages) };
}

/** The engine part of container settings that image commands need. */
export type EngineRef = Pick<ContainerSettings, 'engine' | 'ociRuntime'>;

/** An image as kmatrix sees it. */
export interface ImageInfo {
  id: string;
  /** Hash of the package list it was built from (label), or null if unlabelled. */
  packagesHash: string | null;
  created: string;
}

/** Inspect an image: its ID, package-list hash and creation time; null if it is not there. */
export async function imageInfo(e: EngineRef, image: string): Promise<ImageInfo | null> {
  if (!onPath(e.engine)) return null;
  const fmt = `{{.Id}}|{{index .Config.Labels "${PACKAGES_LABEL}"}}|{{.Created}}`;
  const r = await execa(e.engine, [...globalArgs(e), 'image', 'inspect', '--format', fmt, image], { reject: false });
  if (r.exitCode !== 0) return null;
  const [id = '', hash = '', created = ''] = String(r.stdout).trim().split('\n')[0]!.split('|');
  return {
    id: id.startsWith('sha256:') ? id : `sha256:${id}`,
    packagesHash: hash && hash !== '<no value>' ? hash : null,
    created,
  };
}

/** Options of an image build. */
export interface ImageBuildOptions {
  engine: EngineRef;
  image: string;
  /** Scratch space for the root filesystem tarball (~600 MB, removed afterwards). */
  workDir: string;
  /** Use docker/Dockerfile with `<engine> build` (needs a registry) instead of the offline path. */
  dockerfile?: boolean;
  /** Progress lines. */
  log: (line: string) => void;
  /** Stream the tools' own output to stderr. */
  verbose?: boolean;
  /** Abort (Ctrl-C): the tools are killed, the scratch dir removed, and buildImage throws. */
  signal?: AbortSignal;
}

/** Remove scratch dirs (`rootfs-<pid>-*`) of image builds whose process is dead. */
export function removeStaleScratch(workDir: string): string[] {
  const removed: string[] = [];
  for (const d of subdirs(workDir)) {
    const m = /\/rootfs-(\d+)-[^/]+$/.exec(d);
    if (m && !alive(Number(m[1]))) {
      killProcessesUnder(d); // mmdebstrap still writing there after its kmatrix was killed
      rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      removed.push(d);
    }
  }
  return removed;
}

/** Build the image: mmdebstrap a Debian rootfs from packages.txt and import it (or `build` the Dockerfile); returns its ID and seconds. */
export async function buildImage(o: ImageBuildOptions): Promise<{ id: string; seconds: number; hash: string }> {
  const t0 = Date.now();
  const { packages, hash } = currentPackages();
  const e = o.engine;
  if (!onPath(e.engine)) throw new Error(`${e.engine} not found on PATH: install it (docker/setup.sh installs podman, runc and mmdebstrap)`);
  const stdio = o.verbose ? (['ignore', 'inherit', 'inherit'] as const) : (['ignore', 'pipe', 'pipe'] as const);
  const run = async (cmd: string, args: string[]) => {
    const r = await execa(cmd, args, { reject: false, stdio: [...stdio], cancelSignal: o.signal, killSignal: 'SIGTERM', forceKillAfterDelay: 10_000 });
    if (o.signal?.aborted) throw new Error(`image build interrupted (${cmd} stopped)`);
    return r;
  };
  const fail = (what: string, r: { exitCode?: number; stderr?: unknown; shortMessage?: string }) =>
    new Error(`${what} failed (${r.exitCode ?? r.shortMessage}): ${String(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  if (o.dockerfile) {
    o.log(`kmatrix: building ${o.image} with ${e.engine} build -f docker/Dockerfile (needs a registry for debian:${IMAGE_SUITE})`);
    const r = await run(e.engine, [...globalArgs(e), 'build', '-f', DOCKERFILE, '--build-arg', `PACKAGES_HASH=${hash}`, '-t', o.image, join(PACKAGE_ROOT, 'docker')]);
    if (r.exitCode !== 0) throw fail(`${e.engine} build`, r);
  } else {
    if (!onPath('mmdebstrap')) throw new Error('mmdebstrap not found on PATH: apt-get install mmdebstrap (docker/setup.sh does)');
    mkdirSync(o.workDir, { recursive: true });
    removeStaleScratch(o.workDir);
    const tmp = mkdtempSync(join(o.workDir, `rootfs-${process.pid}-`));
    // Also on a hard exit (second Ctrl-C, crash): the ~600 MB tarball never outlives the build.
    const cleanup = () => rmSync(tmp, { recursive: true, force: true });
    process.on('exit', cleanup);
    try {
      const tar = join(tmp, 'rootfs.tar');
      o.log(`kmatrix: mmdebstrap ${IMAGE_SUITE} with ${packages.length} packages from docker/packages.txt`);
      const m = await run('mmdebstrap', ['--variant=apt', `--include=${packages.join(',')}`, IMAGE_SUITE, tar]);
      if (m.exitCode !== 0) throw fail('mmdebstrap', m);
      o.log(`kmatrix: ${e.engine} import → ${o.image}`);
      const changes = [`LABEL ${PACKAGES_LABEL}=${hash}`, `LABEL org.kmatrix.suite=${IMAGE_SUITE}`, 'ENV LANG=C.UTF-8', 'CMD ["/bin/bash"]'];
      const r = await run(e.engine, [...globalArgs(e), 'import', ...changes.flatMap((c) => ['--change', c]), '--message', `kmatrix image (packages ${hash})`, tar, o.image]);
      if (r.exitCode !== 0) throw fail(`${e.engine} import`, r);
    } finally {
      cleanup();
      process.off('exit', cleanup);
    }
  }
  const info = await imageInfo(e, o.image);
  if (!info) throw new Error(`image ${o.image} is not there after the build`);
  return { id: info.id, seconds: (Date.now() - t0) / 1000, hash };
}

/** One row of `kmatrix image ls`. */
export interface ImageRow {
  name: string;
  id: string;
  created: string;
  size: string;
  /** Built from the current packages.txt? */
  current: boolean;
}

/** kmatrix images (those carrying the packages label) known to an engine. */
export async function listImages(e: EngineRef): Promise<ImageRow[]> {
  if (!onPath(e.engine)) throw new Error(`${e.engine} not found on PATH`);
  const fmt = '{{.Repository}}:{{.Tag}}|{{.ID}}|{{.CreatedSince}}|{{.Size}}';
  const r = await execa(e.engine, [...globalArgs(e), 'images', '--filter', `label=${PACKAGES_LABEL}`, '--format', fmt], { reject: false });
  if (r.exitCode !== 0) throw new Error(`${e.engine} images failed: ${String(r.stderr).trim()}`);
  const { hash } = currentPackages();
  const rows: ImageRow[] = [];
  for (const line of String(r.stdout).split('\n').filter(Boolean)) {
    const [name = '', id = '', created = '', size = ''] = line.split('|');
    const info = await imageInfo(e, id);
    rows.push({ name, id, created, size, current: info?.packagesHash === hash });
  }
  return rows;
}

/** Make sure the image exists (building it offline if missing); warns when it predates packages.txt. */
export async function ensureImage(
  e: EngineRef & { engine: EngineName },
  image: string,
  workDir: string,
  log: (s: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (!onPath(e.engine)) return; // the runtime reports it as an infrastructure error per build
  const info = await imageInfo(e, image);
  const { hash } = currentPackages();
  if (info) {
    if (info.packagesHash !== hash) {
      log(`kmatrix: warning: image ${image} was not built from the current docker/packages.txt; rebuild: kmatrix image build --runtime ${e.engine} --image ${image}`);
    }
    return;
  }
  // An engine that cannot even list images is broken (bad OCI runtime, no daemon): building an image would
  // fail the same way after minutes of mmdebstrap. The runtime reports it per build as ERROR, with the fix.
  const probe = await execa(e.engine, [...globalArgs(e), 'images', '-q'], { reject: false, all: true });
  if (probe.exitCode !== 0) {
    log(`kmatrix: ${e.engine} does not work here (${String(probe.all ?? '').trim().split('\n').pop()}); not building ${image}`);
    return;
  }
  log(`kmatrix: image ${image} not found; building it offline from docker/packages.txt with mmdebstrap + ${e.engine} import (~30-100 s, once)`);
  const r = await buildImage({ engine: e, image, workDir, log, signal });
  log(`kmatrix: built ${image} (${r.id.slice(0, 19)}) in ${r.seconds.toFixed(0)} s`);
}
