/**
 * The scale benchmark's arithmetic, kept pure (tested alone): steady-state throughput from finish
 * times, per-workflow costs from counter deltas, each resource's utilisation of its budget, which
 * resource saturated, and the scaling efficiency thr(N) ÷ (N × thr(1)).
 */
import type { TrafficStats } from '../sandbox/apiserver/traffic.js';
import type { Throttling } from './cgroup.js';
import type { Spread } from './stats.js';

/** The resources a run can run out of. `machine`: every CPU of the box is busy. */
export type ResourceName = 'replicas' | 'apiserver' | 'redis' | 'machine';

/** CPU a resource used over a window, and the budget it had. */
export interface ResourceUse {
  name: ResourceName;
  cpuSeconds: number;
  /** Cores it may use: quota × replicas, 1 for the single-threaded API server and Redis, the machine's cores. */
  budgetCores: number;
  /** cpuSeconds ÷ (budgetCores × window). */
  utilisation: number;
}

export interface SaturationVerdict {
  /** Resources at or above the threshold, most utilised first. */
  saturated: ResourceName[];
  /**
   * The one that bounds the run: the most utilised saturated resource, `machine` only when no single
   * process is at its budget (then every process is starved by the others: the machine is saturated,
   * or `oversubscribed`); undefined when nothing is saturated (the run is bound by latency: queue
   * trips, watch delivery).
   */
  bottleneck: ResourceName | undefined;
  /**
   * Set when the cores the run asked for exceed the machine's while it was busy: the replicas'
   * budgets plus what the other processes used (API server, Redis, the bench's own creates). Then
   * the replicas could not get their quotas however little of them they used, and the machine is
   * the bottleneck even under the saturation threshold (busy ≥ {@link OVERSUBSCRIBED_BUSY}).
   */
  oversubscribed?: { askedCores: number; cores: number };
}

/** Utilisation at which a resource counts as saturated. A CFS quota is rarely used to 100 %. */
export const SATURATION_THRESHOLD = 0.85;

export function use(name: ResourceName, cpuSeconds: number, budgetCores: number, windowSeconds: number): ResourceUse {
  const utilisation = budgetCores > 0 && windowSeconds > 0 ? cpuSeconds / (budgetCores * windowSeconds) : Number.NaN;
  return { name, cpuSeconds, budgetCores, utilisation };
}

/** Machine utilisation from which an oversubscribed run counts as bound by the machine. */
export const OVERSUBSCRIBED_BUSY = 0.7;

/**
 * `otherCores`: cores used over the window by processes outside every budget (the bench's creates).
 */
export function saturation(
  uses: readonly ResourceUse[],
  threshold = SATURATION_THRESHOLD,
  otherCores = 0,
): SaturationVerdict {
  const saturated = uses.filter((u) => u.utilisation >= threshold).sort((a, b) => b.utilisation - a.utilisation);
  const processes = saturated.filter((u) => u.name !== 'machine');
  const bottleneck = processes[0]?.name ?? saturated[0]?.name;
  const verdict: SaturationVerdict = { saturated: saturated.map((u) => u.name), bottleneck };
  if (bottleneck !== undefined) return verdict;
  const machine = uses.find((u) => u.name === 'machine');
  const replicas = uses.find((u) => u.name === 'replicas');
  if (!machine || !replicas || !(machine.utilisation >= OVERSUBSCRIBED_BUSY)) return verdict;
  // The replicas are asked for at their budget; the others for what they used.
  const used = (u: ResourceUse): number => u.utilisation * u.budgetCores;
  const others = uses.filter((u) => u.name !== 'machine' && u.name !== 'replicas').reduce((a, u) => a + used(u), 0);
  const askedCores = replicas.budgetCores + others + otherCores;
  if (askedCores <= machine.budgetCores) return verdict;
  return { ...verdict, bottleneck: 'machine', oversubscribed: { askedCores, cores: machine.budgetCores } };
}

/** The first replica count (ascending) whose run had a bottleneck, and which. */
export function firstSaturation(
  runs: ReadonlyArray<{ replicas: number; verdict: SaturationVerdict }>,
): { replicas: number; resource: ResourceName } | undefined {
  for (const r of [...runs].sort((a, b) => a.replicas - b.replicas)) {
    if (r.verdict.bottleneck !== undefined) return { replicas: r.replicas, resource: r.verdict.bottleneck };
  }
  return undefined;
}

/**
 * thr(N) ÷ (N × thr(1)), median of medians, bounds the widest (min ÷ max, max ÷ min): the two
 * sides ran on different fleets, so their repeats do not pair.
 */
export function efficiency(thrN: Spread, n: number, thr1: Spread): Spread {
  return { median: thrN.median / (n * thr1.median), min: thrN.min / (n * thr1.max), max: thrN.max / (n * thr1.min) };
}

