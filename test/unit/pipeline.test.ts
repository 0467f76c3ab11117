import { describe, expect, it } from 'vitest';
import { splitJobs } from '../../src/pipeline.js';

describe('splitJobs', () => {
  it('gives each make at least two jobs by default and never oversubscribes', () => {
    expect(splitJobs(3, 2)).toEqual({ jobs: 1, makeJobs: 2 });
    expect(splitJobs(3, 8)).toEqual({ jobs: 3, makeJobs: 3 });
    expect(splitJobs(1, 16)).toEqual({ jobs: 1, makeJobs: 16 });
    expect(splitJobs(3, 1)).toEqual({ jobs: 1, makeJobs: 1 });
  });
  it('honours explicit --jobs and --make-jobs', () => {
    expect(splitJobs(3, 2, 2)).toEqual({ jobs: 2, makeJobs: 1 });
    expect(splitJobs(3, 2, 3, 4)).toEqual({ jobs: 3, makeJobs: 4 });
  });
});
