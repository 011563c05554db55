/**
 * Queue throughput by Redis mode, side by side in one run: the fleet's `ShardQueues` (BullMQ with
 * de-duplication, the controller's per-shard concurrency) pushing no-op jobs over `shards` shards on
 *  - one Redis server,
 *  - a 3-master, 3-replica Redis Cluster (the shards' hash tags spread their queues over the
 *    masters; how many masters served them, and the busiest master's share of the commands, are
 *    measured too), and
 *  - a Sentinel group (1 master, 2 replicas, 3 sentinels; the client asks the sentinels first).
 * Every group runs on this machine's loopback (sandbox/redis), so the cluster shows the cost of the
 * cluster client and of replication, and how evenly the load spreads: on a machine of a few cores it
 * cannot show the gain of masters on separate machines. Each repeat runs every mode once, in turn,
 * after one untimed warm-up pass per mode, each repeat starting with the next mode; the ratios are
 * taken per repeat (cluster ÷ single of the same repeat), then their median.
 * Run alone: `node --import tsx bench/redis-modes.ts [--repeats N] [--jobs N]`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { Redis } from 'ioredis';
import { ShardQueues } from '../src/controller/queue/index.js';
import { createRedisClient, parseRedisConfig, type RedisClient } from '../src/redis/index.js';
import { RedisCluster } from '../sandbox/redis/cluster.js';
import { RedisSentinelGroup } from '../sandbox/redis/sentinel.js';
import { RedisServer } from '../test/support/redis.js';
import { costOf, snapshot, type RedisSnapshot } from './redis-stats.js';
import { spread, type Spread } from './stats.js';

export type BenchRedisMode = 'single' | 'cluster' | 'sentinel';

export interface RedisModesBenchOptions {
  /** Repeats (every mode once per repeat); figures are medians over them. @defaultValue 3 */
  repeats?: number;
  /** Jobs per mode and repeat (distinct workflow keys). @defaultValue 5000 */
  jobs?: number;
  /** Shards the jobs are spread over (the sandbox's and chart's default). @defaultValue 16 */
  shards?: number;
  /** Worker concurrency per shard (the controller's default). @defaultValue 4 */
  concurrency?: number;
  /** Enqueues in flight at once. @defaultValue 64 */
  enqueuers?: number;
  /** Modes measured. @defaultValue ['single', 'cluster', 'sentinel'] */
  modes?: BenchRedisMode[];
  /** Print tables on stdout. @defaultValue true */
  print?: boolean;
}

export interface RedisModeResult {
  mode: BenchRedisMode;
  /** The URL form measured (ports differ per run). */
  urlForm: string;
  jobsPerSecond: Spread;
  jobsPerSecondRuns: number[];
  /** Redis commands per job, summed over the masters (inside Lua included). */
  commandsPerJob: Spread;
  /** Redis CPU µs per job, summed over the masters. */
  redisCpuUsPerJob: Spread;
  /** Masters that served at least one shard's commands. */
  mastersUsed: number;
  /** The busiest master's share of the commands (1 on one server; 1/3 is an even spread on three). */
  busiestMasterShare: Spread;
}

export interface RedisModesBenchResult {
  options: Required<Omit<RedisModesBenchOptions, 'print'>>;
  modes: RedisModeResult[];
  /** `<mode>/single`: that mode's jobs/s ÷ one server's, per repeat, then the median. */
  ratios: Array<{ mode: BenchRedisMode; toSingle: Spread; runs: number[] }>;
}

type Options = RedisModesBenchResult['options'];

interface Measured {
  jobsPerSecond: number;
  commandsPerJob: number;
  redisCpuUsPerJob: number;
  perMasterCommands: number[];
}

/** The masters of a client: the cluster's, else the one server (a Sentinel client is on the master). */
function masters(client: RedisClient): Redis[] {
  return client instanceof Redis ? [client] : client.nodes('master');
}

async function flush(client: RedisClient): Promise<void> {
  await Promise.all(masters(client).map((node) => node.flushall()));
}

async function measure(url: string, admin: RedisClient, run: string, o: Options): Promise<Measured> {
  let count = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const timeout = setTimeout(() => resolveDone(), 180_000);
  const queues = new ShardQueues({
    redisUrl: url,
    concurrency: o.concurrency,
    prefixBase: `bench-${run}`,
    startTimeoutMs: 30_000,
    processor: async () => {
      count += 1;
      if (count === o.jobs) resolveDone();
    },
  });
  try {
    for (let s = 0; s < o.shards; s++) await queues.start(s);
    const nodes = masters(admin);
    const before: RedisSnapshot[] = await Promise.all(nodes.map((n) => snapshot(n)));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: o.enqueuers }, async () => {
        for (let i = next++; i < o.jobs; i = next++) await queues.enqueue(i % o.shards, `bench/wf-${i}`);
      }),
    );
    await done;
    const seconds = (performance.now() - started) / 1000;
    clearTimeout(timeout);
    if (count < o.jobs) throw new Error(`${run}: only ${count} of ${o.jobs} jobs processed in 180 s`);
    const after: RedisSnapshot[] = await Promise.all(nodes.map((n) => snapshot(n)));
    const costs = nodes.map((_, i) => costOf(before[i] as RedisSnapshot, after[i] as RedisSnapshot, o.jobs));
    return {
      jobsPerSecond: o.jobs / seconds,
      commandsPerJob: costs.reduce((sum, c) => sum + c.commandsPerJob, 0),
      redisCpuUsPerJob: costs.reduce((sum, c) => sum + c.redisCpuUsPerJob, 0),
      perMasterCommands: costs.map((c) => c.commandsPerJob),
    };
  } finally {
    clearTimeout(timeout);
    await queues.stopAll({ graceMs: 10_000 });
  }
}

