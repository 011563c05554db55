/**
 * Memory of the replicas during a sandbox run (the soak): a `MemorySampler` reads every live
 * replica's RSS from `/proc/<pid>/status` (VmRSS; `ps -o rss=` where there is no /proc) and its JS
 * heap from its `/metrics` every `intervalMs`, and appends each sample to a JSONL file. A replica
 * restarted by the supervisor is a new process, an "incarnation": samples are kept per
 * (replica name, pid).
 *
 * `judgeMemoryGrowth` (pure) decides per incarnation whether memory grew beyond a bound: after a
 * warm-up (the larger of the first `warmupFraction` of the incarnation and `warmupMs`), the median
 * of the first third of the remaining samples is compared with the median of the last third;
 * growth beyond `maxGrowthMiB` AND beyond `maxGrowthRatio` is a violation. An incarnation with
 * less than `minJudgedMs` of samples after its warm-up is "too short to judge" (reported, never a
 * violation). Under `--chaos` a replica rarely lives that long, so each replica is also judged
 * across its restarts: the level of each incarnation (the median of its second half) early in the
 * run against late in the run, with the same bound.
 */
import { execFile } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { Fleet } from './fleet.js';

const MiB = 2 ** 20;

/** One reading of one replica process. */
export interface MemorySample {
  /** Epoch ms. */
  at: number;
  /** The replica's name (`replica-1`); the same across restarts. */
  replica: string;
  /** The process; a restart is a new pid, a new incarnation. */
  pid: number;
  rssBytes: number;
  /** `nodejs_heap_size_used_bytes` from the replica's `/metrics`; absent when it did not answer in time. */
  heapUsedBytes?: number;
}

/** What counts as growth, and what is long enough to judge. */
export interface MemoryBound {
  /** Growth (last-third median − first-third median) that is too much, in MiB. @defaultValue 64 */
  maxGrowthMiB?: number;
  /** Growth ratio (last-third median ÷ first-third median) that is too much. @defaultValue 1.5 */
  maxGrowthRatio?: number;
  /** Warm-up ignored at the start of an incarnation, as a fraction of its sampled span. @defaultValue 0.2 */
  warmupFraction?: number;
  /** Warm-up ignored at the start of an incarnation, in ms (the larger of the two applies). @defaultValue 60000 */
  warmupMs?: number;
  /** Samples after the warm-up must span at least this long to be judged. @defaultValue 90000 */
  minJudgedMs?: number;
}

export const defaultMemoryBound: Readonly<Required<MemoryBound>> = {
  maxGrowthMiB: 64,
  maxGrowthRatio: 1.5,
  warmupFraction: 0.2,
  warmupMs: 60_000,
  minJudgedMs: 90_000,
};

export type MemoryVerdict = 'ok' | 'grew' | 'too-short';

export interface IncarnationMemory {
  replica: string;
  pid: number;
  /** First and last sample, epoch ms. */
  from: number;
  to: number;
  samples: number;
  /** Samples after the warm-up. */
  judgedSamples: number;
  /** Medians of the first and last third after the warm-up; null when too short to judge. */
  firstMedianMiB: number | null;
  lastMedianMiB: number | null;
  minMiB: number;
  peakMiB: number;
  /** Least-squares slope of RSS over the samples after the warm-up; null with fewer than 2. */
  slopeMiBPerMin: number | null;
  /** Heap used, first-third and last-third medians after the warm-up (when `/metrics` answered). */
  heapFirstMedianMiB: number | null;
  heapLastMedianMiB: number | null;
  verdict: MemoryVerdict;
}

export interface ReplicaMemory {
  replica: string;
  incarnations: IncarnationMemory[];
  peakMiB: number;
  /** The replica across its restarts: each incarnation's level (median of its second half), early against late. */
  acrossRestarts: {
    levels: number;
    firstMedianMiB: number | null;
    lastMedianMiB: number | null;
    verdict: MemoryVerdict;
  };
}

