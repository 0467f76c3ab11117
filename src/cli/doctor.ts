import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { cacheRoot } from '../workspace/paths.js';
import { commonGitDir, git } from '../workspace/git.js';
import { loadMatrix, type Cell } from '../matrix/load.js';
import { toolchainCommands, versionPinProblem, type Toolchain } from '../matrix/toolchain.js';
import {
  ContainerRuntime,
  containerName,
  diagnoseEngineFailure,
  engineMissing,
  globalArgs,
  onPath,
  runArgv,
  type ContainerSettings,
} from '../runtime/container.js';
import { hostCompilerVersion, HostRuntime } from '../runtime/host.js';
import { unidentified, type Runtime } from '../runtime/runtime.js';
import { currentPackages, imageInfo } from '../runtime/image.js';
import { containerSettings, resolveRuntime, runtimeSettings } from '../runtime/select.js';
import { addRuntimeOptions, runtimeOverrides, type RuntimeFlags } from './image.js';
import { DEFAULT_MATRIX } from './options.js';

/** One doctor check: passed, failed (with a one-line fix) or a warning. */
export interface Check {
  name: string;
  status: 'ok' | 'fail' | 'warn';
  detail: string;
  fix?: string;
}

/** Free space below which doctor warns (bytes). */
export const DISK_WARN_BYTES = 10 * 1024 ** 3;
/** Free space below which doctor fails (bytes). */
export const DISK_FAIL_BYTES = 3 * 1024 ** 3;

/** Render checks as ✔/✘/! lines with a fix under each failure. */
export function renderChecks(checks: Check[]): string {
  const mark = { ok: '✔', fail: '✘', warn: '!' } as const;
  const w = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map((c) => `${mark[c.status]} ${c.name.padEnd(w)}  ${c.detail}${c.fix && c.status !== 'ok' ? `\n  ${' '.repeat(w)}  fix: ${c.fix}` : ''}`)
    .join('\n') + '\n';
}

/** Run a command in a throwaway container; exit code and combined output. */
async function inContainer(s: ContainerSettings, argv: string[]): Promise<{ code: number | null; out: string }> {
  const a = runArgv({ ...s, ccacheDir: null }, containerName(), { argv, cwd: '/', mounts: [] });
  const r = await execa(a[0]!, a.slice(1), { reject: false, all: true, timeout: 120_000 });
  return { code: r.exitCode ?? null, out: String(r.all ?? '') };
}

/** Checks of a container engine, its image and the toolchain inside. */
async function containerChecks(s: ContainerSettings, cross: string): Promise<Check[]> {
  const checks: Check[] = [];
  const buildFix = `kmatrix image build --runtime ${s.engine} --image ${s.image}`;
  if (!onPath(s.engine)) {
    const m = engineMissing(s.engine);
    return [{ name: 'engine', status: 'fail', detail: m.problem, fix: m.fix }];
  }
  const v = await execa(s.engine, ['--version'], { reject: false });
  const info = await execa(s.engine, [...globalArgs(s), 'info'], { reject: false, all: true, timeout: 60_000 });
  if (info.exitCode !== 0) {
    const out = String(info.all ?? '');
    const why = diagnoseEngineFailure(s, 125, out) ?? { problem: out.trim().split('\n').pop() ?? 'failed', fix: 'see the message' };
    checks.push({ name: 'engine', status: 'fail', detail: `${String(v.stdout).trim()}: \`${s.engine} info\` failed: ${why.problem}`, fix: why.fix });
    return checks;
  }
  checks.push({ name: 'engine', status: 'ok', detail: String(v.stdout).trim() });
  const img = await imageInfo(s, s.image);
  const { hash } = currentPackages();
  if (!img) {
    checks.push({ name: 'image', status: 'fail', detail: `${s.image} not found`, fix: buildFix });
    checks.push({ name: 'container', status: 'fail', detail: 'not tried: no image', fix: buildFix });
    return checks;
  }
  checks.push(
    img.packagesHash === hash
      ? { name: 'image', status: 'ok', detail: `${s.image} ${img.id.slice(0, 19)} (packages ${hash})` }
      : {
          name: 'image',
          status: 'fail',
          detail: `${s.image} was built from another package list (${img.packagesHash ?? 'unlabelled'}, docker/packages.txt is ${hash})`,
          fix: buildFix,
        },
  );
  const t = await inContainer(s, ['true']);
  if (t.code !== 0) {
    const why = diagnoseEngineFailure(s, t.code, t.out) ?? { problem: `exit ${t.code}: ${t.out.trim().split('\n').pop()}`, fix: 'see the message' };
    checks.push({ name: 'container', status: 'fail', detail: why.problem, fix: why.fix });
    return checks;
  }
  checks.push({ name: 'container', status: 'ok', detail: `runs (${s.ociRuntime ? `--runtime ${s.ociRuntime}, ` : ''}${s.runFlags.join(' ') || 'no extra flags'})` });
  for (const tool of [`${cross}gcc`, 'gcc', 'make']) {
    const r = await inContainer(s, [tool, '--version']);
    checks.push(
      r.code === 0
        ? { name: tool, status: 'ok', detail: r.out.split('\n')[0]!.trim() }
        : { name: tool, status: 'fail', detail: `not runnable in ${s.image}`, fix: `add its package to docker/packages.txt, then ${buildFix}` },
    );
  }
  return checks;
}

