/**
 * Scale on fixed CPU budgets: for N replicas (1, 2, 4, 8), a fresh fleet whose replicas each run in
 * their own cgroup with a CPU quota (0.2 core by default; `cgroup.ts`, taskset as the loud
 * fallback), while the API server (`flotilla apiserver`, its own process) and Redis run
 * unconstrained. The same 32 static shards (replica i runs s mod N = i, as `fleet.ts`) and the same
 * workloads for every N: batches of 5-node echo chains and of 20-node fan-outs, W = N × per-replica
 * size, created 16 at a time. Per batch: sustained workflows/s (W ÷ first create → replicas quiet
 * again),
 * creation→success p50/p99, per-workflow replica CPU, API requests by verb and bytes (the API
 * server's `/_flotilla/traffic`), Redis commands (`INFO commandstats`), watch events, and each
 * resource's CPU against its budget, from which the saturated resource is named (`scale-model.ts`).
 * Replicas are confined once ready, so start-up (tsx compiling the sources) is not starved.
 * Run alone: `node --import tsx bench/scale.ts [--quick]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { FaultsClient } from '../sandbox/apiserver/faults-client.js';
import type { TrafficStats } from '../sandbox/apiserver/traffic.js';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { RedisServer } from '../test/support/redis.js';
import { openCpuBudget, type Confinement, type CpuBudget, type Throttling } from './cgroup.js';
import {
  pool,
  postCrd,
  scrape,
  startApiServerProcess,
  startController,
  sumSeries,
  type ControllerProc,
} from './controller-proc.js';
import { chainSpec, shardsOf } from './fleet.js';
import { machineCpu, processCpuSeconds } from './proc-cpu.js';
import { costOf, snapshot as redisSnapshot } from './redis-stats.js';
import {
  efficiency,
  firstSaturation,
  perWorkflow,
  saturation,
  steadyFromProgress,
  steadyThroughput,
  throttlingDelta,
  use,
  type PerWorkflow,
  type ResourceName,
  type ResourceUse,
  type SaturationVerdict,
} from './scale-model.js';
import { percentile, spread, type Spread } from './stats.js';

export type Workload = 'chain5' | 'fanout20';

/** Quick mode's sizes: N = 1, 2, 4 with start-up fit in well under 5 minutes on 2 cores. */
export const QUICK = {
  replicaCounts: [1, 2, 4],
  repeats: 1,
  perReplica: { chain5: 250, fanout20: 200 },
  warmupPerReplica: 50,
  maxBatch: 800,
} as const;

export interface ScaleBenchOptions {
  /** Replica counts, a fresh fleet each. @defaultValue [1, 2, 4, 8] */
  replicaCounts?: number[];
  /** Workloads, run in this order inside each repeat. @defaultValue ['chain5', 'fanout20'] */
  workloads?: Workload[];
  /** CPU quota of each replica, cores. @defaultValue 0.2 */
  coresPerReplica?: number;
  /** Batch size per replica (W = N × this, capped by `maxBatch`). @defaultValue { chain5: 400, fanout20: 300 } */
  perReplica?: Partial<Record<Workload, number>>;
  /** Largest batch, so many replicas on a small machine still finish. @defaultValue 2400 */
  maxBatch?: number;
  /** Batches per workload and N; figures are medians over them. @defaultValue 3 */
  repeats?: number;
  /** Unmeasured, unconstrained workflows per replica and workload before the first batch. @defaultValue 100 */
  warmupPerReplica?: number;
  /** @defaultValue 32 */
  shardCount?: number;
  /** `--concurrency` of each replica. @defaultValue 8 */
  concurrency?: number;
  /** One batch must finish within this. @defaultValue 300000 */
  timeoutMs?: number;
  print?: boolean;
}

/** One batch of one workload on one fleet. */
export interface ScaleSample {
  workflows: number;
  /** First create sent → the replicas quiet again (every workflow Succeeded and its deferred work done). */
  seconds: number;
  /** First create sent → last create answered. */
  createSeconds: number;
  /** Sustained: W ÷ `seconds`. Every CPU-second the batch caused is inside, so it matches the replicas' CPU. */
  workflowsPerSecond: number;
  /** 10th → 90th percentile of completions seen in the replicas' gauges (optimistic: deferred work lands after). */
  completionsPerSecond: number;
  /** The same from `status.finishedAt` (engine decisions; optimistic when a replica lags). */
  finishesPerSecond: number;
  /** Polls of the Succeeded gauges: ms since the first create, workflows of this batch done. */
  progress: Array<{ t: number; done: number }>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  perWorkflow: PerWorkflow;
  /** The Redis commands called most over the window, per workflow (inside Lua included). */
  redisTop?: Array<{ command: string; perJob: number }>;
  /** CPU over the batch window (the snapshot before the first create → the replicas quiet again). */
  windowSeconds: number;
  cpuSeconds: { replicas: number[]; apiserver: number; redis: number; bench: number; machineBusy: number };
  /** Per replica, over the window. */
  throttling: Throttling[];
  resources: ResourceUse[];
  verdict: SaturationVerdict;
}

