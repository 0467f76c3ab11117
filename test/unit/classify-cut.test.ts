import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStatus, classifyText } from '../../src/classify/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/logs');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const status = (text: string) => buildStatus({ diagnostics: classifyText(text), exitCode: 0, missingArtifacts: [] });

describe('a failing log cut off in the middle of its failure line (its last line)', () => {
  it('gcc error line cut after the start of `error`: FAIL at every cut, never PASS', () => {
    const log = fixture('compile-error-zram.log');
    const at = log.search(/:\d+:\d+: error: /);
    const from = log.indexOf(': error: ', at) + 3; // `...:1245:43: e`
    expect(status(log.slice(0, from - 1))).toBe('PASS'); // only the location: nothing says error yet
    for (let i = from; i < log.indexOf('\n', at); i++) expect(status(log.slice(0, i)), JSON.stringify(log.slice(at, i))).toBe('FAIL');
  });
  it("make's `make[N]: ***` line cut anywhere after its first star: FAIL", () => {
    const line = 'make[3]: *** [scripts/Makefile.build:250: drivers/block/zram/zram_drv.o] Error 1';
    const head = '  CC      lib/ctype.o\n';
    for (let i = line.indexOf('*') + 1; i < line.length; i++) expect(status(head + line.slice(0, i)), line.slice(0, i)).toBe('FAIL');
  });
  it('a warning log cut anywhere is never FAIL (a cut `w`, `warn`, `note` is no error)', () => {
    for (const name of ['compile-warning.log', 'clean-baseline-up.log']) {
      const log = fixture(name);
      for (let i = 1; i <= log.length; i++) expect(status(log.slice(0, i)), `${name} cut at ${i}`).not.toBe('FAIL');
    }
  });
});
