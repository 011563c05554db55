/**
 * CPU time from `/proc`, for processes the bench did not write (the API server, Redis) and the
 * replicas alike: one method for every process, cgroup or not. Linux only.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: 100 on every Linux the bench runs on). */
const USER_HZ = 100;

/**
 * utime + stime of `/proc/<pid>/stat` text, in seconds (every thread of the process; reaped
 * children not included). The command name may hold spaces and parentheses: fields are counted
 * after the last `)`.
 */
export function parseProcStatCpu(text: string, hz = USER_HZ): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) ... utime is field 14, stime 15 → indexes 11 and 12 here.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`unreadable /proc stat line: ${text.slice(0, 80)}`);
  return (utime + stime) / hz;
}

/** CPU seconds of `pid` so far; NaN when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    return parseProcStatCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** Busy and total seconds of the whole machine (every CPU) from `/proc/stat`'s `cpu` line. */
export interface MachineCpu {
  busySeconds: number;
  totalSeconds: number;
}

export function parseMachineCpu(procStat: string, hz = USER_HZ): MachineCpu {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is counted inside user already)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busySeconds: busy / hz, totalSeconds: (busy + idle + iowait) / hz };
}

export function machineCpu(): MachineCpu {
  return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
}
