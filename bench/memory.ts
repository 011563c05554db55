/**
 * Memory of one replica: the embedded API server holds W small terminal Workflows (5 echo nodes,
 * created with their `flotilla.io/shard` label, then `status` written through `/status` as
 * Succeeded, so no rounds run), then one `flotilla controller` owning all 32 shards statically
 * starts; once its `/readyz` answers 200 (informers synced), its RSS is read from `/metrics`
 * (`process_resident_memory_bytes`) every second for `settleSeconds`: the figure is the last
 * sample (the replica settled: the list's garbage collected, as a long-running replica holds
 * it), the largest is kept as the peak (what a memory limit must allow at start-up). W grows in
 * steps (10,000 then 50,000 by default; a new controller process per step). `mode`: `source`
 * runs the controller from the sources under tsx (as a checkout does), `dist` from the build
 * output (`dist/`, `FLOTILLA_USE_DIST=1`), `image` from a tree laid out as the image's runtime
 * stage with its environment (`image-tree.ts`: the build output, slimmed dependencies). Bytes per workflow: the RSS growth between the first and the
 * last step over the workflows added (the marginal cost, without the process's fixed base); the
 * RSS of an empty cache is measured first. Objects are created 32 requests at a time on one
 * keep-alive pool. Run alone: `node --import tsx bench/memory.ts [--quick]`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { startApiServer } from '../sandbox/apiserver/index.js';
import { RedisServer } from '../test/support/redis.js';
import { pool, postCrd, processMetric, ROOT, scrape, startController } from './controller-proc.js';
import { buildImageTree, IMAGE_ENV } from './image-tree.js';

export type MemoryMode = 'source' | 'dist' | 'image';
export const MEMORY_MODES: readonly MemoryMode[] = ['source', 'dist', 'image'];

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
  /** Seconds of RSS samples after `/readyz` (one a second); the last is the figure. @defaultValue 20 */
  settleSeconds?: number;
  /** How the controller runs, each measured at every step (`dist` and `image` need `npm run build:dist` first). @defaultValue ['source'] */
  modes?: MemoryMode[];
  /** `NODE_OPTIONS` for the controller (e.g. V8 heap flags); the image's own when unset. */
  nodeOptions?: string;
  print?: boolean;
}

export interface MemoryStep {
  workflows: number;
  /** RSS after settling (the last sample). */
  rssBytes: number;
  /** The largest RSS sample from `/readyz` on. */
  peakRssBytes: number;
  heapUsedBytes: number | undefined;
  /** Start of the controller → `/readyz` 200, ms. */
  readyMs: number;
}

export interface MemoryModeResult {
  mode: MemoryMode;
  empty: MemoryStep;
  emptyRssBytes: number;
  steps: MemoryStep[];
  /** (RSS at the last step − RSS at the first) ÷ workflows added between them. */
  bytesPerWorkflow: number;
  /** The same for `nodejs_heap_size_used_bytes`. */
  heapBytesPerWorkflow: number;
}

