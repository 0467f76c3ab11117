import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { cacheRoot } from '../workspace/paths.js';
import { buildImage, DEFAULT_IMAGE, listImages } from '../runtime/image.js';
import { resolveRuntime, RUNTIME_CHOICES, type RuntimeChoice, type RuntimeOverrides } from '../runtime/select.js';
import { interruptible } from './signals.js';

/** Runtime flags as commander parses them. */
export interface RuntimeFlags {
  runtime?: RuntimeChoice;
  image?: string;
  ociRuntime?: string;
  runtimeFlag?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Add --runtime/--image/--oci-runtime/--runtime-flag to a command. */
export function addRuntimeOptions(cmd: Command, runtimes: readonly string[] = RUNTIME_CHOICES): Command {
  return cmd
    .addOption(new Option('--runtime <name>', 'where builds run (overrides the matrix `runtime`)').choices([...runtimes]))
    .option('--image <name>', `container image (overrides the matrix \`image\`; default ${DEFAULT_IMAGE})`)
    .option('--oci-runtime <name>', 'OCI runtime of the container engine, e.g. runc (overrides `oci_runtime`)')
    .option('--runtime-flag <flag>', 'extra container `run` flag, added to `runtime_flags` (repeatable; e.g. --runtime-flag=--memory=8g)', collect);
}

/** CLI runtime flags → overrides for runtimeSettings(). */
export function runtimeOverrides(f: RuntimeFlags): RuntimeOverrides {
  return { runtime: f.runtime, image: f.image, ociRuntime: f.ociRuntime, runtimeFlags: f.runtimeFlag };
}

/** The engine an image command talks to (`container`/unset → podman if installed, else docker). */
function engineOf(f: RuntimeFlags): 'podman' | 'docker' {
  const r = resolveRuntime(f.runtime ?? 'container');
  if (r === 'host') throw new Error('image commands need a container engine: --runtime podman|docker|container');
  return r;
}

/** Register `kmatrix image build` and `kmatrix image ls`. */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('the build image (Debian bookworm + docker/packages.txt)');
  addRuntimeOptions(
    image
      .command('build')
      .description('build the image offline (mmdebstrap + import) or with --dockerfile; prints the image ID')
      .option('--dockerfile', 'build docker/Dockerfile with `<engine> build` (needs a registry)')
      .option('-v, --verbose', "show mmdebstrap's / the engine's output"),
    ['podman', 'docker', 'container'],
  ).action(async (f: RuntimeFlags & { dockerfile?: boolean; verbose?: boolean }) => {
    const engine = engineOf(f);
    const name = f.image ?? DEFAULT_IMAGE;
    const intr = interruptible();
    const r = await buildImage({
      engine: { engine, ociRuntime: f.ociRuntime ?? null },
      image: name,
      workDir: join(cacheRoot(), 'image'),
      dockerfile: f.dockerfile,
      verbose: f.verbose,
      log: (s) => process.stderr.write(`${s}\n`),
      signal: intr.signal,
    }).finally(intr.dispose);
    process.stderr.write(`kmatrix: built ${name} (packages ${r.hash}) in ${r.seconds.toFixed(1)} s\n`);
    process.stdout.write(`${r.id}\n`);
  });

  image
    .command('ls')
    .description('list kmatrix images (name, ID, created, size, built from the current packages.txt?)')
    .addOption(new Option('--runtime <name>', 'container engine').choices(['podman', 'docker', 'container']))
    .option('--json', 'machine-readable output')
    .action(async (f: RuntimeFlags & { json?: boolean }) => {
      const rows = await listImages({ engine: engineOf(f), ociRuntime: null });
      if (f.json) {
        process.stdout.write(JSON.stringify({ images: rows }, null, 2) + '\n');
        return;
      }
      const table = [['NAME', 'ID', 'CREATED', 'SIZE', 'PACKAGES'], ...rows.map((r) => [r.name, r.id.replace(/^sha256:/, '').slice(0, 12), r.created, r.size, r.current ? 'current' : 'stale'])];
      const w = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table) process.stdout.write(`${row.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()}\n`);
    });
}
