/**
 * Real `flotilla` processes for the fleet tests: spawn one, wait for its start line, signal it
 * (SIGTERM, SIGKILL, SIGSTOP/SIGCONT), and check the replicas' audit logs with the fleet's one
 * invariants checker (`sandbox/invariants.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { workflowCrd } from '../../src/api/crd.js';
import {
  checkInvariants,
  type InvariantReport,
  type OwnershipRecord,
  type TaskStartRecord,
} from '../../sandbox/invariants.js';
import { parseReplicaAudit } from '../../sandbox/audit-parse.js';
import { startTestApiServer, type TestApiServer } from './apiserver.js';
import { RedisServer } from './redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const flotillaBin = join(root, 'bin/flotilla.mjs');

export interface FlotillaProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** `performance.timeOrigin + performance.now()` when it was seen to exit, for audits. */
  exitedAtMs(): number | undefined;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM (after SIGCONT, in case it was stopped), then SIGKILL after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<number | string>;
}

/** Starts `flotilla ARGS` and waits until stdout matches `started`. */
export async function startFlotilla(
  args: readonly string[],
  started: RegExp,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<FlotillaProcess> {
  const child = spawn(process.execPath, [flotillaBin, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  let exitedAt: number | undefined;
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-200_000)));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      exitedAt = Date.now();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`flotilla ${args[0] ?? ''} did not start in time: ${stderr.slice(-2000)}`)),
      options.timeoutMs ?? 40_000,
    );
    const check = () => {
      if (started.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`flotilla ${args[0] ?? ''} exited with ${String(code)} before starting: ${stderr.slice(-2000)}`),
      );
    });
    check();
  });
  const handle: FlotillaProcess = {
    child,
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    exitedAtMs: () => exitedAt,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async (killAfterMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return handle;
}

/** One replica's audit file (`flotilla controller --audit-log`), parsed; empty when it does not exist. */
export function readAudit(file: string): { ownership: OwnershipRecord[]; taskStarts: TaskStartRecord[] } {
  return existsSync(file) ? parseReplicaAudit(readFileSync(file, 'utf8')) : { ownership: [], taskStarts: [] };
}

/** An audit time in ms (the controller writes numbers). */
export function atMs(at: number | string): number {
  return typeof at === 'number' ? at : Date.parse(at);
}

// ---------------------------------------------------------------------------------------------
// A fleet environment: embedded API server (with the simulated kubelet and the Workflow CRD),
// a real Redis, the fleet namespace, a temp dir for audit logs, and `flotilla controller`s.

export const FLEET_NS = 'flotilla-system';

export interface FleetEnv {
  readonly api: TestApiServer;
  readonly redis: RedisServer;
  readonly dir: string;
  readonly shardCount: number;
  readonly controllers: Map<string, FlotillaProcess>;
  /** Starts `flotilla controller` in lease mode with an audit log in `dir`. */
  controller(id: string, options?: { manager?: boolean }): Promise<FlotillaProcess>;
  auditFile(id: string): string;
  /** Creates a Workflow with one pod task (simulated kubelet, `podMs` run time), unlabelled. */
  submit(name: string, podMs?: number): Promise<void>;
  phase(name: string): Promise<string | undefined>;
  /** Successful pod creates per pod name (the API server's write audit). */
  podCreates(): Map<string, number>;
  stop(): Promise<void>;
}

export async function startFleetEnv(options: { shardCount?: number } = {}): Promise<FleetEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-fleet-'));
  const [api, redis] = await Promise.all([
    startTestApiServer({ kubelet: true }),
    RedisServer.start({ persist: false }),
  ]);
  const crdFile = join(dir, 'crd.json');
  writeFileSync(crdFile, JSON.stringify(workflowCrd()));
  const applied = await api.kubectl(['apply', '-f', crdFile]);
  if (applied.code !== 0) throw new Error(`CRD apply failed: ${applied.stderr}`);
  await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: FLEET_NS } } });
  const custom = api.kc.makeApiClient(CustomObjectsApi);
  const wf = { group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows' };
  for (let i = 0; ; i++) {
    try {
      await custom.listClusterCustomObject(wf);
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const shardCount = options.shardCount ?? 8;
  const controllers = new Map<string, FlotillaProcess>();
  const auditFile = (id: string) => join(dir, `audit-${id}.jsonl`);
  return {
    api,
    redis,
    dir,
    shardCount,
    controllers,
    auditFile,
    controller: async (id, opts = {}) => {
      const p = await startFlotilla(
        [
          'controller',
          '--kubeconfig',
          api.kubeconfigPath,
          '--redis',
          redis.url,
          '--replica-id',
          id,
          '--fleet-namespace',
          FLEET_NS,
          '--shard-count',
          String(shardCount),
          '--metrics-port',
          '0',
          '--audit-log',
          auditFile(id),
          '--log-level',
          'warn',
          ...(opts.manager ? ['--manager'] : []),
        ],
        new RegExp(`controller ${id} ready`),
      );
      controllers.set(id, p);
      return p;
    },
    submit: async (name, podMs = 300) => {
      await custom.createNamespacedCustomObject({
        ...wf,
        namespace: 'default',
        body: {
          apiVersion: 'flotilla.io/v1alpha1',
          kind: 'Workflow',
          metadata: { name },
          spec: {
            tasks: {
              run: {
                plugin: 'pod',
                pod: { image: 'busybox', command: ['true'], annotations: { 'flotilla.io/sim-duration': `${podMs}ms` } },
              },
              say: { plugin: 'echo' },
            },
            nodes: [
              { id: 'work', kind: 'task', task: 'run' },
              { id: 'after', kind: 'task', task: 'say', dependsOn: ['work'] },
            ],
          },
        },
      });
    },
    phase: async (name) => {
      const body = (await custom.getNamespacedCustomObject({ ...wf, namespace: 'default', name })) as {
        status?: { phase?: string };
      };
      return body.status?.phase;
    },
    podCreates: () => {
      const counts = new Map<string, number>();
      for (const entry of api.server.faults.audit({ resource: 'pods', verb: 'create' })) {
        if (entry.code >= 300) continue;
        counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1);
      }
      return counts;
    },
    stop: async () => {
      await Promise.all([...controllers.values()].map((p) => p.stop()));
      await Promise.all([api.stop(), redis.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The fleet invariants over every replica's audit and the API server's pod creates: no two
 * replicas acting on one shard at once, no task attempt recorded as started twice, no pod created
 * twice. A replica's open rounds (a start with no end) run until its process was seen to exit
 * (SIGKILL), or, for one still running, until now (they may still be running).
 */
export function checkFleetAudits(env: FleetEnv, ids: readonly string[]): InvariantReport {
  const now = Date.now();
  const audits = ids.map((id) => readAudit(env.auditFile(id)));
  return checkInvariants({
    workflows: [],
    ownership: audits.flatMap((a) => a.ownership),
    taskStarts: audits.flatMap((a) => a.taskStarts),
    deaths: ids.map((replica) => ({ replica, at: env.controllers.get(replica)?.exitedAtMs() ?? now })),
    podCreates: env.api.server.faults
      .audit({ resource: 'pods', verb: 'create' })
      .map((e) => ({ namespace: e.namespace, name: e.name, code: e.code })),
  });
}
