/** Process helpers over /proc and signals: is a pid alive, kill a process group, kill what runs inside a directory. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Whether a process id is alive (EPERM: alive, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Send a signal to a whole process group; false if it is gone. */
export function killGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL every process whose command line or working directory is inside `dir` (orphans of a killed kmatrix in its private dirs); returns their pids. */
export function killProcessesUnder(dir: string): number[] {
  const killed: number[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return killed; // no /proc: nothing to find
  }
  for (const p of pids) {
    let hit = false;
    try {
      hit = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').some((a) => a === dir || a.startsWith(`${dir}/`));
      if (!hit) {
        const cwd = readlinkSync(`/proc/${p}/cwd`);
        hit = cwd === dir || cwd.startsWith(`${dir}/`);
      }
    } catch {
      continue; // gone, or not ours to read
    }
    if (!hit) continue;
    try {
      process.kill(Number(p), 'SIGKILL');
      killed.push(Number(p));
    } catch {
      /* gone meanwhile */
    }
  }
  return killed;
}
