/**
 * The peer comparison, same run, same Redis, same DAG: `workflows` 5-node chains a→b→c→d→e.
 *  - **BullMQ FlowProducer**: each workflow is a job tree (e waits for d, ... d for a: a parent
 *    runs once its child completed), processors do nothing. The queue-only ceiling a user would
 *    otherwise build on.
 *  - **engine+queue, in-process**: the same workflows (echo tasks) executed by our controller's
 *    round (`RoundRunner`: validate once per generation, `EngineDriver` with its round streak,
 *    resourceVersion-guarded status write) fed by our `ShardQueues`, against an in-memory
 *    workflow store instead of the API server. The fleet figure (sandbox processes) replaces it
 *    once the fleet exists.
 * Both get the same worker concurrency and submit every workflow in one burst (`creators` creations
 * in flight); creation→completion latency therefore includes the wait behind the burst.
 * Medians over `repeats`, with min and max.
 * Run alone: `node --import tsx bench/peer-flowproducer.ts [--repeats N] [--workflows N]`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { FlowProducer, Worker, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { WorkflowSpec } from '../src/api/schema.js';
import type { WorkflowStatus } from '../src/api/status.js';
import { isTerminalWorkflowPhase } from '../src/api/status.js';
import { WORKFLOW_API_VERSION, type Workflow } from '../src/api/workflow.js';
import { validateWorkflow } from '../src/api/validation/index.js';
import { RoundRunner } from '../src/controller/round.js';
import { StatusConflictError } from '../src/kube/errors.js';
import { ShardQueues } from '../src/controller/queue/index.js';
import { redisOptionsFromUrl } from '../src/controller/queue/redis.js';
import { EngineDriver } from '../src/engine/driver.js';
import { MemoryOutputStore } from '../src/engine/outputs.js';
import { inProcessPlugins } from '../src/plugins/inprocess/index.js';
import { PluginRegistry } from '../src/engine/plugin-registry.js';
import { RedisServer } from '../test/support/redis.js';
import { percentile, spread, type Spread } from './stats.js';

export interface PeerBenchOptions {
  /** Repeats of both sides; figures are medians over them. @defaultValue 3 */
  repeats?: number;
  /** Workflows per side and repeat. @defaultValue 2000 */
  workflows?: number;
  /** Nodes per chain. @defaultValue 5 */
  nodes?: number;
  /** Worker concurrency of both sides (the controller's per-shard default). @defaultValue 4 */
  concurrency?: number;
  /** Workflow creations in flight at once. @defaultValue 64 */
  creators?: number;
  /** Use this Redis instead of starting one (it is flushed!). */
  redisUrl?: string;
  /** Print a table on stdout. @defaultValue true */
  print?: boolean;
}

export interface PeerSideResult {
  /** `flowproducer` or `engine-queue-inprocess`. */
  side: 'flowproducer' | 'engine-queue-inprocess';
  workflowsPerSecond: Spread;
  /** Workflows/s of each repeat, in order (the two sides of a repeat ran back to back). */
  workflowsPerSecondRuns: number[];
  latencyP50Ms: Spread;
  latencyP99Ms: Spread;
  /** Queue jobs per workflow (FlowProducer: one per node; ours: rounds, thanks to the streak). */
  jobsPerWorkflow: Spread;
}

export interface PeerBenchResult {
  options: Required<Omit<PeerBenchOptions, 'print' | 'redisUrl'>>;
  sides: PeerSideResult[];
  /** engine+queue workflows/s ÷ FlowProducer workflows/s, per repeat. */
  ratio: Spread;
}

interface Run {
  workflowsPerSecond: number;
  p50: number;
  p99: number;
  jobsPerWorkflow: number;
}

type Options = PeerBenchResult['options'];

const NAMES = 'abcdefghijklmnopqrstuvwxyz';

function nodeName(i: number): string {
  return i < NAMES.length ? (NAMES[i] as string) : `n${i}`;
}

/** The chain a→b→...: each node echoes the previous node's output. */
export function chainSpec(nodes: number): WorkflowSpec {
  return {
    inputs: { v: 1 },
    tasks: { echo: { plugin: 'echo' } },
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: nodeName(i),
      kind: 'task' as const,
      task: 'echo',
      inputs: { v: i === 0 ? { fromInput: 'v' } : { fromNode: nodeName(i - 1), output: 'v' } },
    })),
  };
}

/** Creates `count` items with `creators` in flight; `create(i)` records its own start time. */
async function burst(count: number, creators: number, create: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: creators }, async () => {
      for (let i = next++; i < count; i = next++) await create(i);
    }),
  );
}