/** Checks of the host toolchain (runtime host). */
async function hostChecks(cross: string): Promise<Check[]> {
  const checks: Check[] = [];
  const v = await hostCompilerVersion(cross);
  checks.push(
    v.startsWith('missing')
      ? { name: `${cross}gcc`, status: 'fail', detail: v, fix: 'bash docker/setup.sh (installs docker/packages.txt), or use a container runtime' }
      : { name: `${cross}gcc`, status: 'ok', detail: v },
  );
  for (const tool of ['gcc', 'make']) {
    checks.push(onPath(tool) ? { name: tool, status: 'ok', detail: 'on PATH' } : { name: tool, status: 'fail', detail: 'not on PATH', fix: 'bash docker/setup.sh' });
  }
  return checks;
}

/**
 * One check per toolchain the matrix names: identified where its cells run (the host, or the container in the
 * toolchain's image): the compiler, and for LLVM the linker, present; the version pin met.
 */
export async function toolchainChecks(cells: readonly Cell[], runtime: Runtime, where: { image: string | null }): Promise<Check[]> {
  const seen = new Map<string, Cell>();
  for (const c of cells) if (!seen.has(c.toolchain.name)) seen.set(c.toolchain.name, c);
  const checks: Check[] = [];
  for (const [name, cell] of seen) {
    const tc: Toolchain = cell.toolchain;
    const rt = tc.image && runtime.withImage ? runtime.withImage(tc.image) : runtime;
    const image = tc.image ?? where.image;
    const cmds = toolchainCommands(tc, cell.crossCompile);
    const programs = [cmds.compiler, ...(cmds.linker ? [cmds.linker] : [])].join(' + ');
    const label = `toolchain ${name}`;
    let line: string;
    try {
      line = (await rt.identity(cell.crossCompile, tc)).compiler;
    } catch (e) {
      line = `missing: ${(e as Error).message}`;
    }
    const install =
      runtime.name === 'host'
        ? `install ${tc.family === 'llvm' ? 'clang and lld' : `${cell.crossCompile}gcc`} (bash docker/setup.sh), or use a container runtime`
        : `add its package to docker/packages.txt, then kmatrix image build --runtime ${runtime.name}${image ? ` --image ${image}` : ''}`;
    if (unidentified(line)) {
      // The runtime's own words, without the fix it appends (the fix line says it).
      const why = line.replace(/^(missing|unknown): /, '').replace(/; fix: .*$/s, '').split('\n')[0];
      checks.push({ name: label, status: 'fail', detail: `${tc.family} (${programs}) not runnable: ${why}`, fix: install });
      continue;
    }
    const pin = versionPinProblem(tc, line);
    if (pin) {
      checks.push({ name: label, status: 'fail', detail: pin, fix: `install the pinned version${image ? ` in ${image}` : ''}, or change \`version:\` of toolchains.${name} in the matrix` });
      continue;
    }
    checks.push({ name: label, status: 'ok', detail: `${line}${tc.version ? ` (pin ${JSON.stringify(tc.version)} met)` : ''}${image && runtime.name !== 'host' ? ` in ${image}` : ''}` });
  }
  return checks;
}

