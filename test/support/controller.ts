/**
 * `flotilla controller` as a real process for tests: the embedded API server (with its simulated
 * kubelet and the Workflow CRD), a real Redis, and controller processes spawned through
 * `node bin/flotilla.mjs controller ...` that are waited for (`controller <id> ready (metrics URL)`)
 * and stopped with a signal, returning their exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { workflowCrd } from '../../src/api/crd.js';
import { type OwnershipRecord, type TaskStartRecord } from '../../sandbox/invariants.js';
import { parseReplicaAudit } from '../../sandbox/audit-parse.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../../src/kube/workflow-client.js';
import type { Workflow } from '../../src/api/workflow.js';
import { startTestApiServer, type TestApiServer } from './apiserver.js';
import type { ApiUser } from '../../sandbox/apiserver/index.js';
import { RedisServer } from './redis.js';
import { waitFor } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const wfApi = { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL };

export interface ControllerEnv {
  api: TestApiServer;
  redis: RedisServer;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  stop(): Promise<void>;
}

/** POSTs raw JSON with the server's CA and token. */
function postJson(api: TestApiServer, path: string, body: unknown): Promise<void> {
  const { server } = api;
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method: 'POST',
        ca: server.caPem,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`POST ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** API server (kubelet on; its pyflyte-execute stand-in on `blobStoreUrl`; RBAC-checked `users` beside the admin token) + Redis; the CRD installed unless `installCrd: false` (then the controller's `--install-crd` does it). */
export async function startControllerEnv(
  options: { installCrd?: boolean; blobStoreUrl?: string; users?: readonly ApiUser[] } = {},
): Promise<ControllerEnv> {
  const apiOptions = {
    kubelet: true,
    ...(options.users ? { users: options.users } : {}),
    ...(options.blobStoreUrl !== undefined ? { blobStoreUrl: options.blobStoreUrl } : {}),
  };
  const [api, redis] = await Promise.all([startTestApiServer(apiOptions), RedisServer.start({ persist: false })]);
  if (options.installCrd ?? true)
    await postJson(api, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', workflowCrd());
  const custom = api.kc.makeApiClient(CustomObjectsApi);
  const core = api.kc.makeApiClient(CoreV1Api);
  return {
    api,
    redis,
    custom,
    core,
    stop: async () => {
      await Promise.all([api.stop(), redis.stop()]);
    },
  };
}

export interface ControllerProcessHandle {
  readonly id: string;
  readonly child: ChildProcess;
  metricsUrl: string;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code once exited. */
  exited: Promise<number | null>;
}

export interface SpawnControllerOptions {
  id: string;
  kubeconfig: string;
  redisUrl: string;
  /** `--shards` (static mode). @defaultValue '0' */
  shards?: string;
  args?: string[];
  env?: Record<string, string>;
  /** How long to wait for the ready line. @defaultValue 30000 */
  readyTimeoutMs?: number;
  /** The tree whose `bin/flotilla.mjs` runs (e.g. one laid out as the image). @defaultValue the checkout */
  root?: string;
}

export async function spawnController(options: SpawnControllerOptions): Promise<ControllerProcessHandle> {
  const root = options.root ?? ROOT;
  const args = [
    join(root, 'bin/flotilla.mjs'),
    'controller',
    '--kubeconfig',
    options.kubeconfig,
    '--redis',
    options.redisUrl,
    '--replica-id',
    options.id,
    '--metrics-port',
    '0',
    '--log-level',
    'warn',
    ...(options.shards === '' ? [] : ['--shards', options.shards ?? '0']),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const handle: ControllerProcessHandle = {
    id: options.id,
    child,
    metricsUrl: '',
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (done) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  try {
    await waitFor(
      () => {
        if (done) throw new Error(`controller ${options.id} exited before ready: ${err.slice(-2000)}`);
        const match = /controller \S+ ready \(metrics (http:\/\/\S+)\)/.exec(out);
        if (match?.[1]) handle.metricsUrl = match[1];
        return Boolean(match);
      },
      { what: `controller ${options.id} ready`, timeoutMs: options.readyTimeoutMs ?? 30_000 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return handle;
}

/** A Workflow object with the shard label. */
export function workflow(
  name: string,
  spec: Record<string, unknown>,
  options: { namespace?: string; shard?: number; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'flotilla.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      labels: { 'flotilla.io/shard': String(options.shard ?? 0), ...(options.labels ?? {}) },
    },
    spec,
  };
}

export async function submit(env: ControllerEnv, body: Record<string, unknown>): Promise<Workflow> {
  const namespace = (body.metadata as { namespace?: string }).namespace ?? 'default';
  return (await env.custom.createNamespacedCustomObject({ ...wfApi, namespace, body })) as Workflow;
}

export async function getWorkflow(
  env: ControllerEnv,
  name: string,
  namespace = 'default',
): Promise<Workflow | undefined> {
  try {
    return (await env.custom.getNamespacedCustomObject({ ...wfApi, namespace, name })) as Workflow;
  } catch {
    return undefined;
  }
}

/** Waits until the workflow is in a terminal phase; returns it. */
export async function waitTerminal(
  env: ControllerEnv,
  name: string,
  timeoutMs = 30_000,
  namespace = 'default',
): Promise<Workflow> {
  let last: Workflow | undefined;
  await waitFor(
    async () => {
      last = await getWorkflow(env, name, namespace);
      return ['Succeeded', 'Failed', 'Aborted', 'TimedOut'].includes(last?.status?.phase ?? '');
    },
    { what: `${namespace}/${name} terminal (last phase ${String(last?.status?.phase)})`, timeoutMs },
  );
  if (!last) throw new Error('unreachable');
  return last;
}

/** Successful Pod creates per Pod name, from the API server's write audit. */
export function podCreates(env: ControllerEnv): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of env.api.server.faults.audit({ resource: 'pods', verb: 'create' })) {
    if (entry.code >= 300) continue;
    const key = `${entry.namespace}/${entry.name}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** One metric sample's value from a `/metrics` URL (0 when absent). */
export async function metricValue(metricsUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (pattern.test(line)) total += Number(line.split(' ').pop());
  }
  return total;
}

/** A round line of an audit file, its time in ms (as the controller writes it). */
export type AuditedRound = OwnershipRecord & { at: number };

/** The round lines of a controller's `--audit-log` file (empty when it cannot be read). */
export function readAudit(path: string): AuditedRound[] {
  return readReplicaAudit(path).ownership.map((r) => ({
    ...r,
    at: typeof r.at === 'number' ? r.at : Date.parse(r.at),
  }));
}

/** A controller's `--audit-log` file: round lines and committed task starts (empty when it cannot be read). */
export function readReplicaAudit(path: string): { ownership: OwnershipRecord[]; taskStarts: TaskStartRecord[] } {
  try {
    return parseReplicaAudit(readFileSync(path, 'utf8'));
  } catch {
    return { ownership: [], taskStarts: [] };
  }
}
