/**
 * Benchmark of the embedded API server: ConfigMap writes per second through @kubernetes/client-node
 * while `watchers` watches are open, and watch fan-out latency (create sent → event seen by each
 * watcher), both at rest (one create at a time) and under the write load. Medians over `runs` runs,
 * with min and max. Run alone: `node --import tsx bench/apiserver.ts [--runs N] [--writes N]`.
 */
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { startApiServer } from '../sandbox/apiserver/index.js';
import { keepAliveConfiguration } from '../src/kube/keepalive.js';

export interface ApiServerBenchOptions {
  /** Independent runs (fresh namespace each); results are medians over them. @defaultValue 5 */
  runs?: number;
  /** Creates per run in the throughput phase. @defaultValue 1000 */
  writes?: number;
  /** Concurrent writers in the throughput phase. @defaultValue 16 */
  writers?: number;
  /** Watches open during the run. @defaultValue 10 */
  watchers?: number;
  /** Creates per run in the latency phase (one at a time). @defaultValue 100 */
  latencySamples?: number;
  /**
   * Share one keep-alive connection pool between requests. client-node 1.x otherwise opens a new
   * TLS connection per request, which then dominates the figure. @defaultValue true
   */
  keepAlive?: boolean;
  /** Print the table on stdout. @defaultValue true */
  print?: boolean;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ApiServerBenchResult {
  options: Required<Omit<ApiServerBenchOptions, 'print'>>;
  /** Creates per second with the watchers open. */
  writesPerSecond: Spread;
  /** Median create→event latency per run, one create at a time (ms). */
  fanoutLatencyP50Ms: Spread;
  /** 99th percentile of the same (ms). */
  fanoutLatencyP99Ms: Spread;
  /** Median create→event latency per run during the throughput phase (ms). */
  loadedLatencyP50Ms: Spread;
  perRun: { writesPerSecond: number; p50: number; p99: number; loadedP50: number }[];
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function spread(values: number[]): Spread {
  return { median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
}

/** Opens `count` watches on a namespace's ConfigMaps; `seen(name)` resolves when every watcher has seen it. */
async function openWatchers(kc: KubeConfig, namespace: string, count: number) {
  const seenBy = new Map<string, number[]>();
  const waiters = new Map<string, () => void>();
  const controllers: AbortController[] = [];
  for (let w = 0; w < count; w++) {
    controllers.push(
      await new Watch(kc).watch(
        `/api/v1/namespaces/${namespace}/configmaps`,
        {},
        (type, obj: { metadata?: { name?: string } }) => {
          if (type !== 'ADDED') return;
          const name = obj.metadata?.name ?? '';
          const times = seenBy.get(name) ?? [];
          times.push(performance.now());
          seenBy.set(name, times);
          if (times.length === count) waiters.get(name)?.();
        },
        () => undefined,
      ),
    );
  }
  return {
    times: (name: string) => seenBy.get(name) ?? [],
    allSeen: (name: string) =>
      new Promise<void>((resolve) => {
        if ((seenBy.get(name) ?? []).length >= count) resolve();
        else waiters.set(name, resolve);
      }),
    close: () => controllers.forEach((c) => c.abort()),
  };
}

async function oneRun(core: CoreV1Api, kc: KubeConfig, run: number, o: Required<Omit<ApiServerBenchOptions, 'print'>>) {
  const namespace = `bench-${run}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const watchers = await openWatchers(kc, namespace, o.watchers);
  try {
    // latency at rest: one create at a time, wait until every watcher saw it
    const latencies: number[] = [];
    for (let i = 0; i < o.latencySamples; i++) {
      const name = `lat-${i}`;
      const sent = performance.now();
      const seen = watchers.allSeen(name);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { i: String(i) } } });
      await seen;
      for (const t of watchers.times(name)) latencies.push(t - sent);
    }
    // throughput with the watchers open
    const sentAt = new Map<string, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: o.writers }, async () => {
        for (let i = next++; i < o.writes; i = next++) {
          const name = `w-${i}`;
          sentAt.set(name, performance.now());
          await core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { i: String(i) } } });
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    await Promise.all([...sentAt.keys()].map((name) => watchers.allSeen(name)));
    const loaded: number[] = [];
    for (const [name, sent] of sentAt) for (const t of watchers.times(name)) loaded.push(t - sent);
    return {
      writesPerSecond: o.writes / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      loadedP50: percentile(loaded, 50),
    };
  } finally {
    watchers.close();
  }
}

export async function benchApiServer(options: ApiServerBenchOptions = {}): Promise<ApiServerBenchResult> {
  const o = {
    runs: options.runs ?? 5,
    writes: options.writes ?? 1000,
    writers: options.writers ?? 16,
    watchers: options.watchers ?? 10,
    latencySamples: options.latencySamples ?? 100,
    keepAlive: options.keepAlive ?? true,
  };
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-apiserver-'));
  const server = await startApiServer({ port: 0, kubelet: false, kubeconfigOut: join(dir, 'kubeconfig') });
  const perRun: ApiServerBenchResult['perRun'] = [];
  try {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig);
    const pool = o.keepAlive ? keepAliveConfiguration(kc, o.writers) : undefined;
    const core = pool ? new CoreV1Api(pool.configuration) : kc.makeApiClient(CoreV1Api);
    try {
      for (let run = 0; run < o.runs; run++) perRun.push(await oneRun(core, kc, run, o));
    } finally {
      pool?.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const result: ApiServerBenchResult = {
    options: o,
    writesPerSecond: spread(perRun.map((r) => r.writesPerSecond)),
    fanoutLatencyP50Ms: spread(perRun.map((r) => r.p50)),
    fanoutLatencyP99Ms: spread(perRun.map((r) => r.p99)),
    loadedLatencyP50Ms: spread(perRun.map((r) => r.loadedP50)),
    perRun,
  };
  if (options.print ?? true) printResult(result);
  return result;
}

export function printResult(result: ApiServerBenchResult): void {
  const o = result.options;
  const table = new Table({ head: ['apiserver', 'median', 'min', 'max'], style: { head: [], border: [] } });
  const row = (label: string, s: Spread, digits: number) =>
    table.push([label, s.median.toFixed(digits), s.min.toFixed(digits), s.max.toFixed(digits)]);
  row(
    `creates/s (${o.writers} writers, ${o.watchers} watchers${o.keepAlive ? ', keep-alive' : ', new TLS conn/request'})`,
    result.writesPerSecond,
    0,
  );
  row(`fan-out latency p50, at rest (ms)`, result.fanoutLatencyP50Ms, 2);
  row(`fan-out latency p99, at rest (ms)`, result.fanoutLatencyP99Ms, 2);
  row(`fan-out latency p50, under load (ms)`, result.loadedLatencyP50Ms, 1);
  process.stdout.write(
    `${table.toString()}\n${o.runs} runs · ${o.writes} creates/run · ${o.latencySamples} latency samples/run × ${o.watchers} watchers\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      writes: { type: 'string' },
      writers: { type: 'string' },
      watchers: { type: 'string' },
      'no-keepalive': { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const opts: ApiServerBenchOptions = {};
  if (values.runs) opts.runs = num(values.runs) as number;
  if (values.writes) opts.writes = num(values.writes) as number;
  if (values.writers) opts.writers = num(values.writers) as number;
  if (values.watchers) opts.watchers = num(values.watchers) as number;
  if (values['no-keepalive']) opts.keepAlive = false;
  await benchApiServer(opts);
}
