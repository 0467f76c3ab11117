import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { cappedCpus, cgroupV1CpuPath, cgroupV2Path, effectiveCpus, quotaFromCfs, quotaFromCpuMax } from '../../src/runtime/cpus.js';

describe('CPUs under a cgroup quota', () => {
  it('parses cgroup v2 cpu.max and v1 cfs quota/period; no quota is null', () => {
    expect(quotaFromCpuMax('200000 100000\n')).toBe(2);
    expect(quotaFromCpuMax('150000 100000')).toBe(1.5);
    expect(quotaFromCpuMax('max 100000\n')).toBeNull();
    expect(quotaFromCpuMax('garbage')).toBeNull();
    expect(quotaFromCfs('100000\n', '100000\n')).toBe(1);
    expect(quotaFromCfs('-1\n', '100000\n')).toBeNull();
  });

  it("finds this process's cgroup in /proc/self/cgroup (v2 line, v1 cpu controller)", () => {
    expect(cgroupV2Path('0::/ci/job-7\n')).toBe('/ci/job-7');
    expect(cgroupV2Path('0::/\n')).toBe('/');
    expect(cgroupV2Path('4:memory:/x\n')).toBeNull();
    expect(cgroupV1CpuPath('3:cpuset:/\n2:cpu,cpuacct:/kubepods/pod1\n')).toBe('/kubepods/pod1');
    expect(cgroupV1CpuPath('1:cpu:/job\n0::/\n')).toBe('/job');
    expect(cgroupV1CpuPath('0::/\n')).toBeNull();
  });

  it('caps the CPU count by the smallest quota, whole CPUs, at least 1', () => {
    expect(cappedCpus(64, [2])).toBe(2);
    expect(cappedCpus(64, [null, 3.5, 8])).toBe(3);
    expect(cappedCpus(2, [16])).toBe(2);
    expect(cappedCpus(4, [0.5])).toBe(1);
    expect(cappedCpus(4, [])).toBe(4);
  });

  // A real cgroup (v1 cpu controller, as on this machine; needs root): a process put in a cgroup limited to 1 CPU
  // plans for 1, although the machine shows more.
  const v1 = '/sys/fs/cgroup/cpu';
  const canCgroup = process.getuid?.() === 0 && existsSync(join(v1, 'cgroup.procs')) && availableParallelism() > 1;
  it.skipIf(!canCgroup)('a process in a real cgroup limited to 1 CPU plans for 1 (the machine shows more)', async () => {
    const dir = join(v1, `kmatrix-cpus-test-${process.pid}`);
    mkdirSync(dir);
    try {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), '100000');
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
        expect(effectiveCpus({ pid: child.pid! })).toBe(1);
        expect(effectiveCpus()).toBe(availableParallelism());
      } finally {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    } finally {
      rmdirSync(dir);
    }
  });
});
