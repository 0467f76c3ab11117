import { describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, resultsRoot } from '../../src/workspace/paths.js';
import { defaultDb } from '../../src/cli/options.js';
import { PACKAGE_ROOT } from '../../src/version.js';

describe('where kmatrix writes by default', () => {
  it('results: $KMATRIX_RESULTS, else $XDG_DATA_HOME/kmatrix, else ~/.local/share/kmatrix', () => {
    expect(resultsRoot({ KMATRIX_RESULTS: '/r', XDG_DATA_HOME: '/x' })).toBe('/r');
    expect(resultsRoot({ XDG_DATA_HOME: '/x' })).toBe('/x/kmatrix');
    expect(resultsRoot({})).toBe(join(homedir(), '.local', 'share', 'kmatrix'));
    expect(defaultDb({ KMATRIX_RESULTS: '/r' })).toBe('/r/kmatrix.db');
  });

  it('never inside the installed package', () => {
    expect(defaultDb({}).startsWith(PACKAGE_ROOT + '/')).toBe(false);
    expect(cacheRoot({}).startsWith(PACKAGE_ROOT + '/')).toBe(false);
  });
});
