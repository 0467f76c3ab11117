/**
 * Checks for files kmatrix writes or reads whole (--db, --into, -o, --shard-weights), before anything is
 * created or read: bad paths are usage errors naming the flag and the file, never a raw errno, a hang or a spin.
 */
import { accessSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from './errors.js';

/** An output-path problem naming the flag and the file: exit 2. */
function pathError(flag: string, file: string, detail: string): InputError {
  return new InputError(flag, null, null, `${file}: ${detail}`);
}

/**
 * Check that `path` can be written (reads only): an existing one is a writable regular file, and the nearest
 * existing ancestor is a writable directory (where SQLite also puts -wal/-shm files). Throws InputError naming `flag`.
 */
export function checkOutputPath(flag: string, path: string): void {
  const abs = resolve(path);
  if (existsSync(abs)) {
    const st = statSync(abs);
    if (st.isDirectory()) throw pathError(flag, abs, 'is a directory, not a file');
    if (!st.isFile()) throw pathError(flag, abs, 'is not a regular file (a device, FIFO or socket)');
  }
  let dir = dirname(abs);
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw pathError(flag, abs, `${dir} is a file, not a directory`);
  try {
    accessSync(dir, constants.W_OK);
    if (existsSync(abs)) accessSync(abs, constants.W_OK);
  } catch (e) {
    throw pathError(flag, abs, `not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message} on ${existsSync(abs) ? abs : dir})`);
  }
}

/**
 * Create the missing directories above the file `path` one level at a time (a recursive mkdir under /proc never
 * returns); returns the ones made, outermost first. On failure removes them again and throws InputError naming `flag`.
 */
export function makeParents(flag: string, path: string): string[] {
  const abs = resolve(path);
  const missing: string[] = [];
  for (let d = dirname(abs); !existsSync(d); d = dirname(d)) missing.unshift(d);
  const made: string[] = [];
  try {
    for (const d of missing) {
      mkdirSync(d);
      made.push(d);
    }
  } catch (e) {
    removeMadeDirs(made);
    throw pathError(flag, abs, `cannot create ${missing[made.length] ?? dirname(abs)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return made;
}

/** Remove directories that makeParents made (outermost first as returned), innermost first; one still holding a file stays. */
export function removeMadeDirs(dirs: readonly string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // Not empty (something else wrote there) or already gone: leave it.
    }
  }
}

/**
 * Check a file kmatrix reads whole (a store, a weights file) before opening it: it exists, is a regular file (a FIFO
 * would block, /dev/zero never ends) and has at most `maxBytes`. Throws InputError naming `flag` and the file.
 */
export function checkInputFile(flag: string, path: string, maxBytes: number): void {
  const abs = resolve(path);
  if (!existsSync(abs)) throw pathError(flag, abs, 'no such file');
  const st = statSync(abs);
  if (!st.isFile()) throw pathError(flag, abs, `is not a regular file (${st.isDirectory() ? 'a directory' : 'a device, FIFO or socket'})`);
  if (st.size > maxBytes) throw pathError(flag, abs, `is ${st.size} bytes, more than the ${maxBytes} this file may have`);
}
