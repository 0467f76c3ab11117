/** Which runtime a run uses: matrix settings with CLI overrides, `container` resolved to an engine, the Runtime constructed. */
import { join } from 'node:path';
import { ContainerRuntime, onPath, type ContainerSettings, type EngineName } from './container.js';
import { HostRuntime } from './host.js';
import { DEFAULT_IMAGE } from './image.js';
import type { Runtime } from './runtime.js';

/** What the matrix (or a flag) may ask for; `container` = podman if on PATH, else docker. */
export type RuntimeChoice = 'host' | 'podman' | 'docker' | 'container';
/** The runtime choices, for flag validation. */
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['host', 'podman', 'docker', 'container'];

/** Runtime settings as the matrix gives them (every Cell carries them; cells of one matrix share them). */
export interface RuntimeSettings {
  runtime: RuntimeChoice;
  image: string | null;
  ociRuntime: string | null;
  runtimeFlags: string[];
}

/** CLI overrides: --runtime, --image, --oci-runtime replace; --runtime-flag (repeatable) adds to the matrix's flags. */
export interface RuntimeOverrides {
  runtime?: RuntimeChoice;
  image?: string;
  ociRuntime?: string;
  runtimeFlags?: string[];
}

/** Apply CLI overrides to the matrix's runtime settings. */
export function runtimeSettings(base: RuntimeSettings, o: RuntimeOverrides = {}): RuntimeSettings {
  return {
    runtime: o.runtime ?? base.runtime,
    image: o.image ?? base.image,
    ociRuntime: o.ociRuntime ?? base.ociRuntime,
    runtimeFlags: [...base.runtimeFlags, ...(o.runtimeFlags ?? [])],
  };
}

/** The concrete runtime for a choice: `container` → podman if on PATH, else docker if on PATH, else podman (reported missing). */
export function resolveRuntime(choice: RuntimeChoice, has: (bin: string) => boolean = (b) => onPath(b)): 'host' | EngineName {
  if (choice !== 'container') return choice;
  if (has('podman')) return 'podman';
  return has('docker') ? 'docker' : 'podman';
}

/** Container settings for an engine from runtime settings (image defaults to DEFAULT_IMAGE; ccache under the cache dir). */
export function containerSettings(engine: EngineName, s: RuntimeSettings, cache: string): ContainerSettings {
  return {
    engine,
    image: s.image ?? DEFAULT_IMAGE,
    ociRuntime: s.ociRuntime,
    runFlags: s.runtimeFlags,
    ccacheDir: join(cache, 'ccache'),
    factsDir: join(cache, 'image-facts'),
    user: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  };
}

/** Construct the Runtime a run uses: the host, or one ContainerRuntime for podman or docker. */
export function createRuntime(s: RuntimeSettings, opts: { cache: string }): Runtime {
  const which = resolveRuntime(s.runtime);
  if (which === 'host') return new HostRuntime();
  return new ContainerRuntime(containerSettings(which, s, opts.cache));
}
