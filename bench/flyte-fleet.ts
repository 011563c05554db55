/**
 * FlyteWorkflows beside native Workflows on the fleet, same DAG shape: a chain of 5 container
 * tasks, one Pod per task, on N `flotilla controller --flyte` processes (static shards, as in
 * `bench/fleet.ts`) over one embedded API server whose simulated kubelet runs every Pod for its
 * default 1 s (a FlyteWorkflow's Pods through the pyflyte-execute stand-in on a file:// blob store,
 * reading inputs.pb and writing outputs.pb; a native Workflow's Pods return their outputs in the
 * termination message). Both kinds run on the same replicas with the same flags, one kind at a time
 * on a fresh API server and Redis, so the difference is the front end: FlyteWorkflow translation,
 * projection, literal documents in the blob store and Flyte's status shape.
 *
 * Per kind and N: workflows/s (W ÷ first create → last terminal), creation→success p50/p99 and
 * replica CPU ms per workflow (`process_cpu_*` deltas), pods created per workflow (the API server's
 * audit: 5 each, or a task ran twice). Run alone: `node --import tsx bench/flyte-fleet.ts [--quick]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { installWorkflowCrd } from '../src/controller/crd-install.js';
import { flyteWorkflowCrd } from '../src/flyte/crd.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../src/flyte/types.js';
import { flyteShardKey } from '../src/flyte/shard.js';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { startApiServer } from '../sandbox/apiserver/index.js';
import { RedisServer } from '../test/support/redis.js';
import { cpuSeconds, pool, postCrd, scrape, startController, type ControllerProc } from './controller-proc.js';
import { shardsOf } from './fleet.js';
import { percentile } from './stats.js';

export type WorkflowKind = 'native' | 'flyte';

export interface FlyteFleetOptions {
  /** Replica counts, one fleet each per kind. @defaultValue [1, 2] */
  replicaCounts?: number[];
  /** Workflows per fleet and kind. @defaultValue 300 */
  workflows?: number;
  /** Tasks in each chain. @defaultValue 5 */
  chainLength?: number;
  /** Wait at most this long for a fleet's workflows to end. @defaultValue 300000 */
  timeoutMs?: number;
  print?: boolean;
}

export interface FlyteFleetRun {
  kind: WorkflowKind;
  replicas: number;
  workflows: number;
  seconds: number;
  workflowsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  cpuMsPerWorkflow: number;
  podsPerWorkflow: number;
}

const NAMESPACE = 'bench';
const SHARDS = 32;
const nativeApi = { group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows', namespace: NAMESPACE } as const;
const flyteApi = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL, namespace: NAMESPACE } as const;

/** A native Workflow: `length` pod tasks, each reading the previous one's `v`. */
export function nativePodChain(name: string, length: number, shard: number): Record<string, unknown> {
  const nodes = Array.from({ length }, (_, i) => ({
    id: `n${i}`,
    kind: 'task',
    task: 't',
    inputs: { v: i === 0 ? { value: 0 } : { fromNode: `n${i - 1}`, output: 'v' } },
  }));
  return {
    apiVersion: 'flotilla.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, labels: { 'flotilla.io/shard': String(shard) } },
    spec: {
      tasks: {
        t: {
          plugin: 'pod',
          pod: { image: 'busybox', command: ['step'], annotations: { 'flotilla.io/sim-message': '{"v":1}' } },
          outputs: { v: 'integer' },
        },
      },
      nodes,
      outputs: { v: { fromNode: `n${length - 1}`, output: 'v' } },
    },
  };
}

