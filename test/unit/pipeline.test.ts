import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitJobs, warmBuildDir } from '../../src/pipeline/run.js';

describe('splitJobs', () => {
  it('cold build dirs: each make gets at least two jobs and the machine is never oversubscribed', () => {
    expect(splitJobs(3, 2)).toEqual({ jobs: 1, makeJobs: 2 });
    expect(splitJobs(3, 8)).toEqual({ jobs: 3, makeJobs: 3 });
    expect(splitJobs(1, 16)).toEqual({ jobs: 1, makeJobs: 16 });
    expect(splitJobs(3, 1)).toEqual({ jobs: 1, makeJobs: 1 });
  });
  it('warm build dirs (incremental builds, measured faster side by side): up to 1.5 builds per CPU, up to the cells', () => {
    expect(splitJobs(3, 2, undefined, undefined, true)).toEqual({ jobs: 3, makeJobs: 1 });
    expect(splitJobs(6, 2, undefined, undefined, true)).toEqual({ jobs: 3, makeJobs: 1 });
    expect(splitJobs(8, 4, undefined, undefined, true)).toEqual({ jobs: 6, makeJobs: 1 });
    expect(splitJobs(2, 2, undefined, undefined, true)).toEqual({ jobs: 2, makeJobs: 1 });
    expect(splitJobs(3, 8, undefined, undefined, true)).toEqual({ jobs: 3, makeJobs: 3 });
    expect(splitJobs(1, 2, undefined, undefined, true)).toEqual({ jobs: 1, makeJobs: 2 });
    expect(splitJobs(3, 1, undefined, undefined, true)).toEqual({ jobs: 1, makeJobs: 1 });
  });
  it('honours explicit --jobs and --make-jobs', () => {
    expect(splitJobs(3, 2, 2)).toEqual({ jobs: 2, makeJobs: 1 });
    expect(splitJobs(3, 2, 3, 4)).toEqual({ jobs: 3, makeJobs: 4 });
    expect(splitJobs(3, 2, 1, undefined, true)).toEqual({ jobs: 1, makeJobs: 2 });
  });
});

describe('warmBuildDir', () => {
  it('is warm once a build compiled there (.config and init/main.o), not after a Kconfig stage alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmatrix-warm-'));
    expect(warmBuildDir(dir)).toBe(false);
    writeFileSync(join(dir, '.config'), 'CONFIG_MMU=y\n');
    expect(warmBuildDir(dir)).toBe(false);
    mkdirSync(join(dir, 'init'));
    writeFileSync(join(dir, 'init', 'main.o'), '');
    expect(warmBuildDir(dir)).toBe(true);
    expect(warmBuildDir(join(dir, 'missing'))).toBe(false);
  });
});