interface Started {
  url: string;
  stop(): Promise<void>;
}

async function startMode(mode: BenchRedisMode): Promise<Started> {
  if (mode === 'cluster') return RedisCluster.start();
  if (mode === 'sentinel') return RedisSentinelGroup.start();
  return RedisServer.start({ persist: false });
}

export async function benchRedisModes(options: RedisModesBenchOptions = {}): Promise<RedisModesBenchResult> {
  const o: Options = {
    repeats: options.repeats ?? 3,
    jobs: options.jobs ?? 5000,
    shards: options.shards ?? 16,
    concurrency: options.concurrency ?? 4,
    enqueuers: options.enqueuers ?? 64,
    modes: options.modes ?? ['single', 'cluster', 'sentinel'],
  };
  const groups = new Map<BenchRedisMode, Started>();
  const admins = new Map<BenchRedisMode, RedisClient>();
  try {
    for (const mode of o.modes) {
      const group = await startMode(mode);
      groups.set(mode, group);
      const admin = createRedisClient(parseRedisConfig(group.url), { maxRetriesPerRequest: 3 });
      admins.set(mode, admin);
      if (!(admin instanceof Redis)) await new Promise<void>((resolve) => admin.once('ready', () => resolve()));
    }
    // One untimed pass per mode first: JIT, scripts loaded, connections made.
    for (const mode of o.modes) {
      const admin = admins.get(mode) as RedisClient;
      await flush(admin);
      await measure((groups.get(mode) as Started).url, admin, `${mode}-warmup`, { ...o, jobs: Math.min(o.jobs, 500) });
    }
    const measured = new Map<BenchRedisMode, Measured[]>();
    for (let r = 0; r < o.repeats; r++) {
      // Every mode once per repeat, each repeat starting with the next mode, so machine noise and
      // order fall on all of them alike.
      const order = o.modes.map((_, i) => o.modes[(i + r) % o.modes.length] as BenchRedisMode);
      for (const mode of order) {
        const admin = admins.get(mode) as RedisClient;
        await flush(admin);
        const m = await measure((groups.get(mode) as Started).url, admin, `${mode}-${r}`, o);
        measured.set(mode, [...(measured.get(mode) ?? []), m]);
      }
    }
    const modes: RedisModeResult[] = o.modes.map((mode) => {
      const runs = measured.get(mode) ?? [];
      const url = (groups.get(mode) as Started).url;
      return {
        mode,
        urlForm: url.replace(/127\.0\.0\.1:\d+/g, 'H:P'),
        jobsPerSecond: spread(runs.map((m) => m.jobsPerSecond)),
        jobsPerSecondRuns: runs.map((m) => m.jobsPerSecond),
        commandsPerJob: spread(runs.map((m) => m.commandsPerJob)),
        redisCpuUsPerJob: spread(runs.map((m) => m.redisCpuUsPerJob)),
        mastersUsed: Math.max(0, ...runs.map((m) => m.perMasterCommands.filter((c) => c > 0.01).length)),
        busiestMasterShare: spread(
          runs.map((m) => Math.max(...m.perMasterCommands) / Math.max(1e-9, m.commandsPerJob)),
        ),
      };
    });
    const singleRuns = measured.get('single') ?? [];
    const ratios = o.modes
      .filter((mode) => mode !== 'single' && singleRuns.length > 0)
      .map((mode) => {
        const runs = (measured.get(mode) ?? []).map(
          (m, i) => m.jobsPerSecond / (singleRuns[i]?.jobsPerSecond ?? Number.NaN),
        );
        return { mode, toSingle: spread(runs), runs };
      });
    const result: RedisModesBenchResult = { options: o, modes, ratios };
    if (options.print ?? true) printResult(result);
    return result;
  } finally {
    for (const admin of admins.values()) admin.disconnect();
    for (const group of groups.values()) await group.stop();
  }
}

export function printResult(result: RedisModesBenchResult): void {
  const f = (s: Spread, d: number) => [s.median.toFixed(d), s.min.toFixed(d), s.max.toFixed(d)];
  const table = new Table({
    head: ['Redis mode', 'jobs/s', 'min', 'max', '÷ single', 'cmds/job', 'Redis µs/job', 'masters', 'busiest master'],
    style: { head: [], border: [] },
  });
  for (const m of result.modes) {
    const ratio = result.ratios.find((r) => r.mode === m.mode);
    table.push([
      m.urlForm,
      ...f(m.jobsPerSecond, 0),
      ratio ? ratio.toSingle.median.toFixed(2) : '1',
      m.commandsPerJob.median.toFixed(1),
      m.redisCpuUsPerJob.median.toFixed(0),
      String(m.mastersUsed),
      `${(m.busiestMasterShare.median * 100).toFixed(0)}%`,
    ]);
  }
  const o = result.options;
  process.stdout.write(
    `${table.toString()}\n${o.repeats} repeats · ${o.jobs} jobs over ${o.shards} shards · concurrency ${o.concurrency}/shard · ${o.enqueuers} enqueues in flight\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { repeats: { type: 'string' }, jobs: { type: 'string' } } });
  const opts: RedisModesBenchOptions = {};
  if (values.repeats) opts.repeats = Number(values.repeats);
  if (values.jobs) opts.jobs = Number(values.jobs);
  await benchRedisModes(opts);
}
