/**
 * One replica as a process (`flotilla controller --shards 0`) on the embedded API server and a
 * real Redis: N workflows of 5 chained in-process (`echo`) task nodes submitted at once; measured
 * from the first create to the last Succeeded (read from the replica's own
 * `flotilla_workflows{phase="Succeeded"}` gauge, so the bench does not list N objects per poll):
 * workflows/s, rounds/s (`flotilla_rounds_total` delta), and p50/p99 round duration interpolated
 * from the `flotilla_round_duration_seconds` histogram's bucket deltas (as Prometheus'
 * `histogram_quantile` does). Run alone: `node --import tsx bench/replica.ts [--quick]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { workflowCrd } from '../src/api/crd.js';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { startApiServer } from '../sandbox/apiserver/index.js';
import { RedisServer } from '../test/support/redis.js';
import { spread, type Spread } from './stats.js';

export interface ReplicaBenchOptions {
  /** Workflows per repeat. @defaultValue 300 */
  workflows?: number;
  /** @defaultValue 3 */
  repeats?: number;
  /** `--concurrency` of the replica. @defaultValue 8 */
  concurrency?: number;
  redisUrl?: string;
  print?: boolean;
}

export interface ReplicaBenchResult {
  workflowsPerSecond: Spread;
  roundsPerSecond: Spread;
  roundP50Ms: Spread;
  roundP99Ms: Spread;
  roundsPerWorkflow: Spread;
  samples: Array<{ seconds: number; rounds: number; p50Ms: number; p99Ms: number }>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function spec() {
  const nodes = Array.from({ length: 5 }, (_, i) => ({
    id: `n${i}`,
    kind: 'task',
    task: 'e',
    inputs: { v: i === 0 ? { value: 0 } : { fromNode: `n${i - 1}`, output: 'v' } },
  }));
  return { tasks: { e: { plugin: 'echo' } }, nodes, outputs: { v: { fromNode: 'n4', output: 'v' } } };
}

type Samples = Map<string, number>;

async function scrape(url: string): Promise<Samples> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function sum(samples: Samples, prefix: string, filter: (series: string) => boolean = () => true): number {
  let total = 0;
  for (const [series, value] of samples) if (series.startsWith(prefix) && filter(series)) total += value;
  return total;
}

/** Cumulative bucket counts (summed over labels) by upper bound. */
function buckets(samples: Samples): Map<number, number> {
  const out = new Map<number, number>();
  for (const [series, value] of samples) {
    if (!series.startsWith('flotilla_round_duration_seconds_bucket')) continue;
    const le = /le="([^"]+)"/.exec(series)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + value);
  }
  return out;
}

/** `histogram_quantile` over the bucket deltas between two scrapes, in ms. */
export function histogramQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i] ?? 0;
    const count = counts[i] ?? 0;
    if (count >= rank) {
      if (!Number.isFinite(bound)) return lowerBound * 1000;
      return (lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / Math.max(1, count - lowerCount)) * 1000;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound * 1000;
}

function postCrd(url: string, ca: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`,
      { method: 'POST', ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`CRD: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(workflowCrd()));
  });
}

export async function benchReplica(options: ReplicaBenchOptions = {}): Promise<ReplicaBenchResult> {
  const n = options.workflows ?? 300;
  const repeats = options.repeats ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-replica-'));
  const server = await startApiServer({ port: 0, kubelet: false });
  const redis = options.redisUrl ? undefined : await RedisServer.start({ persist: false });
  const redisUrl = options.redisUrl ?? (redis as RedisServer).url;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig);
  await postCrd(server.url, server.caPem, server.token);
  const base = new KubeConfig();
  base.loadFromString(server.kubeconfig);
  const kc = new PooledKubeConfig(base, 16);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/flotilla.mjs'),
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--redis',
      redisUrl,
      '--shards',
      '0',
      '--shard-count',
      '1',
      '--metrics-port',
      '0',
      '--concurrency',
      String(options.concurrency ?? 8),
      '--log-level',
      'warn',
      '--replica-id',
      'bench',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const metricsUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ready \(metrics (\S+)\)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`controller exited ${code} before ready`)));
    });
    const samples: ReplicaBenchResult['samples'] = [];
    let succeededSoFar = 0;
    for (let rep = 0; rep < repeats; rep++) {
      const before = await scrape(metricsUrl);
      const started = performance.now();
      const names = Array.from({ length: n }, (_, i) => `bench-${rep}-${i}`);
      for (let i = 0; i < names.length; i += 16) {
        await Promise.all(
          names.slice(i, i + 16).map((name) =>
            custom.createNamespacedCustomObject({
              group: 'flotilla.io',
              version: 'v1alpha1',
              plural: 'workflows',
              namespace: 'default',
              body: {
                apiVersion: 'flotilla.io/v1alpha1',
                kind: 'Workflow',
                metadata: { name, labels: { 'flotilla.io/shard': '0' } },
                spec: spec(),
              },
            }),
          ),
        );
      }
      succeededSoFar += n;
      const deadline = Date.now() + 600_000;
      for (;;) {
        const now = await scrape(metricsUrl);
        if (sum(now, 'flotilla_workflows{', (s) => s.includes('phase="Succeeded"')) >= succeededSoFar) break;
        if (Date.now() > deadline) throw new Error(`repeat ${rep}: not all ${n} workflows succeeded within 600 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - started) / 1000;
      const after = await scrape(metricsUrl);
      const rounds = sum(after, 'flotilla_rounds_total') - sum(before, 'flotilla_rounds_total');
      const sample = {
        seconds,
        rounds,
        p50Ms: histogramQuantile(buckets(before), buckets(after), 0.5),
        p99Ms: histogramQuantile(buckets(before), buckets(after), 0.99),
      };
      samples.push(sample);
      if (options.print)
        console.log(
          `replica: ${n} workflows in ${seconds.toFixed(2)} s (${(n / seconds).toFixed(1)}/s), ${rounds} rounds (${(rounds / seconds).toFixed(1)}/s), round p50 ${sample.p50Ms.toFixed(1)} ms p99 ${sample.p99Ms.toFixed(1)} ms`,
        );
    }
    return {
      workflowsPerSecond: spread(samples.map((s) => n / s.seconds)),
      roundsPerSecond: spread(samples.map((s) => s.rounds / s.seconds)),
      roundP50Ms: spread(samples.map((s) => s.p50Ms)),
      roundP99Ms: spread(samples.map((s) => s.p99Ms)),
      roundsPerWorkflow: spread(samples.map((s) => s.rounds / n)),
      samples,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    kc.close();
    await server.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, workflows: { type: 'string' }, repeats: { type: 'string' } },
  });
  const result = await benchReplica({
    workflows: Number(values.workflows ?? (values.quick ? 100 : 300)),
    repeats: Number(values.repeats ?? (values.quick ? 1 : 3)),
    print: true,
  });
  console.log(JSON.stringify({ ...result, samples: undefined }, null, 2));
}
