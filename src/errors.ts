/** A problem in user input (matrix file, fragment, flag) located at file:line:column; exit code 2. */
export class InputError extends Error {
  /** Exit code for every input error. */
  readonly exitCode = 2;
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