/** The tree is a git repository that has the revision. */
async function treeCheck(tree: string, rev: string): Promise<Check> {
  try {
    await commonGitDir(tree);
  } catch {
    return { name: 'tree', status: 'fail', detail: `${tree} is not a git repository`, fix: 'pass --tree DIR (`kmatrix demo --path` prints the replay tree)' };
  }
  try {
    const sha = await git(tree, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return { name: 'tree', status: 'ok', detail: `${tree} has ${rev} (${sha.slice(0, 12)})` };
  } catch {
    return { name: 'tree', status: 'fail', detail: `${tree} has no revision ${rev}`, fix: `git -C ${tree} fetch, or pass --rev` };
  }
}

/** Free space where build dirs go (the cache dir, or its nearest existing parent). */
export function diskCheck(dir: string): Check {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  const s = statfsSync(d);
  const free = s.bavail * s.bsize;
  const gb = (free / 1024 ** 3).toFixed(1);
  const detail = `${gb} GB free for build dirs in ${dir}`;
  const fix = 'free space or point $KMATRIX_CACHE at a bigger disk (~1.5 GB per tree + ~0.3-2 GB per cell)';
  if (free < DISK_FAIL_BYTES) return { name: 'disk', status: 'fail', detail, fix };
  if (free < DISK_WARN_BYTES) return { name: 'disk', status: 'warn', detail: `${detail} (under 10 GB)`, fix };
  return { name: 'disk', status: 'ok', detail };
}

/** Register `kmatrix doctor`. */
export function registerDoctor(program: Command, exit: { OK: number; INFRA: number }): void {
  addRuntimeOptions(
    program
      .command('doctor')
      .description("check the build environment: engine, image, every toolchain of the matrix (present, linker, version pin), tree, disk (exit 0 all pass, 3 otherwise)")
      .option('--tree <dir>', 'kernel git tree (default: current directory)')
      .option('--rev <rev>', 'revision the tree must have', 'HEAD')
      .option('--matrix <file>', `matrix YAML (default: ${DEFAULT_MATRIX})`),
  ).action(async (f: RuntimeFlags & { tree?: string; rev: string; matrix?: string }) => {
    const matrix = loadMatrix(f.matrix ?? DEFAULT_MATRIX);
    const cell = matrix.cells[0]!;
    const settings = runtimeSettings(cell, runtimeOverrides(f));
    const which = resolveRuntime(settings.runtime);
    const cache = cacheRoot();
    const engine = which === 'host' ? null : { ...containerSettings(which, settings, cache), ccacheDir: null };
    const base = engine ? await containerChecks(engine, cell.crossCompile) : await hostChecks(cell.crossCompile);
    // Every toolchain the matrix names, once the engine and image answer (without them the checks above already fail).
    const usable = !base.some((c) => c.status === 'fail' && ['engine', 'image', 'container'].includes(c.name));
    const runtime: Runtime = engine ? new ContainerRuntime(engine) : new HostRuntime();
    const tcs = matrix.file.toolchains && usable ? await toolchainChecks(matrix.cells, runtime, { image: engine?.image ?? null }) : [];
    const checks = [
      { name: 'runtime', status: 'ok', detail: `${which}${settings.runtime === 'container' ? ' (runtime: container)' : ''}` } as Check,
      ...base,
      ...tcs,
      await treeCheck(resolve(f.tree ?? process.cwd()), f.rev),
      diskCheck(cache),
    ];
    process.stdout.write(renderChecks(checks));
    process.exitCode = checks.some((c) => c.status === 'fail') ? exit.INFRA : exit.OK;
  });
}
