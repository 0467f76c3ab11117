/**
 * How many CPUs kmatrix may keep busy: the CPUs this process may run on, capped by a cgroup CPU quota.
 *
 * `os.availableParallelism()` counts the CPUs of the affinity mask, not a quota: a CI job or a Kubernetes pod limited
 * to 2 CPUs on a 64-core node sees 64, and builds sized for 64 then share 2 CPUs (each slower than one build alone).
 * The quota is read from cgroup v2 (`cpu.max` of this process's cgroup and its parents) or v1 (`cpu.cfs_quota_us`
 * over `cpu.cfs_period_us`); parsing is pure, the reads are at the edge.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** CPUs a cgroup v2 `cpu.max` line allows (`"200000 100000"` → 2), null for `max` or an unreadable line (pure). */
export function quotaFromCpuMax(text: string): number | null {
  const m = /^\s*(\d+|max)\s+(\d+)\s*$/.exec(text);
  if (!m || m[1] === 'max' || Number(m[2]) <= 0) return null;
  return Number(m[1]) / Number(m[2]);
}

/** CPUs a cgroup v1 quota and period allow (`-1` = no quota → null) (pure). */
export function quotaFromCfs(quota: string, period: string): number | null {
  const q = Number(quota.trim());
  const p = Number(period.trim());
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return null;
  return q / p;
}

/** The cgroup v2 path of this process from `/proc/self/cgroup` text (`0::/a/b` → `/a/b`), null without one (pure). */
export function cgroupV2Path(procSelfCgroup: string): string | null {
  const line = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3).trim() || '/' : null;
}

/** The cgroup v1 path of this process's `cpu` controller (`1:cpu,cpuacct:/a` → `/a`), null without one (pure). */
export function cgroupV1CpuPath(procSelfCgroup: string): string | null {
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m && m[1]!.split(',').includes('cpu')) return m[2]!.trim() || '/';
  }
  return null;
}

/** CPUs to plan builds for: `cpus` capped by the smallest quota (at least 1, whole CPUs) (pure). */
export function cappedCpus(cpus: number, quotas: readonly (number | null)[]): number {
  const q = quotas.filter((x): x is number => x !== null);
  const cap = q.length ? Math.min(...q) : Infinity;
  return Math.max(1, Math.min(cpus, Math.floor(cap)));
}

const read = (f: string): string | null => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return null;
  }
};

/**
 * CPUs a process (this one by default) may keep busy: `os.availableParallelism()` capped by its cgroup's CPU quota,
 * if any.
 */
export function effectiveCpus(o: { root?: string; pid?: number | 'self' } = {}): number {
  const root = o.root ?? '/sys/fs/cgroup';
  const quotas: (number | null)[] = [];
  const self = read(`/proc/${o.pid ?? 'self'}/cgroup`) ?? '';
  const v2 = cgroupV2Path(self);
  if (v2 !== null) {
    // The quota of every cgroup from this one up to the root applies.
    for (let p = v2; ; p = p.slice(0, p.lastIndexOf('/')) || '/') {
      const t = read(join(root, p, 'cpu.max'));
      if (t !== null) quotas.push(quotaFromCpuMax(t));
      if (p === '/') break;
    }
  }
  // v1: this process's own cgroup under the cpu controller (a container sees its own as the mount's root).
  const v1 = cgroupV1CpuPath(self);
  for (const dir of ['cpu', 'cpu,cpuacct']) {
    for (const p of new Set([v1 ?? '/', '/'])) {
      const q = read(join(root, dir, p, 'cpu.cfs_quota_us'));
      const period = read(join(root, dir, p, 'cpu.cfs_period_us'));
      if (q !== null && period !== null) quotas.push(quotaFromCfs(q, period));
    }
  }
  return cappedCpus(availableParallelism(), quotas);
}
