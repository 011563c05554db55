/**
 * Queue benchmark: enqueue→process throughput of jobs that do no work, through
 *  - our `ShardQueues` (BullMQ with `deduplication.keepLastIfActive`, one queue per shard, the
 *    controller's per-shard concurrency) on 1 shard and on 32 shards, and
 *  - plain BullMQ `Queue`/`Worker` (no de-duplication) on the same shard counts, as a baseline;
 * what one job costs Redis (commands, Lua calls and server CPU per job, from `INFO` deltas); and
 * Redis's own ceiling from `redis-benchmark` against the same server in the same run.
 * Medians over `repeats`, with min and max.
 * Run alone: `node --import tsx bench/queue.ts [--repeats N] [--jobs N]`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ShardQueues } from '../src/controller/queue/index.js';
import { redisOptionsFromUrl } from '../src/controller/queue/redis.js';
import { RedisServer } from '../test/support/redis.js';
import { measureCeiling, type CeilingFigure } from './redis-ceiling.js';
import { costOf, snapshot, type RedisCost } from './redis-stats.js';
import { spread, type Spread } from './stats.js';

export interface QueueBenchOptions {
  /** Repeats of every variant; figures are medians over them. @defaultValue 3 */
  repeats?: number;
  /** Jobs per variant and repeat (distinct workflow keys). @defaultValue 10000 */
  jobs?: number;
  /** Shard counts measured. @defaultValue [1, 32] */
  shardCounts?: number[];
  /** Worker concurrency per shard (the controller's default). @defaultValue 4 */
  concurrency?: number;
  /** Enqueues in flight at once (an informer's initial list enqueues in bursts). @defaultValue 64 */
  enqueuers?: number;
  /** Requests per `redis-benchmark` test. @defaultValue 100000 */
  ceilingRequests?: number;
  /** Use this Redis instead of starting one (it is flushed!). */
  redisUrl?: string;
  /** Print tables on stdout. @defaultValue true */
  print?: boolean;
}

export type QueueVariant = 'flotilla' | 'bullmq';

export interface QueueVariantResult {
  variant: QueueVariant;
  shards: number;
  jobsPerSecond: Spread;
  /** Jobs/s of each repeat, in order (paired with the ceiling of the same repeat). */
  jobsPerSecondRuns: number[];
  commandsPerJob: Spread;
  scriptsPerJob: Spread;
  redisCpuUsPerJob: Spread;
  /** Jobs/s ÷ redis-benchmark SET ops/s (`-P 1`, same repeat): a job's cost in plain round trips. */
  ceilingRatio: Spread;
  /** Jobs/s × Redis CPU µs/job ÷ 1e6: the share of Redis's one thread the queue kept busy. */
  redisBusyShare: Spread;
  /** 1e6 ÷ Redis CPU µs per job: jobs/s if Redis's one thread were the only limit. */
  redisBoundJobsPerSecond: Spread;
  /** Commands called most, per job (last repeat). */
  top: RedisCost['top'];
}

export interface QueueBenchResult {
  options: Required<Omit<QueueBenchOptions, 'print' | 'redisUrl'>>;
  variants: QueueVariantResult[];
  ceiling: Array<{
    test: string;
    pipeline: number;
    opsPerSecond: Spread;
    opsPerSecondRuns: number[];
    p50Ms: Spread;
    p99Ms: Spread;
  }>;
}

interface Measured {
  jobsPerSecond: number;
  cost: RedisCost;
}

type Options = QueueBenchResult['options'];

async function drive(enqueue: (i: number) => Promise<void>, o: Options, done: Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.enqueuers }, async () => {
      for (let i = next++; i < o.jobs; i = next++) await enqueue(i);
    }),
  );
  await done;
  return (o.jobs / (performance.now() - started)) * 1000;
}

function counter(jobs: number, what: string): { hit: () => void; done: Promise<void> } {
  let count = 0;
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`${what}: only ${count} of ${jobs} jobs processed in 180 s`)),
    180_000,
  );
  return {
    hit: () => {
      count++;
      if (count === jobs) {
        clearTimeout(timer);
        resolve();
      }
    },
    done,
  };
}