export interface MemoryReport {
  bound: Required<MemoryBound>;
  samples: number;
  /** Sampling interval, for the rendering. */
  intervalMs: number | null;
  replicas: ReplicaMemory[];
  /** Incarnations judged / too short to judge. */
  judged: number;
  tooShort: number;
  /** One line per broken bound. */
  violations: string[];
  ok: boolean;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Least-squares slope of `y` over `x`; null with fewer than 2 distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

function grew(first: number, last: number, bound: Required<MemoryBound>): boolean {
  return last - first > bound.maxGrowthMiB && first > 0 && last / first > bound.maxGrowthRatio;
}

/** First and last thirds (at least one value each) of `values`, in order. */
function thirds<T>(values: readonly T[]): [T[], T[]] {
  const n = Math.max(1, Math.floor(values.length / 3));
  return [values.slice(0, n), values.slice(values.length - n)];
}

function judgeIncarnation(samples: readonly MemorySample[], bound: Required<MemoryBound>): IncarnationMemory {
  const first = samples[0] as MemorySample;
  const last = samples[samples.length - 1] as MemorySample;
  const span = last.at - first.at;
  const warmupEnd = first.at + Math.max(bound.warmupFraction * span, bound.warmupMs);
  const judged = samples.filter((s) => s.at >= warmupEnd);
  const rss = samples.map((s) => s.rssBytes / MiB);
  const judgedSpan =
    judged.length > 0 ? (judged[judged.length - 1] as MemorySample).at - (judged[0] as MemorySample).at : 0;
  const long = judged.length >= 3 && judgedSpan >= bound.minJudgedMs;
  const [early, late] = thirds(judged);
  const firstMedianMiB = long ? median(early.map((s) => s.rssBytes / MiB)) : null;
  const lastMedianMiB = long ? median(late.map((s) => s.rssBytes / MiB)) : null;
  const heapOf = (list: MemorySample[]) =>
    list.flatMap((s) => (s.heapUsedBytes === undefined ? [] : [s.heapUsedBytes / MiB]));
  const heapEarly = heapOf(early);
  const heapLate = heapOf(late);
  return {
    replica: first.replica,
    pid: first.pid,
    from: first.at,
    to: last.at,
    samples: samples.length,
    judgedSamples: judged.length,
    firstMedianMiB,
    lastMedianMiB,
    minMiB: Math.min(...rss),
    peakMiB: Math.max(...rss),
    slopeMiBPerMin: slope(judged.map((s) => ({ x: (s.at - first.at) / 60_000, y: s.rssBytes / MiB }))),
    heapFirstMedianMiB: long && heapEarly.length > 0 ? median(heapEarly) : null,
    heapLastMedianMiB: long && heapLate.length > 0 ? median(heapLate) : null,
    verdict:
      firstMedianMiB === null || lastMedianMiB === null
        ? 'too-short'
        : grew(firstMedianMiB, lastMedianMiB, bound)
          ? 'grew'
          : 'ok',
  };
}

function judgeAcrossRestarts(
  groups: readonly MemorySample[][],
  bound: Required<MemoryBound>,
): ReplicaMemory['acrossRestarts'] {
  const levels: number[] = [];
  for (const samples of groups) {
    const from = (samples[0] as MemorySample).at;
    const to = (samples[samples.length - 1] as MemorySample).at;
    const secondHalf = samples.filter((s) => s.at >= from + (to - from) / 2);
    if (samples.length >= 2) levels.push(median(secondHalf.map((s) => s.rssBytes / MiB)));
  }
  if (levels.length < 3)
    return { levels: levels.length, firstMedianMiB: null, lastMedianMiB: null, verdict: 'too-short' };
  const [early, late] = thirds(levels);
  const firstMedianMiB = median(early);
  const lastMedianMiB = median(late);
  return {
    levels: levels.length,
    firstMedianMiB,
    lastMedianMiB,
    verdict: grew(firstMedianMiB, lastMedianMiB, bound) ? 'grew' : 'ok',
  };
}

/** Judges the samples of a run (any order) per incarnation and per replica across restarts. */
export function judgeMemoryGrowth(
  samples: readonly MemorySample[],
  bound: MemoryBound = {},
  intervalMs: number | null = null,
): MemoryReport {
  const b: Required<MemoryBound> = { ...defaultMemoryBound, ...stripUndefined(bound) };
  const byReplica = new Map<string, Map<number, MemorySample[]>>();
  for (const s of [...samples].sort((x, y) => x.at - y.at)) {
    const pids = byReplica.get(s.replica) ?? new Map<number, MemorySample[]>();
    byReplica.set(s.replica, pids);
    const list = pids.get(s.pid) ?? [];
    pids.set(s.pid, list);
    list.push(s);
  }
  const replicas: ReplicaMemory[] = [];
  const violations: string[] = [];
  for (const [replica, pids] of [...byReplica].sort(([a], [b2]) => a.localeCompare(b2, undefined, { numeric: true }))) {
    const groups = [...pids.values()].sort((x, y) => (x[0] as MemorySample).at - (y[0] as MemorySample).at);
    const incarnations = groups.map((g) => judgeIncarnation(g, b));
    const acrossRestarts = judgeAcrossRestarts(groups, b);
    for (const inc of incarnations) {
      if (inc.verdict === 'grew')
        violations.push(
          `${replica} (pid ${inc.pid}) RSS grew ${fmt(inc.firstMedianMiB)} → ${fmt(inc.lastMedianMiB)} MiB`,
        );
    }
    if (acrossRestarts.verdict === 'grew') {
      violations.push(
        `${replica} RSS grew across ${acrossRestarts.levels} incarnations ${fmt(acrossRestarts.firstMedianMiB)} → ${fmt(acrossRestarts.lastMedianMiB)} MiB`,
      );
    }
    replicas.push({ replica, incarnations, peakMiB: Math.max(...incarnations.map((i) => i.peakMiB)), acrossRestarts });
  }
  const all = replicas.flatMap((r) => r.incarnations);
  const tooShort = all.filter((i) => i.verdict === 'too-short').length;
  return {
    bound: b,
    samples: samples.length,
    intervalMs,
    replicas,
    judged: all.length - tooShort,
    tooShort,
    violations,
    ok: violations.length === 0,
  };
}

/** The bound's own fields that are set (an options object may carry more, e.g. the interval). */
function stripUndefined(bound: MemoryBound): MemoryBound {
  const keys = Object.keys(defaultMemoryBound) as (keyof MemoryBound)[];
  return Object.fromEntries(keys.flatMap((k) => (bound[k] === undefined ? [] : [[k, bound[k]]]))) as MemoryBound;
}

function fmt(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function signed(value: number | null): string {
  return value === null ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

/** The summary's memory section (lines without a trailing newline, indented like the summary). */
export function renderMemoryReport(report: MemoryReport): string[] {
  const b = report.bound;
  const every =
    report.intervalMs === null
      ? ''
      : `every ${(report.intervalMs / 1000).toFixed(report.intervalMs % 1000 === 0 ? 0 : 1)} s · `;
  const lines = [
    `  memory          RSS of each replica sampled ${every}${report.samples} samples · bound: growth > ${b.maxGrowthMiB} MiB and > ×${b.maxGrowthRatio} after a warm-up of max(${Math.round(b.warmupFraction * 100)}%, ${b.warmupMs / 1000} s), judged with ≥ ${b.minJudgedMs / 1000} s after it`,
  ];
  const t0 = Math.min(...report.replicas.flatMap((r) => r.incarnations.map((i) => i.from)));
  for (const r of report.replicas) {
    const a = r.acrossRestarts;
    const across =
      a.verdict === 'too-short'
        ? `across restarts: too few incarnations to judge (${a.levels})`
        : `across ${a.levels} incarnations ${fmt(a.firstMedianMiB)} → ${fmt(a.lastMedianMiB)} MiB ${a.verdict === 'grew' ? '✗ grew' : 'ok'}`;
    lines.push(
      `    ${r.replica.padEnd(12)} ${r.incarnations.length} incarnation(s) · peak ${fmt(r.peakMiB)} MiB · ${across}`,
    );
    const short = r.incarnations.filter((i) => i.verdict === 'too-short');
    for (const i of r.incarnations.filter((x) => x.verdict !== 'too-short')) {
      const heap =
        i.heapFirstMedianMiB === null || i.heapLastMedianMiB === null
          ? ''
          : ` · heap ${fmt(i.heapFirstMedianMiB)} → ${fmt(i.heapLastMedianMiB)} MiB`;
      lines.push(
        `      pid ${String(i.pid).padEnd(8)} ${clock(i.from - t0)}–${clock(i.to - t0)} (${i.samples} samples) median ${fmt(i.firstMedianMiB)} → ${fmt(i.lastMedianMiB)} MiB · peak ${fmt(i.peakMiB)} · slope ${signed(i.slopeMiBPerMin)} MiB/min${heap}  ${i.verdict === 'grew' ? '✗ grew beyond the bound' : 'ok'}`,
      );
    }
    if (short.length > 0) {
      const longest = Math.max(...short.map((i) => i.to - i.from));
      const samples = short.reduce((s, i) => s + i.samples, 0);
      lines.push(
        `      ${short.length} incarnation(s) too short to judge (${samples} samples, longest ${Math.round(longest / 1000)} s, RSS ${fmt(Math.min(...short.map((i) => i.minMiB)))}–${fmt(Math.max(...short.map((i) => i.peakMiB)))} MiB)`,
      );
    }
  }
  if (report.replicas.length === 0) lines.push('    no samples (no replica was running)');
  for (const v of report.violations) lines.push(`    ✗ memory ${v}`);
  const counts = `${report.judged} incarnation(s) judged, ${report.tooShort} too short to judge`;
  lines.push(
    `  memory verdict  ${report.ok ? (report.judged === 0 && report.replicas.every((r) => r.acrossRestarts.verdict === 'too-short') ? 'nothing long enough to judge' : 'no growth beyond the bound') : `${report.violations.length} bound(s) broken`} (${counts})`,
  );
  return lines;
}

/** RSS of `pid` in bytes from `/proc/<pid>/status` (VmRSS), else `ps -o rss=`; undefined when it is gone. */
export async function readRssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    // A zombie (exited, not reaped) has a status without VmRSS: it is gone.
    return m ? Number(m[1]) * 1024 : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (await procExists())) return undefined;
  }
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }, (error, stdout) => {
      const kib = Number(stdout.trim());
      resolve(error || stdout.trim() === '' || !Number.isFinite(kib) ? undefined : kib * 1024);
    });
  });
}

