/**
 * The fleet end to end: for N replicas, N `flotilla controller` processes sharing 32 hash shards
 * statically (replica i runs the shards s with s mod N = i; each Workflow is created with its
 * `flotilla.io/shard` label, i mod 32) on one embedded API server (HTTPS, no kubelet: the tasks
 * are the in-process `echo` plugin; `flotilla apiserver`, its own process, so the bench's creates
 * and the replicas do not share its thread) and one real Redis, both fresh for each N. An optional
 * warm-up runs first (`--warmup`: its CPU per workflow is the cold figure, a replica's first
 * workflows while V8 compiles its code). Then W workflows of 5 chained echo nodes are created at
 * once (`creators` requests in flight on one keep-alive pool, 64 by default as the peer bench's
 * FlowProducer side, so creation does not bound the figure), then:
 * - workflows/s: W ÷ (last `status.finishedAt` − first create sent);
 * - creation→success p50/p99: `status.finishedAt` − the moment its create was sent (the bench's
 *   clock, same machine; `metadata.creationTimestamp` has whole seconds only);
 * - CPU per workflow: user+system CPU seconds of every replica (`process_cpu_*_seconds_total`
 *   deltas of its `/metrics`) over W, summed over replicas, and per replica in `raw`; the system
 *   (kernel) share of it;
 * - API requests per workflow by verb and resource, request body bytes by verb, and watch events
 *   written (the API server's traffic counters, the bench's own creates left out);
 * - Redis commands per workflow (`INFO commandstats` deltas, inside Lua included) from the first
 *   create to the last success, and the fleet's idle rate (commands/s over 5 s before the creates),
 *   so a reader can tell per-workflow work from polling.
 * Static shards, not lease mode with the manager: the figure is the data path, not the protocol
 * (that is `leases`, `handover`, `failover`). Run alone: `node --import tsx bench/fleet.ts [--quick]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { Labels } from '../src/api/workflow.js';
import { KubeRest } from '../src/kube/rest.js';
import { FaultsClient } from '../sandbox/apiserver/faults-client.js';
import type { TrafficStats } from '../sandbox/apiserver/traffic.js';
import { RedisServer } from '../test/support/redis.js';
import {
  cpuSeconds,
  pool,
  postCrd,
  scrape,
  startController,
  startApiServerProcess,
  sumSeries,
  systemCpuSeconds,
  type ControllerProc,
} from './controller-proc.js';
import { percentile } from './stats.js';
import { processCpuSeconds } from './proc-cpu.js';
import { costOf, snapshot as redisSnapshot } from './redis-stats.js';

export interface FleetBenchOptions {
  /** Replica counts to measure, one fleet each. @defaultValue [1, 2, 3] */
  replicaCounts?: number[];
  /** Workflows per fleet. @defaultValue 2000 */
  workflows?: number;
  /** Hash shards of the fleet. @defaultValue 32 */
  shardCount?: number;
  /** `--concurrency` of each replica. @defaultValue 8 */
  concurrency?: number;
  /** Wait at most this long for all workflows to succeed. @defaultValue 300000 */
  timeoutMs?: number;
  /**
   * Workflows run to completion before anything is measured (the same chains, other names), so the
   * figures are those of replicas whose code V8 has warmed up, as in a long-running fleet.
   * @defaultValue 0
   */
  warmup?: number;
  /** Create requests in flight (the warm-up's and the measured batch's). @defaultValue 64 */
  creators?: number;
  /**
   * Measured batches of `workflows` per replica count, one after the other on the same fleet (each
   * waits for the last to be labelled completed): a run per batch, so a figure can be a median.
   * @defaultValue 1
   */
  batches?: number;
  print?: boolean;
}