function completion(count: number, what: string) {
  const created = new Array<number>(count).fill(0);
  const latencies: number[] = [];
  let resolve: () => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`${what}: ${latencies.length} of ${count} workflows completed in 300 s`)),
    300_000,
  );
  return {
    created: (i: number) => {
      created[i] = performance.now();
    },
    completed: (i: number) => {
      latencies.push(performance.now() - (created[i] ?? 0));
      if (latencies.length === count) {
        clearTimeout(timer);
        resolve();
      }
    },
    done,
    latencies,
  };
}

async function runFlowProducer(url: string, run: string, o: Options): Promise<Run> {
  const base = redisOptionsFromUrl(url);
  const prefix = `{peer-${run}}`;
  const queueName = 'flows';
  const track = completion(o.workflows, 'FlowProducer');
  const root = nodeName(o.nodes - 1);
  let jobs = 0;
  const producer = new FlowProducer({ connection: base, prefix });
  const worker = new Worker<{ wf: number }>(
    queueName,
    async () => {
      jobs++;
    },
    { connection: { ...base, maxRetriesPerRequest: null }, prefix, concurrency: o.concurrency },
  );
  worker.on('completed', (job) => {
    if (job.name === root) track.completed(job.data.wf);
  });
  try {
    await worker.waitUntilReady();
    const opts = { removeOnComplete: true, removeOnFail: true };
    const chain = (wf: number): FlowJob => {
      let node: FlowJob = { name: nodeName(0), queueName, data: { wf }, opts };
      for (let i = 1; i < o.nodes; i++) node = { name: nodeName(i), queueName, data: { wf }, opts, children: [node] };
      return node;
    };
    const started = performance.now();
    await burst(o.workflows, o.creators, async (i) => {
      track.created(i);
      await producer.add(chain(i));
    });
    await track.done;
    const elapsed = performance.now() - started;
    return {
      workflowsPerSecond: (o.workflows / elapsed) * 1000,
      p50: percentile(track.latencies, 50),
      p99: percentile(track.latencies, 99),
      jobsPerWorkflow: jobs / o.workflows,
    };
  } finally {
    await worker.close();
    await producer.close();
  }
}

/** The workflows of one run, as the API server would hold them (status round-trips through JSON). */
class MemoryWorkflows {
  private readonly items = new Map<string, Workflow>();
  private version = 0;
  constructor(private readonly onTerminal: (key: string) => void) {}

  create(workflow: Workflow): void {
    const key = `${workflow.metadata.namespace}/${workflow.metadata.name}`;
    this.items.set(key, { ...workflow, metadata: { ...workflow.metadata, resourceVersion: String(++this.version) } });
  }

  async read(key: string): Promise<Workflow | undefined> {
    return this.items.get(key);
  }

  async writeStatus(workflow: Workflow, status: WorkflowStatus): Promise<Workflow> {
    const key = `${workflow.metadata.namespace}/${workflow.metadata.name}`;
    const current = this.items.get(key);
    if (!current || current.metadata.resourceVersion !== workflow.metadata.resourceVersion)
      throw new StatusConflictError(key, workflow.metadata.resourceVersion ?? '');
    const next: Workflow = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(++this.version) },
      status: JSON.parse(JSON.stringify(status)) as WorkflowStatus,
    };
    this.items.set(key, next);
    if (isTerminalWorkflowPhase(status.phase)) this.onTerminal(key);
    return next;
  }

  /** No cache to lag behind: every read is current. */
  noteWrite(): void {}
}

async function runEngineQueue(url: string, run: string, o: Options): Promise<Run> {
  const track = completion(o.workflows, 'engine+queue');
  const spec = chainSpec(o.nodes);
  const store = new MemoryWorkflows((key) => track.completed(Number(key.slice(key.lastIndexOf('-') + 1))));
  const driver = new EngineDriver({
    plugins: new PluginRegistry(inProcessPlugins()),
    outputs: new MemoryOutputStore(),
  });
  const rounds = new RoundRunner({ shard: 0, store, driver, validate: (input) => validateWorkflow(input) });
  let jobs = 0;
  const queues = new ShardQueues({
    redisUrl: url,
    concurrency: o.concurrency,
    prefixBase: `peer-${run}`,
    processor: async (key, context) => {
      jobs++;
      return rounds.run(key, { signal: context.signal, attempt: context.attempt });
    },
  });
  try {
    await queues.start(0);
    const started = performance.now();
    await burst(o.workflows, o.creators, async (i) => {
      track.created(i);
      const metadata = {
        name: `wf-${i}`,
        namespace: 'bench',
        uid: `uid-${run}-${i}`,
        generation: 1,
        creationTimestamp: new Date().toISOString(),
      };
      store.create({ apiVersion: WORKFLOW_API_VERSION, kind: 'Workflow', metadata, spec });
      await queues.enqueue(0, `bench/wf-${i}`); // what the informer's ADDED event does
    });
    await track.done;
    const elapsed = performance.now() - started;
    return {
      workflowsPerSecond: (o.workflows / elapsed) * 1000,
      p50: percentile(track.latencies, 50),
      p99: percentile(track.latencies, 99),
      jobsPerWorkflow: jobs / o.workflows,
    };
  } finally {
    await queues.stopAll({ graceMs: 2000 });
  }
}

