/**
 * CPU budgets for the scale benchmark's replicas: a cgroup per replica with a CFS quota (cgroup v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us`, or v2 `cpu.max`), found by reading `/proc/mounts`.
 * Where no cgroup can be written, replicas are pinned with `taskset` instead and the report says
 * so loudly: never a silent unconstrained run. The decision and path logic is pure (tested);
 * {@link openCpuBudget} does the writes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export type CgroupVersion = 1 | 2;

/** Where the cpu controller can be used: v1's `cpu` hierarchy, or the v2 tree with `cpu` available. */
export interface CpuMounts {
  /** Mount point of the v1 hierarchy holding the `cpu` controller (e.g. `/sys/fs/cgroup/cpu` or `.../cpu,cpuacct`). */
  v1Cpu?: string;
  /** Mount point of the cgroup2 tree (e.g. `/sys/fs/cgroup` or `/sys/fs/cgroup/unified`). */
  v2?: string;
}

/** How replicas are held to their budget. */
export type Confinement =
  { kind: 'cgroup'; version: CgroupVersion; root: string } | { kind: 'taskset'; cpus: string; reason: string };

export class CpuBudgetError extends Error {
  override readonly name = 'CpuBudgetError';
  constructor(
    readonly code: 'NoConfinement' | 'WriteFailed' | 'PinFailed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The cpu-capable cgroup mounts listed in `/proc/mounts` text. */
export function parseCpuMounts(procMounts: string): CpuMounts {
  const out: CpuMounts = {};
  for (const line of procMounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (mountPoint === undefined || options === undefined) continue;
    if (type === 'cgroup' && out.v1Cpu === undefined && options.split(',').includes('cpu')) out.v1Cpu = mountPoint;
    if (type === 'cgroup2' && out.v2 === undefined) out.v2 = mountPoint;
  }
  return out;
}

/**
 * Which cgroup tree to use: v1's cpu hierarchy when mounted (the controller cannot be in both), else
 * v2 when its root offers `cpu` in `cgroup.controllers`; undefined (with the reason) otherwise.
 */
export function chooseCgroup(
  mounts: CpuMounts,
  v2Controllers: string | undefined,
): { version: CgroupVersion; mount: string } | { reason: string } {
  if (mounts.v1Cpu !== undefined) return { version: 1, mount: mounts.v1Cpu };
  if (mounts.v2 !== undefined) {
    if ((v2Controllers ?? '').split(/\s+/).includes('cpu')) return { version: 2, mount: mounts.v2 };
    return { reason: `cgroup2 at ${mounts.v2} offers no cpu controller` };
  }
  return { reason: 'no cgroup with a cpu controller is mounted' };
}

/** The directory of replica `index` of run `run`: `<mount>/flotilla-bench/<run>/replica-<index>`. */
export function replicaCgroupPath(mount: string, run: string, index: number): string {
  if (!/^[A-Za-z0-9._-]+$/.test(run))
    throw new CpuBudgetError('WriteFailed', `bad cgroup run name ${JSON.stringify(run)}`);
  return join(mount, 'flotilla-bench', run, `replica-${index}`);
}

/** The files to write for a quota of `cores` (e.g. 0.2) per `periodUs`, in order. */
export function quotaWrites(
  version: CgroupVersion,
  cores: number,
  periodUs = 100_000,
): Array<{ file: string; value: string }> {
  if (!(cores > 0)) throw new CpuBudgetError('WriteFailed', `a CPU quota must be positive, got ${cores}`);
  const quotaUs = Math.max(1000, Math.round(cores * periodUs));
  if (version === 1)
    return [
      { file: 'cpu.cfs_period_us', value: String(periodUs) },
      { file: 'cpu.cfs_quota_us', value: String(quotaUs) },
    ];
  return [{ file: 'cpu.max', value: `${quotaUs} ${periodUs}` }];
}

/** Throttling counters of a cgroup (`cpu.stat`: v1 `throttled_time` ns, v2 `throttled_usec`). */
export interface Throttling {
  periods: number;
  throttledPeriods: number;
  throttledSeconds: number;
}

export function parseCpuStat(version: CgroupVersion, text: string): Throttling {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) fields.set(key, Number(value));
  }
  const throttled =
    version === 1 ? (fields.get('throttled_time') ?? 0) / 1e9 : (fields.get('throttled_usec') ?? 0) / 1e6;
  return {
    periods: fields.get('nr_periods') ?? 0,
    throttledPeriods: fields.get('nr_throttled') ?? 0,
    throttledSeconds: throttled,
  };
}

/** The replica processes' budget for one run: confine a pid, read its throttling, remove it all. */
export interface CpuBudget {
  readonly confinement: Confinement;
  /** Cores per replica under a cgroup; undefined when pinned (the pin is the budget). */
  readonly coresPerReplica: number | undefined;
  /** Moves `pid` (all its threads) into replica `index`'s cgroup, or pins it. */
  confine(index: number, pid: number): void;
  /** Throttling of replica `index` so far; zeros when pinned. */
  throttling(index: number): Throttling;
  /** Removes the cgroups (their processes must have exited); safe to call twice. */
  close(): void;
}

