import { describe, expect, it } from 'vitest';
import { buildStatus, classifyText } from '../../src/classify/index.js';

const status = (text: string) => buildStatus({ diagnostics: classifyText(text), exitCode: 0, missingArtifacts: [] });

describe('a failure that a carriage return overwrote on the same line (a progress meter printed over it)', () => {
  const err = 'drivers/foo.c:12:5: error: implicit declaration of function ‘bar’';
  it('is FAIL, the failure quoted (a terminal hides it, the log has it)', () => {
    const ds = classifyText(`  CC      drivers/foo.o\n${err}\r[ 42%] building\n`);
    expect(buildStatus({ diagnostics: ds, exitCode: 0, missingArtifacts: [] })).toBe('FAIL');
    expect(ds.map((d) => d.message)).toEqual([err]);
    expect(status(`make[2]: *** [scripts/Makefile.build:250: drivers/foo.o] Error 1\r\x1b[K\n`)).toBe('FAIL');
  });
  it('a clean progress meter and CRLF line ends stay PASS', () => {
    expect(status('  CC      lib/a.o\r\n[ 10%]\r[ 50%]\r[100%] done\r\n  LD      vmlinux\r\n')).toBe('PASS');
  });
});