export async function benchPeer(options: PeerBenchOptions = {}): Promise<PeerBenchResult> {
  const o: Options = {
    repeats: options.repeats ?? 3,
    workflows: options.workflows ?? 2000,
    nodes: options.nodes ?? 5,
    concurrency: options.concurrency ?? 4,
    creators: options.creators ?? 64,
  };
  const check = validateWorkflow({
    apiVersion: WORKFLOW_API_VERSION,
    kind: 'Workflow',
    metadata: { name: 'check', namespace: 'bench', uid: 'u', generation: 1 },
    spec: chainSpec(o.nodes),
  });
  if (!check.ok) throw new Error(`the benchmark's own workflow is invalid: ${JSON.stringify(check.issues)}`);
  const server = options.redisUrl ? undefined : await RedisServer.start({ persist: false });
  const url = options.redisUrl ?? (server as RedisServer).url;
  const admin = new Redis({ ...redisOptionsFromUrl(url), maxRetriesPerRequest: 3 });
  const flow: Run[] = [];
  const ours: Run[] = [];
  try {
    for (let r = 0; r < o.repeats; r++) {
      // Alternate which side goes first, so a slow spell of the machine hits both alike.
      const order = r % 2 === 0 ? (['flow', 'ours'] as const) : (['ours', 'flow'] as const);
      for (const side of order) {
        await admin.flushdb();
        if (side === 'flow') flow.push(await runFlowProducer(url, `flow-${r}`, o));
        else ours.push(await runEngineQueue(url, `ours-${r}`, o));
      }
    }
    await admin.flushdb();
  } finally {
    admin.disconnect();
    await server?.stop();
  }
  const side = (name: PeerSideResult['side'], runs: Run[]): PeerSideResult => ({
    side: name,
    workflowsPerSecond: spread(runs.map((r) => r.workflowsPerSecond)),
    workflowsPerSecondRuns: runs.map((r) => r.workflowsPerSecond),
    latencyP50Ms: spread(runs.map((r) => r.p50)),
    latencyP99Ms: spread(runs.map((r) => r.p99)),
    jobsPerWorkflow: spread(runs.map((r) => r.jobsPerWorkflow)),
  });
  const result: PeerBenchResult = {
    options: o,
    sides: [side('flowproducer', flow), side('engine-queue-inprocess', ours)],
    ratio: spread(ours.map((r, i) => r.workflowsPerSecond / (flow[i]?.workflowsPerSecond ?? Number.NaN))),
  };
  if (options.print ?? true) printResult(result);
  return result;
}

export function printResult(result: PeerBenchResult): void {
  const f = (s: Spread, d: number) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  const table = new Table({
    head: [
      `${result.options.workflows} × ${result.options.nodes}-node chains`,
      'workflows/s',
      'p50 ms',
      'p99 ms',
      'jobs/workflow',
    ],
    style: { head: [], border: [] },
  });
  for (const s of result.sides)
    table.push([
      s.side === 'flowproducer' ? 'BullMQ FlowProducer' : 'engine+queue, in-process',
      f(s.workflowsPerSecond, 0),
      f(s.latencyP50Ms, 0),
      f(s.latencyP99Ms, 0),
      s.jobsPerWorkflow.median.toFixed(2),
    ]);
  process.stdout.write(
    `${table.toString()}\nengine+queue ÷ FlowProducer: ${f(result.ratio, 2)} · ${result.options.repeats} repeats · concurrency ${result.options.concurrency}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { repeats: { type: 'string' }, workflows: { type: 'string' } } });
  const opts: PeerBenchOptions = {};
  if (values.repeats) opts.repeats = Number(values.repeats);
  if (values.workflows) opts.workflows = Number(values.workflows);
  await benchPeer(opts);
}