export interface ScaleRun {
  replicas: number;
  workload: Workload;
  samples: ScaleSample[];
  workflowsPerSecond: Spread;
  latencyP50Ms: Spread;
  latencyP99Ms: Spread;
  /** The sample with the median throughput: its per-workflow costs, utilisation and verdict are the run's. */
  median: ScaleSample;
}

export interface ScaleBenchResult {
  confinement: Confinement;
  coresPerReplica: number | undefined;
  machineCores: number;
  runs: ScaleRun[];
  /** thr(N) ÷ (N × thr(1)) per workload and N > 1. */
  efficiency: Array<{ workload: Workload; replicas: number; value: Spread }>;
  /** Per workload: the smallest N with a bottleneck, and which. */
  firstSaturated: Array<
    | { workload: Workload; replicas: number; resource: ResourceName }
    | { workload: Workload; replicas: undefined; resource: undefined }
  >;
}

const GROUP = { group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows', namespace: 'default' } as const;
const BATCH_LABEL = 'flotilla.io/bench-batch';

/** 20 nodes: a root, 18 branches reading it, a join reading every branch. */
export function fanoutSpec(width = 18): Record<string, unknown> {
  const branches = Array.from({ length: width }, (_, i) => ({
    id: `b${i}`,
    kind: 'task',
    task: 'e',
    inputs: { v: { fromNode: 'root', output: 'v' } },
  }));
  const join = {
    id: 'join',
    kind: 'task',
    task: 'e',
    inputs: Object.fromEntries(branches.map((b) => [b.id, { fromNode: b.id, output: 'v' }])),
  };
  return {
    tasks: { e: { plugin: 'echo' } },
    nodes: [{ id: 'root', kind: 'task', task: 'e', inputs: { v: { value: 0 } } }, ...branches, join],
    outputs: { v: { fromNode: 'join', output: 'b0' } },
  };
}

const SPECS: Record<Workload, () => Record<string, unknown>> = {
  chain5: () => chainSpec(),
  fanout20: () => fanoutSpec(),
};

interface Fleet {
  faults: FaultsClient;
  custom: CustomObjectsApi;
  redis: Redis;
  pids: { apiserver: number; redis: number; replicas: number[] };
  controllers: ControllerProc[];
  budget: CpuBudget;
  machineCores: number;
}

interface Snapshot {
  at: number;
  traffic: TrafficStats;
  redis: Awaited<ReturnType<typeof redisSnapshot>>;
  replicaCpu: number[];
  apiserverCpu: number;
  redisCpu: number;
  benchCpu: number;
  machine: ReturnType<typeof machineCpu>;
  throttling: Throttling[];
}

async function snap(f: Fleet): Promise<Snapshot> {
  const [traffic, redis] = await Promise.all([f.faults.traffic(), redisSnapshot(f.redis)]);
  const bench = process.cpuUsage();
  return {
    at: Date.now(),
    traffic,
    redis,
    replicaCpu: f.pids.replicas.map(processCpuSeconds),
    apiserverCpu: processCpuSeconds(f.pids.apiserver),
    redisCpu: processCpuSeconds(f.pids.redis),
    benchCpu: (bench.user + bench.system) / 1e6,
    machine: machineCpu(),
    throttling: f.pids.replicas.map((_, i) => f.budget.throttling(i)),
  };
}

interface ListedWorkflow {
  metadata?: { name?: string };
  status?: { phase?: string; finishedAt?: string };
}

async function runBatch(
  f: Fleet,
  workload: Workload,
  batch: string,
  n: number,
  succeededBefore: number,
  o: { shardCount: number; timeoutMs: number },
): Promise<ScaleSample> {
  const spec = SPECS[workload]();
  const names = Array.from({ length: n }, (_, i) => `${batch}-${i}`);
  const sentAt = new Map<string, number>();
  const before = await snap(f);
  const first = Date.now();
  await pool(names, 16, async (name, i) => {
    sentAt.set(name, Date.now());
    const labels = { 'flotilla.io/shard': String(i % o.shardCount), [BATCH_LABEL]: batch };
    await f.custom.createNamespacedCustomObject({
      ...GROUP,
      body: { apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name, labels }, spec },
    });
  });
  const createSeconds = (Date.now() - first) / 1000;
  const deadline = Date.now() + o.timeoutMs;
  const progress: Array<{ t: number; done: number }> = [{ t: 0, done: 0 }];
  // Replicas' own gauges, every 500 ms: a scrape costs a quota-bound replica little; listing W objects would cost the API server a lot.
  for (;;) {
    const now = await Promise.all(f.controllers.map((c) => scrape(c.metricsUrl)));
    const count = (phase: string): number =>
      now.reduce(
        (acc, s) => acc + sumSeries(s, 'flotilla_workflows{', (series) => series.includes(`phase="${phase}"`)),
        0,
      );
    if (count('Failed') > 0)
      throw new Error(`${workload}, ${f.controllers.length} replicas: ${count('Failed')} workflows Failed`);
    const done = count('Succeeded') - succeededBefore;
    progress.push({ t: Date.now() - first, done });
    if (done >= n) break;
    if (Date.now() > deadline)
      throw new Error(
        `${workload}, ${f.controllers.length} replicas: ${count('Succeeded') - succeededBefore} of ${n} succeeded within ${o.timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
  const quietAt = await untilQuiet(f);
  const after = { ...(await snap(f)), at: quietAt }; // before the list below: the bench's own read is not the workload's
  const listed = (await f.custom.listNamespacedCustomObject({
    ...GROUP,
    labelSelector: `${BATCH_LABEL}=${batch}`,
  })) as { items?: ListedWorkflow[] };
  const latencies: number[] = [];
  const finished: number[] = [];
  for (const item of listed.items ?? []) {
    const sent = sentAt.get(item.metadata?.name ?? '');
    if (sent === undefined || item.status?.phase !== 'Succeeded' || item.status.finishedAt === undefined)
      throw new Error(`${item.metadata?.name ?? '?'}: ${item.status?.phase ?? 'no phase'}, not Succeeded`);
    const t = Date.parse(item.status.finishedAt);
    finished.push(t);
    latencies.push(t - sent);
  }
  if (finished.length !== n) throw new Error(`listed ${finished.length} of ${n} workflows of batch ${batch}`);

  const windowSeconds = (after.at - before.at) / 1000;
  const replicaCpu = after.replicaCpu.map((c, i) => c - (before.replicaCpu[i] ?? 0));
  const replicaTotal = replicaCpu.reduce((a, b) => a + b, 0);
  const cpu = {
    replicas: replicaCpu,
    apiserver: after.apiserverCpu - before.apiserverCpu,
    redis: after.redisCpu - before.redisCpu,
    bench: after.benchCpu - before.benchCpu,
    machineBusy: after.machine.busySeconds - before.machine.busySeconds,
  };
  const budget = f.budget.coresPerReplica;
  const replicaBudget =
    budget !== undefined
      ? budget * replicaCpu.length
      : f.budget.confinement.kind === 'taskset'
        ? f.budget.confinement.cpus.split(',').length
        : f.machineCores;
  const machineWindow = (after.machine.totalSeconds - before.machine.totalSeconds) / f.machineCores;
  const resources = [
    use('replicas', replicaTotal, replicaBudget, windowSeconds),
    use('apiserver', cpu.apiserver, 1, windowSeconds),
    use('redis', cpu.redis, 1, windowSeconds),
    use('machine', cpu.machineBusy, f.machineCores, machineWindow > 0 ? machineWindow : windowSeconds),
  ];
  return {
    workflows: n,
    seconds: (quietAt - first) / 1000,
    createSeconds,
    workflowsPerSecond: n / ((quietAt - first) / 1000),
    completionsPerSecond: steadyFromProgress(progress, n),
    finishesPerSecond: steadyThroughput(finished, first),
    progress,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    perWorkflow: perWorkflow({
      workflows: n,
      replicaCpuSeconds: replicaTotal,
      trafficBefore: before.traffic,
      trafficAfter: after.traffic,
      redisCommands: costOf(before.redis, after.redis, 1).commandsPerJob,
    }),
    redisTop: costOf(before.redis, after.redis, n, 12).top,
    windowSeconds,
    cpuSeconds: cpu,
    throttling: after.throttling.map((t, i) => throttlingDelta(before.throttling[i] ?? t, t)),
    resources,
    verdict: saturation(resources, undefined, windowSeconds > 0 ? cpu.bench / windowSeconds : 0),
  };
}

/**
 * Waits until the replicas' CPU over a 500 ms poll falls under 10 % of their budget (at most 30 s):
 * work a batch defers (Kubernetes Events, job clean-up, the watch events of its own last writes)
 * lands after the gauges say Succeeded, and belongs to that batch, not the next. Returns when the
 * quiet poll began.
 */
async function untilQuiet(f: Fleet): Promise<number> {
  const budget = (f.budget.coresPerReplica ?? 1) * f.pids.replicas.length;
  const total = (): number => f.pids.replicas.reduce((acc, pid) => acc + processCpuSeconds(pid), 0);
  const deadline = Date.now() + 30_000;
  let at = Date.now();
  let cpu = total();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = Date.now();
    const next = total();
    if (next - cpu < 0.1 * budget * ((now - at) / 1000) || now > deadline) return at;
    at = now;
    cpu = next;
  }
}

async function startFleet(
  replicas: number,
  dir: string,
  budget: CpuBudget,
  o: Required<Pick<ScaleBenchOptions, 'shardCount' | 'concurrency'>>,
  cleanup: Array<() => Promise<void>>,
): Promise<Fleet> {
  const { api, kubeconfigFile } = await startApiServerProcess(dir);
  cleanup.push(async () => void (await api.stop()));
  const base = new KubeConfig();
  base.loadFromFile(kubeconfigFile);
  const url = api.match[1] as string;
  const caPem = Buffer.from(base.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8');
  const token = base.getCurrentUser()?.token ?? '';
  const kc = new PooledKubeConfig(base, 16);
  cleanup.push(async () => kc.close());
  const redisServer = await RedisServer.start({ persist: false });
  cleanup.push(() => redisServer.stop());
  const redis = new Redis(redisServer.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  cleanup.push(async () => void redis.disconnect());
  const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1] ?? Number.NaN);
  await postCrd(url, caPem, token);
  const controllers: ControllerProc[] = [];
  cleanup.push(async () => void (await Promise.all(controllers.map((c) => c.stop()))));
  // Unconstrained until warmed up (start-up compiles the sources; the JIT needs a few hundred rounds): see benchScale.
  const started = await Promise.allSettled(
    Array.from({ length: replicas }, (_, i) => {
      const shards = shardsOf(i, replicas, o.shardCount).join(',');
      return startController([
        '--kubeconfig',
        kubeconfigFile,
        '--redis',
        redisServer.url,
        '--shards',
        shards,
        '--shard-count',
        String(o.shardCount),
        '--metrics-port',
        '0',
        '--concurrency',
        String(o.concurrency),
        '--log-level',
        'warn',
        '--replica-id',
        `scale-${i}`,
      ]);
    }),
  );
  for (const r of started) if (r.status === 'fulfilled') controllers.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const pids = controllers.map((c) => c.child.pid as number);
  return {
    faults: new FaultsClient({ url, token, caPem }),
    custom: kc.makeApiClient(CustomObjectsApi),
    redis,
    pids: { apiserver: api.pid, redis: redisPid, replicas: pids },
    controllers,
    budget,
    machineCores: availableParallelism(),
  };
}

function summarise(replicas: number, workload: Workload, samples: ScaleSample[]): ScaleRun {
  const byThr = [...samples].sort((a, b) => a.workflowsPerSecond - b.workflowsPerSecond);
  const median = byThr[Math.floor((byThr.length - 1) / 2)] as ScaleSample;
  return {
    replicas,
    workload,
    samples,
    workflowsPerSecond: spread(samples.map((s) => s.workflowsPerSecond)),
    latencyP50Ms: spread(samples.map((s) => s.latencyP50Ms)),
    latencyP99Ms: spread(samples.map((s) => s.latencyP99Ms)),
    median,
  };
}

export async function benchScale(options: ScaleBenchOptions = {}): Promise<ScaleBenchResult> {
  const replicaCounts = options.replicaCounts ?? [1, 2, 4, 8];
  const workloads = options.workloads ?? ['chain5', 'fanout20'];
  const perReplica: Record<Workload, number> = { chain5: 400, fanout20: 300, ...options.perReplica };
  const o = {
    shardCount: options.shardCount ?? 32,
    concurrency: options.concurrency ?? 8,
    timeoutMs: options.timeoutMs ?? 300_000,
  };
  const repeats = options.repeats ?? 3;
  const warmup = options.warmupPerReplica ?? 100;
  const run = `run-${process.pid}-${Date.now()}`;
  const budget = openCpuBudget({ cores: options.coresPerReplica ?? 0.2, run });
  if (budget.confinement.kind === 'taskset')
    process.stderr.write(
      `scale: WARNING: cgroups unavailable (${budget.confinement.reason}); replicas pinned with taskset to CPU ${budget.confinement.cpus}, NOT held to a per-replica quota\n`,
    );
  const runs: ScaleRun[] = [];
  let machineCores = availableParallelism();
  try {
    for (const replicas of replicaCounts) {
      const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-scale-'));
      const cleanup: Array<() => Promise<void>> = [];
      try {
        const fleet = await startFleet(replicas, dir, budget, o, cleanup);
        machineCores = fleet.machineCores;
        const samples = new Map<Workload, ScaleSample[]>(workloads.map((w) => [w, []]));
        let succeeded = 0;
        // A first batch costs twice the CPU of later ones (JIT, caches): warm up unconstrained, unmeasured, then confine.
        for (const workload of workloads) {
          const n = warmup * replicas;
          if (n > 0) await runBatch(fleet, workload, `r${replicas}-${workload}-warmup`, n, succeeded, o);
          succeeded += n;
        }
        fleet.pids.replicas.forEach((pid, i) => budget.confine(i, pid));
        for (let rep = 0; rep < repeats; rep++) {
          for (const workload of workloads) {
            const n = Math.min(options.maxBatch ?? 2400, perReplica[workload] * replicas);
            const sample = await runBatch(fleet, workload, `r${replicas}-${workload}-${rep}`, n, succeeded, o);
            succeeded += n;
            samples.get(workload)?.push(sample);
            if (options.print)
              console.log(
                `scale: ${replicas} replica(s), ${workload} #${rep + 1}: ${n} in ${sample.seconds.toFixed(1)} s (creates ${sample.createSeconds.toFixed(1)} s), ${sample.workflowsPerSecond.toFixed(1)} wf/s sustained, p50 ${sample.latencyP50Ms} ms p99 ${sample.latencyP99Ms} ms, ${sample.perWorkflow.replicaCpuMs.toFixed(2)} replica CPU ms/wf, ${sample.perWorkflow.apiRequests.toFixed(1)} API req/wf; utilisation ${sample.resources.map((r) => `${r.name} ${(r.utilisation * 100).toFixed(0)}%`).join(', ')} → ${sample.verdict.bottleneck ?? 'none saturated'}; Redis ${sample.perWorkflow.redisCommands.toFixed(0)} cmds/wf, top ${(sample.redisTop ?? []).map((t) => `${t.command} ${t.perJob.toFixed(1)}`).join(', ')}`,
              );
          }
        }
        for (const workload of workloads) runs.push(summarise(replicas, workload, samples.get(workload) ?? []));
      } finally {
        for (const step of cleanup.reverse()) await step().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    budget.close();
  }
  const eff: ScaleBenchResult['efficiency'] = [];
  const first: ScaleBenchResult['firstSaturated'] = [];
  for (const workload of workloads) {
    const mine = runs.filter((r) => r.workload === workload);
    const one = mine.find((r) => r.replicas === 1);
    if (one)
      for (const r of mine)
        if (r.replicas > 1)
          eff.push({
            workload,
            replicas: r.replicas,
            value: efficiency(r.workflowsPerSecond, r.replicas, one.workflowsPerSecond),
          });
    const f = firstSaturation(mine.map((r) => ({ replicas: r.replicas, verdict: r.median.verdict })));
    first.push(f ? { workload, ...f } : { workload, replicas: undefined, resource: undefined });
  }
  return {
    confinement: budget.confinement,
    coresPerReplica: budget.coresPerReplica,
    machineCores,
    runs,
    efficiency: eff,
    firstSaturated: first,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, replicas: { type: 'string' }, repeats: { type: 'string' } },
  });
  const result = await benchScale({
    ...(values.quick ? { ...QUICK, replicaCounts: [...QUICK.replicaCounts], perReplica: { ...QUICK.perReplica } } : {}),
    ...(values.replicas !== undefined ? { replicaCounts: values.replicas.split(',').map(Number) } : {}),
    ...(values.repeats !== undefined ? { repeats: Number(values.repeats) } : {}),
    print: true,
  });
  console.log(JSON.stringify({ ...result, runs: result.runs.map((r) => ({ ...r, samples: undefined })) }, null, 2));
}
