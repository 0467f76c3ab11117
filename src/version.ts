import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** kmatrix's own version, from package.json. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The kmatrix package root (where bin/, dist/, matrix/ and support/ live; read-only for kmatrix). */
export const PACKAGE_ROOT: string = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
