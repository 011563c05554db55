/**
 * Shared by the fleet and memory suites: `flotilla controller` as a child process (waits for its
 * `ready (metrics URL)` line), Prometheus text scrapes of its `/metrics`, and the Workflow CRD
 * posted to the embedded API server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnProcess, type ManagedProcess } from '../sandbox/processes.js';
import { workflowCrd } from '../src/api/crd.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ControllerProc {
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  /** SIGTERM, then SIGKILL after `killAfterMs`; resolves once exited. */
  stop(killAfterMs?: number): Promise<void>;
}

/** Starts `flotilla controller ARGS` (stderr inherited) and waits for its ready line. */
export async function startController(
  args: readonly string[],
  timeoutMs = 60_000,
  env: NodeJS.ProcessEnv = process.env,
  /** The tree whose `bin/flotilla.mjs` runs (an image tree: `image-tree.ts`). */
  root = ROOT,
): Promise<ControllerProc> {
  const child = spawn(process.execPath, [join(root, 'bin/flotilla.mjs'), 'controller', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (killAfterMs = 15_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    const metricsUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('controller not ready in time')), timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ready \(metrics (\S+)\)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`controller exited (${String(child.exitCode ?? child.signalCode)}) before ready`));
      });
    });
    return { child, metricsUrl, stop };
  } catch (error) {
    await stop(2000);
    throw error;
  }
}

export type Samples = Map<string, number>;

/** One scrape of `/metrics`: series (name with labels) → value. */
export async function scrape(metricsUrl: string): Promise<Samples> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Sum of every series whose name starts with `prefix` (and passes `filter`). */
export function sumSeries(samples: Samples, prefix: string, filter: (series: string) => boolean = () => true): number {
  let total = 0;
  for (const [series, value] of samples) if (series.startsWith(prefix) && filter(series)) total += value;
  return total;
}

/** A prom-client default metric: plain, or with the `flotilla_` prefix controllers before the conventional names used. */
export function processMetric(samples: Samples, name: string): number | undefined {
  return samples.get(`flotilla_${name}`) ?? samples.get(name);
}

/** User + system CPU seconds of the process behind `samples`. */
export function cpuSeconds(samples: Samples): number {
  const user = processMetric(samples, 'process_cpu_user_seconds_total');
  const system = processMetric(samples, 'process_cpu_system_seconds_total');
  if (user === undefined || system === undefined) throw new Error('no process_cpu_*_seconds_total in /metrics');
  return user + system;
}

/** System (kernel) CPU seconds of the process behind `samples`. */
export function systemCpuSeconds(samples: Samples): number {
  const system = processMetric(samples, 'process_cpu_system_seconds_total');
  if (system === undefined) throw new Error('no process_cpu_system_seconds_total in /metrics');
  return system;
}

/** Creates the Workflow CRD on the API server at `url`. */
export function postCrd(url: string, ca: string, token: string): Promise<void> {
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

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker()));
}

/** `flotilla apiserver` (no kubelet) as its own process, its kubeconfig and log in `dir`. */
export async function startApiServerProcess(dir: string): Promise<{ api: ManagedProcess; kubeconfigFile: string }> {
  const kubeconfigFile = join(dir, 'kubeconfig');
  const api = await spawnProcess({
    name: 'apiserver',
    command: process.execPath,
    args: [
      join(ROOT, 'bin/flotilla.mjs'),
      'apiserver',
      '--no-kubelet',
      '--port',
      '0',
      '--kubeconfig-out',
      kubeconfigFile,
    ],
    ready: /API server listening on (\S+)/,
    readyTimeoutMs: 60_000,
    cwd: ROOT,
    logFile: join(dir, 'apiserver.log'),
  });
  return { api, kubeconfigFile };
}
