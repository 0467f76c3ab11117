/**
 * The logic every runtime shares, once: identifying a toolchain (its `--version` lines), ccache's version,
 * and remembering what an image answered per image ID. A runtime supplies only how to run a program there.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_TOOLCHAIN, firstLine, identityKey, identityLine, toolchainCommands, type Toolchain } from '../matrix/toolchain.js';
import { unidentified, type ExecResult, type ExecSpec, type Runtime, type ToolchainIdentity } from './runtime.js';

/** What `<program> --version` printed, or why it could not run (`<program> … (<reason>)`). */
export type VersionAnswer = { out: string } | { missing: string };

/** Where a runtime's programs run, as the shared logic needs it. */
export interface Place {
  /** The image as identities record it (its ID when known); null on the host. */
  image: string | null;
  /** The file remembering this place's facts across runs (one per image ID); null = ask every time. */
  factsFile: string | null;
  /** Why nothing can run there (engine or image missing); null when programs can run. */
  error: string | null;
}

/** The identity line of a toolchain (compiler, and the linker for LLVM; see identityLine), or a `missing: …` marker. */
export async function toolchainVersion(ask: (program: string) => Promise<VersionAnswer>, crossCompile: string, tc: Toolchain): Promise<string> {
  const cmds = toolchainCommands(tc, crossCompile);
  const cc = await ask(cmds.compiler);
  if ('missing' in cc) return `missing: ${cc.missing}`;
  if (cmds.linker === null) return identityLine(cc.out, null) || 'unknown';
  const ld = await ask(cmds.linker);
  if ('missing' in ld) return `missing: ${ld.missing}`;
  return identityLine(cc.out, ld.out);
}

/** The facts file of an image ID under `dir` (`<dir>/<hex id>.json`), or null when there is no dir or no ID. */
export function factsFile(dir: string | null | undefined, imageId: string | null): string | null {
  return dir && imageId ? join(dir, `${imageId.replace(/^sha256:/, '').replace(/[^0-9a-f]/g, '')}.json`) : null;
}

/** A facts file's contents; none yet, or unreadable: {} (ask again). */
function readFacts(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * A fact from `file`, else computed and remembered there when `keep` says it is a real answer (never a failure:
 * a fixed engine or image must be asked again). `file` null: computed every time.
 */
export async function rememberedFact(
  file: string | null,
  key: string,
  compute: () => Promise<string | null>,
  keep: (v: string) => boolean,
): Promise<string | null> {
  if (file) {
    const hit = readFacts(file)[key];
    if (typeof hit === 'string') return hit;
  }
  const v = await compute();
  if (file && v !== null && keep(v)) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      // Re-read: another kmatrix may have added facts meanwhile; write a temp file and rename (never a torn file).
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ ...readFacts(file), [key]: v }, null, 1)}\n`);
      renameSync(tmp, file);
    } catch {
      /* not writable: the fact is asked again next time */
    }
  }
  return v;
}

/** A Runtime whose identity and ccache version are asked (and cached) here; subclasses say how to run a program. */
export abstract class BaseRuntime implements Runtime {
  abstract readonly name: Runtime['name'];
  /** Identity lines per toolchain key, asked once per instance. */
  private readonly identities = new Map<string, Promise<string>>();
  private ccache: Promise<string | null> | null = null;

  /** Where programs run: the image recorded, its facts file, or why nothing can run. */
  protected abstract place(): Promise<Place>;

  /** `<program> --version`'s output where builds run, or why it could not run. */
  protected abstract askVersion(program: string): Promise<VersionAnswer>;

  /** Run one command to completion, output appended to spec.logFile. */
  abstract exec(spec: ExecSpec): Promise<ExecResult>;

  /** The runtime, the image and the toolchain's `--version` line(s) where builds run (cached per toolchain and image ID). */
  async identity(crossCompile: string, toolchain: Toolchain = DEFAULT_TOOLCHAIN): Promise<ToolchainIdentity> {
    const at = await this.place();
    const key = identityKey(crossCompile, toolchain);
    let v = this.identities.get(key);
    if (!v) {
      v = at.error
        ? Promise.resolve(`missing: ${at.error}`)
        : rememberedFact(at.factsFile, `identity ${key}`, () => toolchainVersion((p) => this.askVersion(p), crossCompile, toolchain), (x) => !unidentified(x)).then(
            (line) => line ?? 'unknown',
          );
      this.identities.set(key, v);
    }
    return { runtime: this.name, image: at.image, compiler: await v };
  }

  /** `ccache --version`'s first line where builds run (asked once), null if there is no ccache. */
  ccacheVersion(): Promise<string | null> {
    this.ccache ??= (async () => {
      const at = await this.place();
      if (at.error) return null;
      const ask = async () => {
        const v = await this.askVersion('ccache');
        return 'out' in v ? firstLine(v.out) || null : null;
      };
      return rememberedFact(at.factsFile, 'ccache', ask, () => true);
    })();
    return this.ccache;
  }
}
