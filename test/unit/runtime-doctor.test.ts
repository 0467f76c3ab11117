import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskCheck, renderChecks } from '../../src/cli/doctor.js';

describe('kmatrix doctor (pure parts)', () => {
  it('renders ✔/✘/! with a fix line under failures only', () => {
    expect(
      renderChecks([
        { name: 'engine', status: 'ok', detail: 'podman version 4.3.1', fix: 'unused' },
        { name: 'image', status: 'fail', detail: 'x not found', fix: 'kmatrix image build' },
        { name: 'disk', status: 'warn', detail: '8.0 GB free', fix: 'free space' },
      ]),
    ).toBe('✔ engine  podman version 4.3.1\n✘ image   x not found\n          fix: kmatrix image build\n! disk    8.0 GB free\n          fix: free space\n');
  });

  it('measures free space at the nearest existing parent of the cache dir', () => {
    const c = diskCheck(join(tmpdir(), 'no', 'such', 'cache'));
    expect(c.name).toBe('disk');
    expect(c.detail).toMatch(/^\d+\.\d GB free for build dirs in /);
  });
});
