/**
 * What a piece of queue work costs Redis, read from Redis itself: `INFO commandstats` (calls per
 * command, including the commands Lua scripts run) and `INFO cpu` (the server's CPU seconds).
 * Take a snapshot before and after, then `costOf(before, after, jobs)`.
 */
import type { Redis } from 'ioredis';

export interface RedisSnapshot {
  /** Calls per command name (`evalsha`, `zadd`, `client|setname`, ...). */
  calls: Record<string, number>;
  /** used_cpu_user + used_cpu_sys of the server, seconds. */
  cpuSeconds: number;
}

/** Per-job cost between two snapshots. */
export interface RedisCost {
  /** Every command Redis executed, inside scripts included, per job. */
  commandsPerJob: number;
  /** Lua script invocations (EVAL/EVALSHA/FCALL) per job: BullMQ's round trips that do the work. */
  scriptsPerJob: number;
  /** Redis server CPU microseconds per job. */
  redisCpuUsPerJob: number;
  /** The commands called most (five unless asked), per job. */
  top: Array<{ command: string; perJob: number }>;
}

/** Commands of the measuring itself, left out of the counts. */
const IGNORED = new Set([
  'info',
  'config|resetstat',
  'config|get',
  'ping',
  'client|setname',
  'client|setinfo',
  'hello',
  'select',
  'info|',
]);

export async function snapshot(client: Redis): Promise<RedisSnapshot> {
  const [stats, cpu] = await Promise.all([client.info('commandstats'), client.info('cpu')]);
  const calls: Record<string, number> = {};
  for (const line of stats.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match?.[1] && match[2]) calls[match[1]] = Number(match[2]);
  }
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { calls, cpuSeconds: field('used_cpu_user') + field('used_cpu_sys') };
}

/** `topN`: how many of the commands called most to list. @defaultValue 5 */
export function costOf(before: RedisSnapshot, after: RedisSnapshot, jobs: number, topN = 5): RedisCost {
  const deltas: Array<{ command: string; calls: number }> = [];
  for (const [command, calls] of Object.entries(after.calls)) {
    if (IGNORED.has(command)) continue;
    const delta = calls - (before.calls[command] ?? 0);
    if (delta > 0) deltas.push({ command, calls: delta });
  }
  deltas.sort((a, b) => b.calls - a.calls);
  const total = deltas.reduce((sum, d) => sum + d.calls, 0);
  const scripts = deltas
    .filter((d) => d.command === 'evalsha' || d.command === 'eval' || d.command === 'fcall')
    .reduce((sum, d) => sum + d.calls, 0);
  const n = Math.max(1, jobs);
  return {
    commandsPerJob: total / n,
    scriptsPerJob: scripts / n,
    redisCpuUsPerJob: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / n,
    top: deltas.slice(0, topN).map((d) => ({ command: d.command, perJob: d.calls / n })),
  };
}
