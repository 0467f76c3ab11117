/**
 * The error taxonomy: every error kmatrix raises on purpose extends UsageError (the user's input is wrong: exit 2)
 * or InfraError (something outside kmatrix failed: exit 3). The CLI maps exit codes once, by these classes; any
 * other error is an unexpected failure and counts as infrastructure (exit 3).
 */

/** An expected failure carrying the exit code the command ends with; its message is printed as it is. */
export abstract class KmatrixError extends Error {
  /** 2 usage, 3 infrastructure. */
  abstract readonly exitCode: 2 | 3;
}

/** The user's input is wrong (a flag, a file, a revision, a store): exit 2, and nothing was written. */
export class UsageError extends KmatrixError {
  /** Exit code of every usage error. */
  readonly exitCode = 2 as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Something outside kmatrix failed (container engine, git, network, disk): exit 3. */
export class InfraError extends KmatrixError {
  /** Exit code of every infrastructure error. */
  readonly exitCode = 3 as const;
  constructor(message: string) {
    super(message);
    this.name = 'InfraError';
  }
}

/** A problem in user input (matrix file, fragment, flag) located at file:line:column; exit code 2. */
export class InputError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly column: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}${line !== null && column !== null ? `:${column}` : ''}: ${detail}`);
    this.name = 'InputError';
  }
}

/** The exit code an error ends a command with: its class's (usage 2, infrastructure 3), 3 for anything unexpected. */
export function exitCodeOf(e: unknown): 2 | 3 {
  return e instanceof KmatrixError ? e.exitCode : 3;
}