export interface CpuBudgetOptions {
  /** Cores per replica. @defaultValue 0.2 */
  cores?: number;
  /** A unique name for this run's cgroup folder. */
  run: string;
  /** `/proc/mounts` text. @defaultValue read from the machine */
  procMounts?: string;
  /** CPUs for the taskset fallback. @defaultValue the last CPU */
  fallbackCpus?: string;
}

const ZERO: Throttling = { periods: 0, throttledPeriods: 0, throttledSeconds: 0 };

/** Sets up the run's cgroups (or decides on taskset, with the reason); throws when neither is possible. */
export function openCpuBudget(options: CpuBudgetOptions): CpuBudget {
  const cores = options.cores ?? 0.2;
  const mounts = parseCpuMounts(options.procMounts ?? readFileSync('/proc/mounts', 'utf8'));
  const v2Controllers = mounts.v2 !== undefined ? readOptional(join(mounts.v2, 'cgroup.controllers')) : undefined;
  const choice = chooseCgroup(mounts, v2Controllers);
  let reason: string;
  if ('version' in choice) {
    try {
      return cgroupBudget(choice.version, choice.mount, options.run, cores);
    } catch (error) {
      reason = `cgroup v${choice.version} at ${choice.mount} cannot be written: ${error instanceof Error ? error.message : String(error)}`;
    }
  } else reason = choice.reason;
  return tasksetBudget(options.fallbackCpus ?? String(Math.max(0, availableParallelism() - 1)), reason);
}

function cgroupBudget(version: CgroupVersion, mount: string, run: string, cores: number): CpuBudget {
  const runDir = join(mount, 'flotilla-bench', run);
  removeStale(join(mount, 'flotilla-bench'));
  mkdirSync(runDir, { recursive: true });
  // v2 hands a controller down one level at a time: enable cpu from the root to the run folder.
  if (version === 2)
    for (const dir of [mount, join(mount, 'flotilla-bench'), runDir])
      writeFileSync(join(dir, 'cgroup.subtree_control'), '+cpu');
  const made: string[] = [];
  const ensure = (index: number): string => {
    const dir = replicaCgroupPath(mount, run, index);
    if (!made.includes(dir)) {
      mkdirSync(dir, { recursive: true });
      made.push(dir);
      for (const w of quotaWrites(version, cores)) writeFileSync(join(dir, w.file), w.value);
    }
    return dir;
  };
  ensure(0); // fails here, before any replica starts, when the tree is read-only
  let closed = false;
  return {
    confinement: { kind: 'cgroup', version, root: runDir },
    coresPerReplica: cores,
    confine(index, pid) {
      try {
        writeFileSync(join(ensure(index), 'cgroup.procs'), String(pid));
      } catch (cause) {
        throw new CpuBudgetError('WriteFailed', `cannot move pid ${pid} into ${replicaCgroupPath(mount, run, index)}`, {
          cause,
        });
      }
    },
    throttling(index) {
      const text = readOptional(join(replicaCgroupPath(mount, run, index), 'cpu.stat'));
      return text === undefined ? ZERO : parseCpuStat(version, text);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const dir of [...made].reverse()) removeDir(dir);
      removeDir(runDir);
      removeDir(join(mount, 'flotilla-bench'));
    },
  };
}

function tasksetBudget(cpus: string, reason: string): CpuBudget {
  const probe = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new CpuBudgetError(
      'NoConfinement',
      `replicas cannot be held to a CPU budget: ${reason}; and taskset is not available (${probe.error?.message ?? `exit ${String(probe.status)}`})`,
    );
  }
  return {
    confinement: { kind: 'taskset', cpus, reason },
    coresPerReplica: undefined,
    confine(_index, pid) {
      // -a: every thread (libuv's pool and V8's helpers too), not only the main one.
      const r = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { encoding: 'utf8' });
      if (r.status !== 0)
        throw new CpuBudgetError(
          'PinFailed',
          `taskset -a -cp ${cpus} ${pid}: ${r.stderr || r.error?.message || `exit ${String(r.status)}`}`,
        );
    },
    throttling: () => ZERO,
    close: () => undefined,
  };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** rmdir, ignoring "already gone" and "still busy" (a cgroup with live tasks cannot go). */
function removeDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // kept: gone already, or a process still in it
  }
}

/** Empty run folders left by a killed earlier run (their processes are gone, so rmdir works). */
function removeStale(parent: string): void {
  if (!existsSync(parent)) return;
  for (const run of readdirSync(parent, { withFileTypes: true })) {
    if (!run.isDirectory()) continue;
    const runDir = join(parent, run.name);
    for (const r of readdirSync(runDir, { withFileTypes: true })) if (r.isDirectory()) removeDir(join(runDir, r.name));
    removeDir(runDir);
  }
}