let procChecked: Promise<boolean> | undefined;
function procExists(): Promise<boolean> {
  procChecked ??= readFile('/proc/self/status', 'utf8').then(
    () => true,
    () => false,
  );
  return procChecked;
}

/** `nodejs_heap_size_used_bytes` (any prefix) from a Prometheus text exposition; undefined when absent. */
export function heapUsedFromMetrics(text: string): number | undefined {
  const m = /^[\w:]*nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+(\S+)/m.exec(text);
  const value = m ? Number(m[1]) : Number.NaN;
  return Number.isFinite(value) ? value : undefined;
}

async function readHeapBytes(metricsBase: string, timeoutMs: number): Promise<number | undefined> {
  try {
    const res = await fetch(`${metricsBase}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return heapUsedFromMetrics(await res.text());
  } catch {
    return undefined;
  }
}

/** The fleet's running replicas, as sampler targets. */
export function replicaTargets(fleet: Pick<Fleet, 'replicaInfos'>): MemoryTarget[] {
  return fleet.replicaInfos.flatMap((r) =>
    r.process?.running() ? [{ name: r.name, pid: r.process.pid, metrics: r.metrics }] : [],
  );
}

/** A process to sample. */
export interface MemoryTarget {
  name: string;
  pid: number;
  /** `http://host:port` serving `/metrics` (prom-client's default metrics); null: RSS only. */
  metrics: string | null;
}

export interface MemorySamplerOptions {
  /** The processes to sample now (called at every tick: replicas come and go). */
  targets: () => MemoryTarget[];
  /** @defaultValue 5000 */
  intervalMs?: number;
  /** Each sample is appended here as one JSON line; the file is truncated at start. */
  jsonlPath?: string;
  /** Also read the heap from `/metrics` (bounded by the interval). @defaultValue true */
  heap?: boolean;
  /** A sample or the JSONL could not be written (never thrown). */
  onError?: (error: unknown) => void;
}

/**
 * Samples the targets' memory every `intervalMs` (the first tick at once) from `start` until
 * `stop`; ticks never overlap. JSONL rows: `{"time": ISO, "elapsedS", "replica", "pid",
 * "rssBytes", "heapUsedBytes"?}`.
 */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private startedAt = 0;
  private fileReady: Promise<void> = Promise.resolve();

  constructor(private readonly options: MemorySamplerOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
  }

  start(signal: AbortSignal): void {
    this.startedAt = Date.now();
    if (this.options.jsonlPath)
      this.fileReady = writeFile(this.options.jsonlPath, '').catch((e: unknown) => this.options.onError?.(e));
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    const began = Date.now();
    this.running = this.tick()
      .catch((e: unknown) => this.options.onError?.(e))
      .finally(() => {
        this.running = undefined;
        if (!this.stopped)
          this.timer = setTimeout(() => this.loop(), Math.max(0, this.intervalMs - (Date.now() - began)));
      });
  }

  private async tick(): Promise<void> {
    const at = Date.now();
    const heapTimeout = Math.max(200, Math.min(2_000, this.intervalMs / 2));
    const taken = await Promise.all(
      this.options.targets().map(async (t): Promise<MemorySample | undefined> => {
        const [rssBytes, heapUsedBytes] = await Promise.all([
          readRssBytes(t.pid),
          this.options.heap !== false && t.metrics ? readHeapBytes(t.metrics, heapTimeout) : Promise.resolve(undefined),
        ]);
        if (rssBytes === undefined) return undefined;
        return { at, replica: t.name, pid: t.pid, rssBytes, ...(heapUsedBytes !== undefined ? { heapUsedBytes } : {}) };
      }),
    );
    const fresh = taken.filter((s): s is MemorySample => s !== undefined);
    this.samples.push(...fresh);
    if (this.options.jsonlPath && fresh.length > 0) {
      await this.fileReady;
      const rows = fresh.map((s) =>
        JSON.stringify({
          time: new Date(s.at).toISOString(),
          elapsedS: (s.at - this.startedAt) / 1000,
          replica: s.replica,
          pid: s.pid,
          rssBytes: s.rssBytes,
          heapUsedBytes: s.heapUsedBytes,
        }),
      );
      await appendFile(this.options.jsonlPath, `${rows.join('\n')}\n`);
    }
  }

  /** Stops sampling; resolves once a tick in progress has finished (and its rows are written). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