export interface FleetRun {
  replicas: number;
  /** Which measured batch of this fleet (0-based): every batch runs on the same replicas, after the last. */
  batch: number;
  workflows: number;
  seconds: number;
  /** First create sent → last create answered: when close to `seconds`, creation bounds the run. */
  createSeconds: number;
  workflowsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Fleet CPU (all replicas) per workflow, ms. */
  cpuMsPerWorkflow: number;
  /**
   * The API server's CPU per workflow over the same window, ms (its process, `/proc`): the bench's
   * creates are in it, so this is what one workflow costs the API server end to end.
   */
  apiServerCpuMsPerWorkflow: number;
  /**
   * Fleet CPU per workflow over the warm-up (first create → all succeeded): the cold figure, the
   * replicas' first workflows while V8 still compiles their code. Absent without a warm-up.
   */
  coldCpuMsPerWorkflow?: number;
  /** CPU seconds of each replica over the run. */
  cpuSecondsPerReplica: number[];
  /** The system (kernel) share of that CPU, 0–1. */
  cpuSystemShare: number;
  /**
   * API requests per workflow by `<verb> <resource>` (the API server's traffic counters from the
   * first create to the last success; the bench's own creates and `/metrics` scrapes left out).
   */
  apiRequestsPerWorkflow: Record<string, number>;
  /** Request body bytes per workflow by verb (the same window; the bench's creates left out). */
  apiBodyBytesPerWorkflow: Record<string, number>;
  /** Watch events the API server wrote per workflow (the same window). */
  watchEventsPerWorkflow: number;
  /** Rounds the replicas ran per workflow (`flotilla_rounds_total` deltas). */
  roundsPerWorkflow: number;
  /** CPU of the idle fleet (all replicas), ms per second, over the 5 s before the creates (two scrapes). */
  idleCpuMsPerSecond: number;
  /**
   * `cpuMsPerWorkflow` less what the idle fleet would have spent over the same window (idle rate ×
   * window): the work the workflows added, comparable between runs whose windows differ (a loaded
   * machine stretches the creates).
   */
  cpuMsPerWorkflowNetOfIdle: number;
  /** Redis commands (inside Lua included) from the first create to the last success, per workflow. */
  redisCommandsPerWorkflow: number;
  /** Lua script calls (BullMQ's round trips) per workflow over the same window. */
  redisScriptsPerWorkflow: number;
  /** The commands called most over the window, per workflow. */
  redisTop: Array<{ command: string; perJob: number }>;
  /** Redis commands per second with the fleet idle (5 s before the creates). */
  redisIdleCommandsPerSecond: number;
  /** The commands called most while idle, per second. */
  redisIdleTop: Array<{ command: string; perJob: number }>;
}

export interface FleetBenchResult {
  runs: FleetRun[];
}