/** Polls `idle` until it holds (at most 10 s): the queue has finished its last jobs. */
async function settle(idle: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await idle()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function runFlotilla(url: string, admin: Redis, shards: number, run: string, o: Options): Promise<Measured> {
  const seen = counter(o.jobs, `flotilla ${shards} shards`);
  const queues = new ShardQueues({
    redisUrl: url,
    concurrency: o.concurrency,
    prefixBase: `bench-${run}`,
    processor: async () => seen.hit(),
  });
  try {
    for (let s = 0; s < shards; s++) await queues.start(s);
    const before = await snapshot(admin);
    const jobsPerSecond = await drive((i) => queues.enqueue(i % shards, `bench/wf-${i}`), o, seen.done);
    // The last jobs' finishing scripts run after their processors returned: count them too.
    await settle(async () =>
      (await Promise.all(queues.shards().map((s) => queues.counts(s)))).every((c) => c.active === 0 && c.waiting === 0),
    );
    return { jobsPerSecond, cost: costOf(before, await snapshot(admin), o.jobs) };
  } finally {
    await queues.stopAll({ graceMs: 2000 });
  }
}

async function runBullmq(url: string, admin: Redis, shards: number, run: string, o: Options): Promise<Measured> {
  const seen = counter(o.jobs, `bullmq ${shards} queues`);
  const base = redisOptionsFromUrl(url);
  const queues: Queue[] = [];
  const workers: Worker[] = [];
  try {
    for (let s = 0; s < shards; s++) {
      const prefix = `{bench-${run}:shard-${s}}`;
      queues.push(new Queue(`shard-${s}`, { connection: base, prefix }));
      workers.push(
        new Worker(`shard-${s}`, async () => seen.hit(), {
          connection: { ...base, maxRetriesPerRequest: null },
          prefix,
          concurrency: o.concurrency,
        }),
      );
    }
    await Promise.all([...queues.map((q) => q.waitUntilReady()), ...workers.map((w) => w.waitUntilReady())]);
    const before = await snapshot(admin);
    const jobsPerSecond = await drive(
      async (i) => {
        await (queues[i % shards] as Queue).add(
          'round',
          { key: `bench/wf-${i}` },
          { removeOnComplete: true, removeOnFail: true },
        );
      },
      o,
      seen.done,
    );
    await settle(async () => (await Promise.all(queues.map((q) => q.getActiveCount()))).every((n) => n === 0));
    return { jobsPerSecond, cost: costOf(before, await snapshot(admin), o.jobs) };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
  }
}

export async function benchQueue(options: QueueBenchOptions = {}): Promise<QueueBenchResult> {
  const o: Options = {
    repeats: options.repeats ?? 3,
    jobs: options.jobs ?? 10_000,
    shardCounts: options.shardCounts ?? [1, 32],
    concurrency: options.concurrency ?? 4,
    enqueuers: options.enqueuers ?? 64,
    ceilingRequests: options.ceilingRequests ?? 100_000,
  };
  const server = options.redisUrl ? undefined : await RedisServer.start({ persist: false });
  const url = options.redisUrl ?? (server as RedisServer).url;
  const admin = new Redis({ ...redisOptionsFromUrl(url), maxRetriesPerRequest: 3 });
  try {
    const ceilingRuns: CeilingFigure[][] = [];
    const measured = new Map<string, Measured[]>();
    for (let r = 0; r < o.repeats; r++) {
      // Interleave variants within a repeat, so machine noise spreads over all of them alike.
      for (const shards of o.shardCounts) {
        for (const variant of ['flotilla', 'bullmq'] as const) {
          await admin.flushdb();
          const run = `${variant}-${shards}-${r}`;
          const m =
            variant === 'flotilla'
              ? await runFlotilla(url, admin, shards, run, o)
              : await runBullmq(url, admin, shards, run, o);
          const key = `${variant}/${shards}`;
          measured.set(key, [...(measured.get(key) ?? []), m]);
        }
      }
      await admin.flushdb();
      ceilingRuns.push(await measureCeiling({ port: Number(new URL(url).port || 6379), requests: o.ceilingRequests }));
    }
    await admin.flushdb();
    const ceiling =
      ceilingRuns[0]?.map((first, i) => {
        const all = ceilingRuns.map((run) => run[i]).filter((c): c is CeilingFigure => c !== undefined);
        return {
          test: first.test,
          pipeline: first.pipeline,
          opsPerSecond: spread(all.map((c) => c.opsPerSecond)),
          opsPerSecondRuns: all.map((c) => c.opsPerSecond),
          p50Ms: spread(all.map((c) => c.p50Ms)),
          p99Ms: spread(all.map((c) => c.p99Ms)),
        };
      }) ?? [];
    // Each repeat's share is taken against the same repeat's SET ceiling.
    const setCeiling = ceilingRuns.map(
      (run) => run.find((c) => c.test === 'SET' && c.pipeline === 1)?.opsPerSecond ?? Number.NaN,
    );
    const variants: QueueVariantResult[] = [];
    for (const shards of o.shardCounts) {
      for (const variant of ['flotilla', 'bullmq'] as const) {
        const runs = measured.get(`${variant}/${shards}`) ?? [];
        variants.push({
          variant,
          shards,
          jobsPerSecond: spread(runs.map((m) => m.jobsPerSecond)),
          jobsPerSecondRuns: runs.map((m) => m.jobsPerSecond),
          commandsPerJob: spread(runs.map((m) => m.cost.commandsPerJob)),
          scriptsPerJob: spread(runs.map((m) => m.cost.scriptsPerJob)),
          redisCpuUsPerJob: spread(runs.map((m) => m.cost.redisCpuUsPerJob)),
          ceilingRatio: spread(runs.map((m, i) => m.jobsPerSecond / (setCeiling[i] ?? Number.NaN))),
          redisBusyShare: spread(runs.map((m) => (m.jobsPerSecond * m.cost.redisCpuUsPerJob) / 1e6)),
          redisBoundJobsPerSecond: spread(runs.map((m) => 1e6 / m.cost.redisCpuUsPerJob)),
          top: runs[runs.length - 1]?.cost.top ?? [],
        });
      }
    }
    const result: QueueBenchResult = { options: o, variants, ceiling };
    if (options.print ?? true) printResult(result);
    return result;
  } finally {
    admin.disconnect();
    await server?.stop();
  }
}

export function printResult(result: QueueBenchResult): void {
  const f = (s: Spread, d: number) => [s.median.toFixed(d), s.min.toFixed(d), s.max.toFixed(d)];
  const t1 = new Table({
    head: [
      'queue (no-op jobs)',
      'jobs/s',
      'min',
      'max',
      'cmds/job',
      'Lua/job',
      'Redis µs/job',
      'Redis busy',
      '÷ SET ceiling',
    ],
    style: { head: [], border: [] },
  });
  for (const v of result.variants) {
    const label = `${v.variant === 'flotilla' ? 'ShardQueue (dedup)' : 'plain BullMQ'}, ${v.shards} shard${v.shards === 1 ? '' : 's'}`;
    t1.push([
      label,
      ...f(v.jobsPerSecond, 0),
      v.commandsPerJob.median.toFixed(1),
      v.scriptsPerJob.median.toFixed(1),
      v.redisCpuUsPerJob.median.toFixed(0),
      `${(v.redisBusyShare.median * 100).toFixed(0)}%`,
      v.ceilingRatio.median.toFixed(3),
    ]);
  }
  const t2 = new Table({ head: ['redis-benchmark', 'ops/s', 'min', 'max', 'p99 ms'], style: { head: [], border: [] } });
  for (const c of result.ceiling)
    t2.push([`${c.test} -P ${c.pipeline}`, ...f(c.opsPerSecond, 0), c.p99Ms.median.toFixed(2)]);
  const o = result.options;
  process.stdout.write(
    `${t1.toString()}\n${t2.toString()}\n${o.repeats} repeats · ${o.jobs} jobs · concurrency ${o.concurrency}/shard · ${o.enqueuers} enqueues in flight\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { repeats: { type: 'string' }, jobs: { type: 'string' } } });
  const opts: QueueBenchOptions = {};
  if (values.repeats) opts.repeats = Number(values.repeats);
  if (values.jobs) opts.jobs = Number(values.jobs);
  await benchQueue(opts);
}