/**
 * Finishes/s of the middle 80 % of `status.finishedAt` (10th to 90th percentile finish), leaving
 * out start-up and the tail. Under 10 workflows: all of them, from `startMs`. Optimistic for a
 * replica that lags (finishedAt is stamped before the status is written): see steadyFromProgress.
 */
export function steadyThroughput(finishedMs: readonly number[], startMs: number): number {
  const t = [...finishedMs].sort((a, b) => a - b);
  const n = t.length;
  if (n === 0) return Number.NaN;
  if (n < 10) return n / (Math.max(1, (t[n - 1] as number) - startMs) / 1000);
  const lo = Math.floor(0.1 * n);
  const hi = Math.ceil(0.9 * n) - 1;
  const span = ((t[hi] as number) - (t[lo] as number)) / 1000;
  return span > 0 ? (hi - lo) / span : Number.NaN;
}

/** When the count of done workflows first reaches `target`, interpolated between two polls. */
function crossing(points: ReadonlyArray<{ t: number; done: number }>, target: number): number | undefined {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as { t: number; done: number };
    const b = points[i] as { t: number; done: number };
    if (b.done >= target && a.done < target) return a.t + ((b.t - a.t) * (target - a.done)) / (b.done - a.done);
  }
  return undefined;
}

/**
 * Workflows/s in the steady state from polls of the replicas' Succeeded gauges (`t` ms, `done`
 * since the batch began, the first point the batch's start at 0): the 10th → 90th percentile of
 * completions, interpolated between polls. The gauges move when the final status is back in the
 * informer cache, so a replica that lags behind its own decisions (`status.finishedAt` is stamped
 * before the write) is not counted early. Falls back to n ÷ whole span when no crossing is seen.
 */
export function steadyFromProgress(points: ReadonlyArray<{ t: number; done: number }>, n: number): number {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined || n <= 0) return Number.NaN;
  const lo = crossing(points, 0.1 * n);
  const hi = crossing(points, 0.9 * n);
  if (n >= 10 && lo !== undefined && hi !== undefined && hi > lo) return (0.8 * n) / ((hi - lo) / 1000);
  return last.t > first.t ? last.done / ((last.t - first.t) / 1000) : Number.NaN;
}

/** What one workflow cost, from counter deltas over its batch ÷ the batch size. */
export interface PerWorkflow {
  /** CPU of every replica, ms. */
  replicaCpuMs: number;
  /** API resource requests, every verb. */
  apiRequests: number;
  apiRequestsByVerb: Record<string, number>;
  /** By `<verb> <plural>[/<subresource>]`. */
  apiRequestsByResource: Record<string, number>;
  /** Bytes the API server received (TLS and headers included; the bench's creates included). */
  apiBytesReceived: number;
  /** Request bodies sent to the API server (declared Content-Length), bytes. */
  apiBodyBytes: number;
  /** Watch events the API server wrote (the replicas' informers are its only watchers). */
  watchEvents: number;
  watchBytes: number;
  /** Every command Redis ran, inside Lua scripts included. */
  redisCommands: number;
}

export interface CounterDeltas {
  workflows: number;
  replicaCpuSeconds: number;
  trafficBefore: TrafficStats;
  trafficAfter: TrafficStats;
  redisCommands: number;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

export function perWorkflow(d: CounterDeltas): PerWorkflow {
  const n = Math.max(1, d.workflows);
  const verbs = delta(d.trafficAfter.requests, d.trafficBefore.requests);
  const bodies = delta(d.trafficAfter.requestBodyBytes, d.trafficBefore.requestBodyBytes);
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return {
    replicaCpuMs: (d.replicaCpuSeconds * 1000) / n,
    apiRequests: sum(verbs) / n,
    apiRequestsByVerb: Object.fromEntries(Object.entries(verbs).map(([k, v]) => [k, v / n])),
    apiRequestsByResource: Object.fromEntries(
      Object.entries(delta(d.trafficAfter.requestsByResource, d.trafficBefore.requestsByResource)).map(([k, v]) => [
        k,
        v / n,
      ]),
    ),
    apiBytesReceived: (d.trafficAfter.bytesReceived - d.trafficBefore.bytesReceived) / n,
    apiBodyBytes: sum(bodies) / n,
    watchEvents: (d.trafficAfter.watchEvents - d.trafficBefore.watchEvents) / n,
    watchBytes: (d.trafficAfter.watchBytes - d.trafficBefore.watchBytes) / n,
    redisCommands: d.redisCommands / n,
  };
}

/** Throttling over a window (after − before). */
export function throttlingDelta(before: Throttling, after: Throttling): Throttling {
  return {
    periods: after.periods - before.periods,
    throttledPeriods: after.throttledPeriods - before.throttledPeriods,
    throttledSeconds: after.throttledSeconds - before.throttledSeconds,
  };
}

/** Share of CFS periods in which the replica hit its quota (0 when no period ran). */
export function throttledShare(t: Throttling): number {
  return t.periods > 0 ? t.throttledPeriods / t.periods : 0;
}
