import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '../fixtures/logs');

/** A fixture log without its `#` header (how it was made), as the build printed it. */
export function fixtureLog(name: string): string {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('#')) i++;
  return lines.slice(i).join('\n');
}