const GROUP = { group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows', namespace: 'default' } as const;

/** A chain of `length` echo task nodes, each reading the previous one's output (the fleet's and scale's workload). */
export function chainSpec(length = 5): Record<string, unknown> {
  const nodes = Array.from({ length }, (_, i) => ({
    id: `n${i}`,
    kind: 'task',
    task: 'e',
    inputs: { v: i === 0 ? { value: 0 } : { fromNode: `n${i - 1}`, output: 'v' } },
  }));
  return { tasks: { e: { plugin: 'echo' } }, nodes, outputs: { v: { fromNode: `n${length - 1}`, output: 'v' } } };
}

/** The shards replica `index` of `replicas` runs: s mod replicas = index. */
export function shardsOf(index: number, replicas: number, shardCount: number): number[] {
  return Array.from({ length: shardCount }, (_, s) => s).filter((s) => s % replicas === index);
}

/**
 * How often the bench asks the replicas how many workflows succeeded. A scrape walks the replica's
 * metrics and costs it CPU that is counted per workflow; the figures are read from the Workflows'
 * `finishedAt`, so a slower poll only makes the bench notice the end later.
 */
const SCRAPE_EVERY_MS = 500;

interface ListedWorkflow {
  metadata?: { name?: string };
  status?: { phase?: string; finishedAt?: string };
}

async function runFleet(
  replicas: number,
  options: Required<Omit<FleetBenchOptions, 'replicaCounts' | 'print'>> & { print: boolean },
): Promise<FleetRun[]> {
  const n = options.workflows;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-fleet-'));
  const { api: server, kubeconfigFile: kubeconfig } = await startApiServerProcess(dir);
  const redis = await RedisServer.start({ persist: false });
  const base = new KubeConfig();
  base.loadFromFile(kubeconfig);
  const url = server.match[1] as string;
  const caPem = Buffer.from(base.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8');
  const token = base.getCurrentUser()?.token ?? '';
  const faults = new FaultsClient({ url, token, caPem });
  // The bench's creates go through the lean client: on this machine its CPU is taken from the
  // replica and the API server, which a real cluster's clients would not be.
  const rest = new KubeRest(base, { maxSockets: options.creators });
  const workflows = `/apis/${GROUP.group}/${GROUP.version}/namespaces/${GROUP.namespace}/${GROUP.plural}`;
  const controllers: ControllerProc[] = [];
  const admin = new Redis(redis.url, { lazyConnect: true });
  let coldCpuMsPerWorkflow: number | undefined;
  try {
    await admin.connect();
    await postCrd(url, caPem, token);
    for (let i = 0; i < replicas; i++) {
      const shards = shardsOf(i, replicas, options.shardCount).join(',');
      controllers.push(
        await startController([
          '--kubeconfig',
          kubeconfig,
          '--redis',
          redis.url,
          '--shards',
          shards,
          '--shard-count',
          String(options.shardCount),
          '--metrics-port',
          '0',
          '--concurrency',
          String(options.concurrency),
          '--log-level',
          'warn',
          '--replica-id',
          `bench-${i}`,
        ]),
      );
    }
    const succeeded = async (): Promise<number> =>
      (await Promise.all(controllers.map((c) => scrape(c.metricsUrl)))).reduce(
        (acc, s) => acc + sumSeries(s, 'flotilla_workflows{', (series) => series.includes('phase="Succeeded"')),
        0,
      );
    // Workflows the janitor has labelled completed: a batch is over once its patches are done too
    // (they would otherwise fall into the idle window or the next batch's measurement).
    const labelled = async (): Promise<number> =>
      (
        await rest.send<{ items?: unknown[] }>({
          method: 'GET',
          path: `${workflows}?labelSelector=${encodeURIComponent(`${Labels.completed}=true`)}`,
        })
      ).items?.length ?? 0;
    if (options.warmup > 0) {
      const coldFrom = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
      await pool(
        Array.from({ length: options.warmup }, (_, i) => i),
        options.creators,
        async (i) =>
          void (await rest.send({
            method: 'POST',
            path: workflows,
            body: {
              apiVersion: 'flotilla.io/v1alpha1',
              kind: 'Workflow',
              metadata: { name: `warm-${i}`, labels: { 'flotilla.io/shard': String(i % options.shardCount) } },
              spec: chainSpec(),
            },
          })),
      );
      const warmDeadline = Date.now() + options.timeoutMs;
      while ((await succeeded()) < options.warmup) {
        if (Date.now() > warmDeadline) throw new Error(`${replicas} replicas: the warm-up did not finish`);
        await new Promise((r) => setTimeout(r, SCRAPE_EVERY_MS));
      }
      const coldTo = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
      coldCpuMsPerWorkflow =
        (coldTo.reduce((acc, s, i) => acc + cpuSeconds(s) - cpuSeconds(coldFrom[i] ?? new Map()), 0) * 1000) /
        options.warmup;
      while ((await labelled()) < options.warmup) {
        if (Date.now() > warmDeadline) throw new Error(`${replicas} replicas: the warm-up did not finish`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const idleCpuFrom = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
    const idleFrom = await redisSnapshot(admin);
    const idleStart = Date.now();
    await new Promise((r) => setTimeout(r, 5000));
    const redisBefore = await redisSnapshot(admin);
    const idleCost = costOf(idleFrom, redisBefore, 1, 30);
    const idleSeconds = (Date.now() - idleStart) / 1000;
    const redisIdleCommandsPerSecond = idleCost.commandsPerJob / idleSeconds;
    const idleCpuTo = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
    const idleCpuMsPerSecond =
      (idleCpuTo.reduce((acc, s, i) => acc + cpuSeconds(s) - cpuSeconds(idleCpuFrom[i] ?? new Map()), 0) * 1000) /
      idleSeconds;
    const runs: FleetRun[] = [];
    let redisFrom = redisBefore;
    for (let batch = 0; batch < options.batches; batch++) {
      const before = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
      const cpuFrom = Date.now();
      const apiCpuFrom = processCpuSeconds(server.pid);
      const trafficBefore = await faults.traffic();
      const sentAt = new Map<string, number>();
      const names = Array.from({ length: n }, (_, i) => `fleet-${batch * n + i}`);
      const first = Date.now();
      let createBodyBytes = 0;
      await pool(names, options.creators, async (name, i) => {
        sentAt.set(name, Date.now());
        const body = {
          apiVersion: 'flotilla.io/v1alpha1',
          kind: 'Workflow',
          metadata: { name, labels: { 'flotilla.io/shard': String(i % options.shardCount) } },
          spec: chainSpec(),
        };
        createBodyBytes += Buffer.byteLength(JSON.stringify(body));
        await rest.send({ method: 'POST', path: workflows, body });
      });
      const createSeconds = (Date.now() - first) / 1000;
      const deadline = Date.now() + options.timeoutMs;
      for (;;) {
        const done = (await succeeded()) - options.warmup - batch * n;
        if (done >= n) break;
        if (Date.now() > deadline)
          throw new Error(`${replicas} replicas: ${done} of ${n} workflows succeeded within ${options.timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, SCRAPE_EVERY_MS));
      }
      const after = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
      const cpuWindowSeconds = (Date.now() - cpuFrom) / 1000;
      const apiServerCpuMsPerWorkflow = ((processCpuSeconds(server.pid) - apiCpuFrom) * 1000) / n;
      const traffic = trafficDelta(trafficBefore, await faults.traffic(), n, createBodyBytes);
      const redisCost = costOf(redisFrom, await redisSnapshot(admin), n, 30);
      const listed = await rest.send<{ items?: ListedWorkflow[] }>({ method: 'GET', path: workflows });
      const latencies: number[] = [];
      let last = first;
      for (const item of listed.items ?? []) {
        const name = item.metadata?.name ?? '';
        const sent = sentAt.get(name);
        if (sent === undefined) continue;
        if (item.status?.phase !== 'Succeeded' || item.status.finishedAt === undefined)
          throw new Error(`${name}: ${item.status?.phase ?? 'no phase'}, not Succeeded`);
        const finished = Date.parse(item.status.finishedAt);
        latencies.push(finished - sent);
        last = Math.max(last, finished);
      }
      if (latencies.length !== n) throw new Error(`listed ${latencies.length} of ${n} workflows`);
      const cpuSecondsPerReplica = after.map((s, i) => cpuSeconds(s) - cpuSeconds(before[i] ?? new Map()));
      const systemSeconds = after.reduce(
        (acc, s, i) => acc + systemCpuSeconds(s) - systemCpuSeconds(before[i] ?? new Map()),
        0,
      );
      const cpuTotal = cpuSecondsPerReplica.reduce((a, b) => a + b, 0);
      const seconds = (last - first) / 1000;
      const run: FleetRun = {
        replicas,
        batch,
        workflows: n,
        seconds,
        createSeconds,
        workflowsPerSecond: n / seconds,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
        cpuMsPerWorkflow: (cpuSecondsPerReplica.reduce((a, b) => a + b, 0) * 1000) / n,
        ...(coldCpuMsPerWorkflow === undefined ? {} : { coldCpuMsPerWorkflow }),
        apiServerCpuMsPerWorkflow,
        cpuSecondsPerReplica,
        cpuSystemShare: cpuTotal > 0 ? systemSeconds / cpuTotal : 0,
        idleCpuMsPerSecond,
        cpuMsPerWorkflowNetOfIdle: Math.max(0, cpuTotal * 1000 - idleCpuMsPerSecond * cpuWindowSeconds) / n,
        roundsPerWorkflow:
          after.reduce(
            (acc, s, i) =>
              acc + sumSeries(s, 'flotilla_rounds_total') - sumSeries(before[i] ?? new Map(), 'flotilla_rounds_total'),
            0,
          ) / n,
        ...traffic,
        redisCommandsPerWorkflow: redisCost.commandsPerJob,
        redisScriptsPerWorkflow: redisCost.scriptsPerJob,
        redisTop: redisCost.top,
        redisIdleCommandsPerSecond,
        redisIdleTop: idleCost.top.map((t) => ({ command: t.command, perJob: t.perJob / idleSeconds })),
      };
      if (options.print) {
        console.log(
          `fleet: ${replicas} replica(s), batch ${batch + 1}/${options.batches}: ${n} workflows in ${seconds.toFixed(2)} s (${run.workflowsPerSecond.toFixed(1)}/s; creates took ${createSeconds.toFixed(2)} s), p50 ${run.latencyP50Ms} ms p99 ${run.latencyP99Ms} ms, CPU ${run.cpuMsPerWorkflow.toFixed(2)} ms/workflow (${cpuSecondsPerReplica.map((c) => c.toFixed(1)).join(' + ')} s, ${(100 * run.cpuSystemShare).toFixed(0)} % system), API server CPU ${run.apiServerCpuMsPerWorkflow.toFixed(2)} ms/workflow, Redis ${run.redisCommandsPerWorkflow.toFixed(1)} commands/workflow (${run.redisScriptsPerWorkflow.toFixed(1)} scripts; idle ${redisIdleCommandsPerSecond.toFixed(0)}/s)`,
        );
      }
      if (options.print) {
        const requests = Object.entries(run.apiRequestsPerWorkflow)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ');
        const bytes = Object.entries(run.apiBodyBytesPerWorkflow)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ');
        console.log(
          `fleet: per workflow: API requests ${requests}; body bytes ${bytes}; watch events ${run.watchEventsPerWorkflow.toFixed(2)}; rounds ${run.roundsPerWorkflow.toFixed(2)}; idle CPU ${run.idleCpuMsPerSecond.toFixed(0)} ms/s; CPU net of idle ${run.cpuMsPerWorkflowNetOfIdle.toFixed(2)} ms/workflow${run.coldCpuMsPerWorkflow === undefined ? '' : `; cold (the ${options.warmup} warm-up workflows) ${run.coldCpuMsPerWorkflow.toFixed(2)} ms/workflow`}`,
        );
      }
      runs.push(run);
      if (batch + 1 < options.batches) {
        // The janitor labels what finished; its patches must not fall into the next batch's window.
        const labelledBy = options.warmup + (batch + 1) * n;
        while ((await labelled()) < labelledBy) {
          if (Date.now() > deadline) throw new Error(`${replicas} replicas: batch ${batch} was not labelled in time`);
          await new Promise((r) => setTimeout(r, 500));
        }
        redisFrom = await redisSnapshot(admin);
      }
    }
    return runs;
  } finally {
    admin.disconnect();
    await Promise.all(controllers.map((c) => c.stop()));
    rest.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The replicas' API traffic per workflow between two traffic snapshots: the bench's own `n`
 * creates (and their bodies, `createBodyBytes`) are taken out, so what is left is what the replicas sent.
 */
function trafficDelta(
  before: TrafficStats,
  after: TrafficStats,
  n: number,
  createBodyBytes: number,
): Pick<FleetRun, 'apiRequestsPerWorkflow' | 'apiBodyBytesPerWorkflow' | 'watchEventsPerWorkflow'> {
  const requests: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.requestsByResource)) {
    const own = key === 'create workflows' ? n : 0;
    const delta = count - (before.requestsByResource[key] ?? 0) - own;
    if (delta > 0) requests[key] = delta / n;
  }
  const bytes: Record<string, number> = {};
  for (const [verb, total] of Object.entries(after.requestBodyBytes)) {
    const delta = total - (before.requestBodyBytes[verb] ?? 0) - (verb === 'create' ? createBodyBytes : 0);
    if (delta > 0) bytes[verb] = delta / n;
  }
  return {
    apiRequestsPerWorkflow: requests,
    apiBodyBytesPerWorkflow: bytes,
    watchEventsPerWorkflow: (after.watchEvents - before.watchEvents) / n,
  };
}

export async function benchFleet(options: FleetBenchOptions = {}): Promise<FleetBenchResult> {
  const resolved = {
    workflows: options.workflows ?? 2000,
    shardCount: options.shardCount ?? 32,
    concurrency: options.concurrency ?? 8,
    timeoutMs: options.timeoutMs ?? 300_000,
    warmup: options.warmup ?? 0,
    creators: options.creators ?? 64,
    batches: options.batches ?? 1,
    print: options.print ?? false,
  };
  const runs: FleetRun[] = [];
  for (const replicas of options.replicaCounts ?? [1, 2, 3]) runs.push(...(await runFleet(replicas, resolved)));
  return { runs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      workflows: { type: 'string' },
      replicas: { type: 'string' },
      warmup: { type: 'string' },
      creators: { type: 'string' },
      batches: { type: 'string' },
    },
  });
  const result = await benchFleet({
    workflows: Number(values.workflows ?? (values.quick ? 200 : 2000)),
    warmup: Number(values.warmup ?? 0),
    creators: Number(values.creators ?? 64),
    batches: Number(values.batches ?? 1),
    replicaCounts: (values.replicas ?? (values.quick ? '1,3' : '1,2,3')).split(',').map(Number),
    print: true,
  });
  console.log(JSON.stringify(result, null, 2));
}
