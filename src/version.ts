import { readFileSync } from 'node:fs';

/** kmatrix's own version, from package.json. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The kmatrix package root (where matrix/ and results/ live). */
export const PACKAGE_ROOT: string = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