/** A FlyteWorkflow as Flyte's compiler would write it: `length` python tasks, each reading the previous one's `o0`. */
export function flyteContainerChain(name: string, length: number): Record<string, unknown> {
  const taskId = 'resource_type:TASK project:"bench" domain:"development" name:"bench.step" version:"v1"';
  const ids = Array.from({ length }, (_, i) => `n${i}`);
  const nodes: Record<string, unknown> = {
    'start-node': { id: 'start-node', kind: 'start', resources: {} },
    'end-node': {
      id: 'end-node',
      kind: 'end',
      resources: {},
      inputBindings: [{ var: 'o0', binding: { promise: { nodeId: ids[length - 1], var: 'o0' } } }],
    },
  };
  const downstream: Record<string, string[]> = {};
  const upstream: Record<string, string[]> = {};
  ids.forEach((id, i) => {
    const from = i === 0 ? 'start-node' : `n${i - 1}`;
    nodes[id] = {
      id,
      name: 'step',
      kind: 'task',
      resources: {},
      task: taskId,
      inputBindings: [{ var: 'x', binding: { promise: { nodeId: from, var: i === 0 ? 'x' : 'o0' } } }],
    };
    downstream[from] = [id];
    upstream[id] = [from];
  });
  downstream[ids[length - 1] ?? 'n0'] = ['end-node'];
  upstream['end-node'] = [ids[length - 1] ?? 'n0'];
  const integer = { type: { simple: 'INTEGER' } };
  return {
    apiVersion: `${FLYTE_GROUP}/${FLYTE_VERSION}`,
    kind: 'FlyteWorkflow',
    metadata: {
      name,
      labels: {
        project: 'bench',
        domain: 'development',
        'execution-id': name,
        'workflow-name': 'bench-chain',
        'shard-key': String(flyteShardKey(name)),
      },
    },
    spec: {
      id: 'bench:development:bench.chain',
      nodes,
      connections: downstream,
      edges: { downstream, upstream },
      outputs: { variables: { o0: integer } },
      outputBindings: [{ var: 'o0', binding: { promise: { nodeId: ids[length - 1], var: 'o0' } } }],
    },
    inputs: { literals: { x: { scalar: { primitive: { integer: '0' } } } } },
    executionId: { project: 'bench', domain: 'development', name },
    tasks: {
      [taskId]: {
        id: { resourceType: 'TASK', project: 'bench', domain: 'development', name: 'bench.step', version: 'v1' },
        type: 'python-task',
        metadata: { runtime: { type: 'FLYTE_SDK', version: '1.16.1', flavor: 'python' }, retries: {} },
        interface: { inputs: { variables: { x: integer } }, outputs: { variables: { o0: integer } } },
        container: {
          image: 'ghcr.io/example/bench:v1',
          args: ['pyflyte-execute', '--inputs', '{{.input}}', '--output-prefix', '{{.outputPrefix}}'],
          resources: {},
        },
      },
    },
    'node-defaults': {},
    rawOutputDataConfig: {},
    executionConfig: {},
  };
}

interface Listed {
  metadata?: { name?: string };
  status?: { phase?: string | number; finishedAt?: string; stoppedAt?: string; lastUpdatedAt?: string };
}

/** When a listed workflow ended, or undefined while it runs; throws when it did not succeed. */
function endedAt(kind: WorkflowKind, item: Listed): number | undefined {
  const phase = item.status?.phase;
  if (kind === 'native') {
    if (phase === 'Succeeded' && item.status?.finishedAt) return Date.parse(item.status.finishedAt);
    if (phase === 'Failed' || phase === 'Aborted') throw new Error(`${item.metadata?.name}: ${phase}`);
    return undefined;
  }
  if (phase === 3) return Date.parse(item.status?.stoppedAt ?? item.status?.lastUpdatedAt ?? '');
  if (phase === 5 || phase === 6) throw new Error(`${item.metadata?.name}: Flyte phase ${phase}`);
  return undefined;
}