export interface MemoryBenchResult {
  settleSeconds: number;
  modes: MemoryModeResult[];
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

/** Resident set size of `pid` (`VmRSS` of `/proc/<pid>/status`), bytes. */
function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
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
  const settleSeconds = options.settleSeconds ?? 20;
  const modes = options.modes ?? ['source'];
  const envOf = (mode: MemoryMode): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.FLOTILLA_USE_DIST;
    if (mode === 'dist') env.FLOTILLA_USE_DIST = '1';
    if (mode === 'image') Object.assign(env, IMAGE_ENV);
    if (options.nodeOptions !== undefined) env.NODE_OPTIONS = options.nodeOptions;
    return env;
  };
  if (modes.includes('dist') && !existsSync(join(ROOT, 'dist/src/cli/flotilla.js')))
    throw new Error('bench/memory --mode dist: dist/ is missing: run `npm run build:dist` first');
  let imageRoot = ROOT;
  const measure = async (mode: MemoryMode, workflows: number): Promise<MemoryStep> => {
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
      envOf(mode),
      mode === 'image' ? imageRoot : ROOT,
    );
    try {
      await waitReady(controller.metricsUrl, 300_000);
      const readyMs = performance.now() - t0;
      // RSS from /proc (a `/metrics` scrape a second would itself allocate: its collectors walk
      // the caches); `/metrics` once at the end for the heap figure.
      const pid = controller.child.pid;
      if (pid === undefined) throw new Error('controller has no pid');
      let peakRssBytes = 0;
      let rssBytes = 0;
      const trace: number[] = [];
      for (let second = 0; ; second++) {
        rssBytes = residentBytes(pid);
        trace.push(Math.round(rssBytes / 2 ** 20));
        peakRssBytes = Math.max(peakRssBytes, rssBytes);
        if (second >= settleSeconds) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const samples = await scrape(controller.metricsUrl);
      if (process.env.FLOTILLA_BENCH_RSS_TRACE === '1') console.log(`memory: RSS MiB each second: ${trace.join(' ')}`);
      const step = {
        workflows,
        rssBytes,
        peakRssBytes,
        heapUsedBytes: processMetric(samples, 'nodejs_heap_size_used_bytes'),
        readyMs,
      };
      if (options.print)
        console.log(
          `memory (${mode}): ${workflows} workflows in the caches: RSS ${(rssBytes / 2 ** 20).toFixed(1)} MiB after ${settleSeconds} s, peak ${(peakRssBytes / 2 ** 20).toFixed(1)} MiB, heap used ${((step.heapUsedBytes ?? Number.NaN) / 2 ** 20).toFixed(1)} MiB (ready in ${(readyMs / 1000).toFixed(1)} s)`,
        );
      return step;
    } finally {
      await controller.stop();
    }
  };
  try {
    if (modes.includes('image')) imageRoot = await buildImageTree(join(dir, 'image'));
    await postCrd(server.url, server.caPem, server.token);
    const empty = new Map<MemoryMode, MemoryStep>();
    for (const mode of modes) empty.set(mode, await measure(mode, 0));
    const measured = new Map<MemoryMode, MemoryStep[]>(modes.map((m) => [m, []]));
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
      for (const mode of modes) measured.get(mode)?.push(await measure(mode, target));
    }
    return {
      settleSeconds,
      modes: modes.map((mode) => {
        const emptyStep = empty.get(mode) as MemoryStep;
        const stepsOf = measured.get(mode) ?? [];
        const first = stepsOf[0];
        const last = stepsOf[stepsOf.length - 1];
        const from = first && last && last.workflows > first.workflows ? first : emptyStep;
        const added = Math.max(1, (last?.workflows ?? 0) - from.workflows);
        return {
          mode,
          empty: emptyStep,
          emptyRssBytes: emptyStep.rssBytes,
          steps: stepsOf,
          bytesPerWorkflow: last ? (last.rssBytes - from.rssBytes) / added : Number.NaN,
          heapBytesPerWorkflow:
            last?.heapUsedBytes !== undefined && from.heapUsedBytes !== undefined
              ? (last.heapUsedBytes - from.heapUsedBytes) / added
              : Number.NaN,
        };
      }),
    };
  } finally {
    kc.close();
    await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function memoryMode(value: string): MemoryMode {
  const mode = MEMORY_MODES.find((m) => m === value);
  if (!mode) throw new Error(`--mode ${value}: want one of ${MEMORY_MODES.join(', ')}`);
  return mode;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      steps: { type: 'string' },
      completed: { type: 'boolean' },
      mode: { type: 'string' },
      settle: { type: 'string' },
      'node-options': { type: 'string' },
      'shard-count': { type: 'string' },
    },
  });
  const result = await benchMemory({
    completed: values.completed ?? false,
    modes: (values.mode ?? 'source').split(',').map(memoryMode),
    settleSeconds: Number(values.settle ?? 20),
    shardCount: Number(values['shard-count'] ?? 32),
    ...(values['node-options'] === undefined ? {} : { nodeOptions: values['node-options'] }),
    steps: (values.steps ?? (values.quick ? '2000,5000' : '10000,50000')).split(',').map(Number),
    print: true,
  });
  console.log(JSON.stringify(result, null, 2));
}
