/**
 * Memory of one replica: the embedded API server holds W small terminal Workflows (5 echo nodes,
 * created with their `flotilla.io/shard` label, then `status` written through `/status` as
 * Succeeded, so no rounds run), then one `flotilla controller` owning all 32 shards statically
 * starts; once its `/readyz` answers 200 (informers synced) and 2 s later, its RSS is read from
 * `/metrics` (`process_resident_memory_bytes`). W grows in steps (10,000 then 50,000 by default;
 * a new controller process per step). Bytes per workflow: the RSS growth between the first and the
 * last step over the workflows added (the marginal cost, without the process's fixed base); the
 * RSS of an empty cache is measured first. Objects are created 32 requests at a time on one
 * keep-alive pool. Run alone: `node --import tsx bench/memory.ts [--quick]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { startApiServer } from '../sandbox/apiserver/index.js';
import { RedisServer } from '../test/support/redis.js';
import { pool, postCrd, processMetric, scrape, startController } from './controller-proc.js';

export interface MemoryBenchOptions {
  /** Workflow counts in the caches, ascending. @defaultValue [10000, 50000] */
  steps?: number[];
  /** @defaultValue 32 */
  shardCount?: number;
  /**
   * Create the Workflows already labelled `flotilla.io/completed=true`, as the janitor leaves every
   * finished Workflow after its first pass. Without it the replica measured is busy labelling all
   * W objects (W merge patches and their watch events) while its RSS is read, so the figure includes
   * that burst, not only the cache. @defaultValue false
   */
  completed?: boolean;
  /** Create requests in flight. @defaultValue 32 */
  concurrency?: number;
  print?: boolean;
}

export interface MemoryStep {
  workflows: number;
  rssBytes: number;
  heapUsedBytes: number | undefined;
  /** Start of the controller → `/readyz` 200, ms. */
  readyMs: number;
}

export interface MemoryBenchResult {
  emptyRssBytes: number;
  steps: MemoryStep[];
  /** (RSS at the last step − RSS at the first) ÷ workflows added between them. */
  bytesPerWorkflow: number;
  /** The same for `nodejs_heap_size_used_bytes`. */
  heapBytesPerWorkflow: number;
}

const GROUP = { group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows', namespace: 'default' } as const;

function spec() {
  const nodes = Array.from({ length: 5 }, (_, i) => ({
    id: `n${i}`,
    kind: 'task',
    task: 'e',
    inputs: { v: i === 0 ? { value: 0 } : { fromNode: `n${i - 1}`, output: 'v' } },
  }));
  return { tasks: { e: { plugin: 'echo' } }, nodes, outputs: { v: { fromNode: 'n4', output: 'v' } } };
}

async function waitReady(metricsUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${metricsUrl}/readyz`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`controller not ready within ${timeoutMs} ms (last /readyz ${String(res?.status)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function benchMemory(options: MemoryBenchOptions = {}): Promise<MemoryBenchResult> {
  const steps = options.steps ?? [10_000, 50_000];
  const shardCount = options.shardCount ?? 32;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-memory-'));
  const server = await startApiServer({ port: 0, kubelet: false });
  const redis = await RedisServer.start({ persist: false });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig);
  const base = new KubeConfig();
  base.loadFromString(server.kubeconfig);
  const kc = new PooledKubeConfig(base, options.concurrency ?? 32);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const allShards = `0-${shardCount - 1}`;
  const measure = async (workflows: number): Promise<MemoryStep> => {
    const t0 = performance.now();
    const controller = await startController(
      [
        '--kubeconfig',
        kubeconfig,
        '--redis',
        redis.url,
        '--shards',
        allShards,
        '--shard-count',
        String(shardCount),
        '--metrics-port',
        '0',
        '--log-level',
        'warn',
        '--replica-id',
        `bench-memory-${workflows}`,
      ],
      300_000,
    );
    try {
      await waitReady(controller.metricsUrl, 300_000);
      const readyMs = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 2000));
      const samples = await scrape(controller.metricsUrl);
      const rssBytes = processMetric(samples, 'process_resident_memory_bytes');
      if (rssBytes === undefined) throw new Error('no process_resident_memory_bytes in /metrics');
      const step = {
        workflows,
        rssBytes,
        heapUsedBytes: processMetric(samples, 'nodejs_heap_size_used_bytes'),
        readyMs,
      };
      if (options.print)
        console.log(
          `memory: ${workflows} workflows in the caches: RSS ${(rssBytes / 2 ** 20).toFixed(1)} MiB (ready in ${(readyMs / 1000).toFixed(1)} s)`,
        );
      return step;
    } finally {
      await controller.stop();
    }
  };
  try {
    await postCrd(server.url, server.caPem, server.token);
    const empty = await measure(0);
    const measured: MemoryStep[] = [];
    let created = 0;
    for (const target of steps) {
      const t0 = performance.now();
      const indexes = Array.from({ length: Math.max(0, target - created) }, (_, i) => created + i);
      await pool(indexes, options.concurrency ?? 32, async (i) => {
        const now = new Date().toISOString();
        const body = {
          apiVersion: 'flotilla.io/v1alpha1',
          kind: 'Workflow',
          metadata: {
            name: `mem-${i}`,
            labels: {
              'flotilla.io/shard': String(i % shardCount),
              ...(options.completed ? { 'flotilla.io/completed': 'true' } : {}),
            },
          },
          spec: spec(),
        };
        const stored = (await custom.createNamespacedCustomObject({ ...GROUP, body })) as Record<string, unknown>;
        await custom.replaceNamespacedCustomObjectStatus({
          ...GROUP,
          name: `mem-${i}`,
          body: {
            ...stored,
            status: { phase: 'Succeeded', startedAt: now, finishedAt: now, shard: String(i % shardCount) },
          },
        });
      });
      created = target;
      if (options.print)
        console.log(
          `memory: ${target} terminal workflows on the API server (${((performance.now() - t0) / 1000).toFixed(1)} s to create)`,
        );
      measured.push(await measure(target));
    }
    const first = measured[0];
    const last = measured[measured.length - 1];
    const from = first && last && last.workflows > first.workflows ? first : empty;
    const added = Math.max(1, (last?.workflows ?? 0) - from.workflows);
    const bytesPerWorkflow = last ? (last.rssBytes - from.rssBytes) / added : Number.NaN;
    const heapBytesPerWorkflow =
      last?.heapUsedBytes !== undefined && from.heapUsedBytes !== undefined
        ? (last.heapUsedBytes - from.heapUsedBytes) / added
        : Number.NaN;
    return { emptyRssBytes: empty.rssBytes, steps: measured, bytesPerWorkflow, heapBytesPerWorkflow };
  } finally {
    kc.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, steps: { type: 'string' }, completed: { type: 'boolean' } },
  });
  const result = await benchMemory({
    completed: values.completed ?? false,
    steps: (values.steps ?? (values.quick ? '2000,5000' : '10000,50000')).split(',').map(Number),
    print: true,
  });
  console.log(JSON.stringify(result, null, 2));
}