async function runOne(
  kind: WorkflowKind,
  replicas: number,
  options: Required<Omit<FlyteFleetOptions, 'replicaCounts' | 'print'>> & { print: boolean },
): Promise<FlyteFleetRun> {
  const n = options.workflows;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-flyte-'));
  const blobStoreUrl = pathToFileURL(join(dir, 'blobs')).href;
  const server = await startApiServer({ port: 0, kubelet: true, blobStoreUrl });
  const redis = await RedisServer.start({ persist: false });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig);
  const base = new KubeConfig();
  base.loadFromString(server.kubeconfig);
  const kc = new PooledKubeConfig(base, 16);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const controllers: ControllerProc[] = [];
  try {
    await postCrd(server.url, server.caPem, server.token);
    await installWorkflowCrd(base, { crd: flyteWorkflowCrd(), timeoutMs: 15_000 });
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
    for (let i = 0; i < replicas; i++) {
      controllers.push(
        await startController([
          ...['--kubeconfig', kubeconfig, '--redis', redis.url, '--replica-id', `bench-${i}`],
          ...['--shards', shardsOf(i, replicas, SHARDS).join(','), '--shard-count', String(SHARDS)],
          ...['--flyte', '--blob-store', blobStoreUrl, '--metrics-port', '0', '--concurrency', '8'],
          ...['--log-level', 'warn'],
        ]),
      );
    }
    const before = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
    const api = kind === 'native' ? nativeApi : flyteApi;
    const names = Array.from({ length: n }, (_, i) => `${kind}-${i}`);
    const sentAt = new Map<string, number>();
    const first = Date.now();
    await pool(names, 16, async (name, i) => {
      sentAt.set(name, Date.now());
      const body =
        kind === 'native'
          ? nativePodChain(name, options.chainLength, i % SHARDS)
          : flyteContainerChain(name, options.chainLength);
      await custom.createNamespacedCustomObject({ ...api, body });
    });
    const deadline = Date.now() + options.timeoutMs;
    let ended = new Map<string, number>();
    while (ended.size < n) {
      if (Date.now() > deadline) throw new Error(`${kind}, ${replicas} replicas: ${ended.size} of ${n} ended in time`);
      await new Promise((r) => setTimeout(r, 500));
      const listed = (await custom.listNamespacedCustomObject({ ...api })) as { items?: Listed[] };
      ended = new Map();
      for (const item of listed.items ?? []) {
        const at = endedAt(kind, item);
        if (at !== undefined) ended.set(item.metadata?.name ?? '', at);
      }
    }
    const after = await Promise.all(controllers.map((c) => scrape(c.metricsUrl)));
    const latencies = names.map((name) => (ended.get(name) ?? 0) - (sentAt.get(name) ?? 0));
    const last = Math.max(...ended.values());
    const cpu = after.reduce((acc, s, i) => acc + cpuSeconds(s) - cpuSeconds(before[i] ?? new Map()), 0);
    const pods = server.faults.audit({ resource: 'pods', verb: 'create' }).filter((e) => e.code === 201).length;
    const seconds = (last - first) / 1000;
    const run: FlyteFleetRun = {
      kind,
      replicas,
      workflows: n,
      seconds,
      workflowsPerSecond: n / seconds,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      cpuMsPerWorkflow: (cpu * 1000) / n,
      podsPerWorkflow: pods / n,
    };
    if (options.print)
      console.log(
        `flyte-fleet: ${kind}, ${replicas} replica(s): ${n} chains of ${options.chainLength} pods in ${seconds.toFixed(1)} s (${run.workflowsPerSecond.toFixed(2)}/s), p50 ${run.latencyP50Ms} ms p99 ${run.latencyP99Ms} ms, CPU ${run.cpuMsPerWorkflow.toFixed(1)} ms/workflow, ${run.podsPerWorkflow.toFixed(2)} pods/workflow`,
      );
    return run;
  } finally {
    await Promise.all(controllers.map((c) => c.stop()));
    kc.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFlyteFleet(options: FlyteFleetOptions = {}): Promise<{ runs: FlyteFleetRun[] }> {
  const resolved = {
    workflows: options.workflows ?? 300,
    chainLength: options.chainLength ?? 5,
    timeoutMs: options.timeoutMs ?? 300_000,
    print: options.print ?? false,
  };
  const runs: FlyteFleetRun[] = [];
  for (const replicas of options.replicaCounts ?? [1, 2])
    for (const kind of ['native', 'flyte'] as const) runs.push(await runOne(kind, replicas, resolved));
  return { runs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, workflows: { type: 'string' }, replicas: { type: 'string' } },
  });
  const result = await benchFlyteFleet({
    workflows: Number(values.workflows ?? (values.quick ? 60 : 300)),
    replicaCounts: (values.replicas ?? (values.quick ? '1' : '1,2')).split(',').map(Number),
    print: true,
  });
  console.log(JSON.stringify(result, null, 2));
}
