/** How a commit's builds share the machine: builds at once and make -j each (pure, but for the warm check). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Builds at once per CPU when every build dir is warm (measured: see splitJobs; `bench --sched` uses it too). */
export const WARM_BUILDS_PER_CPU = 1.5;

/**
 * Split the machine: how many builds at once, and make -j for each. Measured on 2 cores (`npm run bench -- --sched`,
 * bench/RESULTS.md). Incremental builds (warm build dirs) are mostly serial work (make reading the tree, kbuild's
 * compiler probes, the container start, the link and modpost) that leaves a CPU idle, so more builds than CPUs fill
 * it: 10 commits × 3 cells took 54 s with three at once at -j1, 73 s with two at once at -j1 (the third cell then
 * ran alone after each pair) and 66 s one at a time at -j2. So with warm build dirs up to 1.5 builds per CPU run at
 * once (the ratio measured; more was not). Cold builds compile for minutes; one at a time at -j2 was as fast or
 * slightly faster (248 s vs 256 s) and avoids a lone -j1 build idling a core at the end, so when any build dir is
 * cold each make gets at least two jobs.
 */
export function splitJobs(
  cells: number,
  cpus: number,
  jobs?: number,
  makeJobs?: number,
  warm = false,
): { jobs: number; makeJobs: number } {
  const j = Math.max(1, jobs ?? Math.min(cells, warm ? Math.floor(cpus * WARM_BUILDS_PER_CPU) : Math.floor(cpus / 2)));
  return { jobs: j, makeJobs: Math.max(1, makeJobs ?? Math.ceil(cpus / j)) };
}

/** A build dir that a build has already compiled in (its `.config` and `init/main.o` exist): the next build is incremental. */
export function warmBuildDir(dir: string): boolean {
  return existsSync(join(dir, '.config')) && existsSync(join(dir, 'init', 'main.o'));
}
