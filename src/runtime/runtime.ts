/** The Runtime interface every place where builds run implements, and the values it passes (ExecSpec, ExecResult, ToolchainIdentity). */
import type { Toolchain } from '../matrix/toolchain.js';

/** A directory a command needs; containers mount it at the same absolute path. */
export interface Mount {
  path: string;
  readOnly: boolean;
}

/** One command to run, its output appended to a log file. */
export interface ExecSpec {
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
  mounts: Mount[];
  /** Log file that receives stdout and stderr, interleaved, appended. */
  logFile: string;
  /** Kill the whole command (process group / container) after this many ms. */
  timeoutMs?: number;
  /** Abort from outside (Ctrl-C): the command is killed and reported as such. */
  signal?: AbortSignal;
}

/** How a command ended. */
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  seconds: number;
  /** Why the runtime itself could not run the command (engine missing, container failed), if so. */
  infraError: string | null;
}

/** What toolchain a build used: recorded with every build so different toolchains are never compared silently. */
export interface ToolchainIdentity {
  runtime: string;
  image: string | null;
  /**
   * First line of `${CROSS_COMPILE}gcc --version`; for LLVM `clang --version`'s and `ld.lld --version`'s joined
   * by ` + ` (`Debian clang version 14.0.6 + Debian LLD 14.0.6`); or `missing: …`.
   */
  compiler: string;
}

/** Whether an identity's compiler line says the toolchain was not identified (`missing: …`, `unknown: …`, bare `unknown`). */
export function unidentified(compiler: string): boolean {
  return /^(missing|unknown)(:|$)/.test(compiler);
}

/** Where builds run: the host, or a container engine; one interface for all. */
export interface Runtime {
  readonly name: 'host' | 'podman' | 'docker';
  /** Identify the toolchain the builds of this runtime use (default: the GNU cross compiler of the prefix). */
  identity(crossCompile: string, toolchain?: Toolchain): Promise<ToolchainIdentity>;
  /** The same runtime in another image (a toolchain's `image:`); absent where images do not apply (host). */
  withImage?(image: string): Runtime;
  /** Run one command to completion, output appended to spec.logFile. */
  exec(spec: ExecSpec): Promise<ExecResult>;
  /** `ccache --version`'s first line where builds run, or null if there is no ccache (then builds compile without it). */
  ccacheVersion?(): Promise<string | null>;
}
