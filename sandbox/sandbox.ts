/**
 * `flotilla sandbox`: a small orchestrator that starts the local fleet in a fixed order and stops
 * it in reverse: the embedded API server (with its simulated kubelet, in this process, persisted
 * under `<stateDir>/apiserver`, `<stateDir>/kubeconfig` for kubectl) → Redis → the Workflow CRD →
 * the event sink → the example agent → the shard manager → the replicas (separate processes, see
 * fleet.ts) → the web console (src/console, in this process, on a free loopback port).
 * `<stateDir>/sandbox.json` says where everything is (state.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunningApiServer } from './apiserver/index.js';
import type { RunningConsole } from '../src/console/server.js';
import { Fleet, type SandboxRedisMode } from './fleet.js';
import { removeState, writeState, type SandboxState } from './state.js';
import type { SandboxWebhook } from './webhook.js';
import type { SandboxAdmin } from './admin/sandbox-admin.js';

export interface SandboxOptions {
  /** Where the sandbox keeps its state (API server data, kubeconfig, logs). @defaultValue '.flotilla' */
  stateDir?: string;
  /** API server port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** API server address. @defaultValue '127.0.0.1' */
  host?: string;
  /** Run the simulated kubelet inside the API server. @defaultValue true */
  kubelet?: boolean;
  /** Use this Redis instead of starting one. */
  redisUrl?: string;
  /** The Redis to start when none is given (fleet.ts). @defaultValue 'single' */
  redisMode?: SandboxRedisMode;
  /** Replicas to run. @defaultValue 3 */
  replicas?: number;
  /** Shards of the fleet. @defaultValue 16 */
  shardCount?: number;
  /** Start the Redis, event sink, agent, manager and replicas (false: API server only). @defaultValue true */
  fleet?: boolean;
  /** Delay before a dead replica is restarted. @defaultValue 3000 */
  restartDelayMs?: number;
  /**
   * Also run FlyteWorkflows: install the FlyteWorkflow CRD, keep a file:// blob store under
   * `<stateDir>/blobs` (named in sandbox.json as `blobStore.url`), give it to the kubelet's
   * pyflyte-execute stand-in and to the replicas (`--flyte --blob-store`). @defaultValue false
   */
  flyte?: boolean;
  /**
   * Run the admission webhook as the chart does (sandbox/webhook.ts): invalid Workflows are refused
   * at the door. @defaultValue true
   */
  webhook?: boolean;
  /** Something worth showing happened (a replica died or restarted). */
  onEvent?: (message: string) => void;
}

export interface RunningSandbox {
  readonly stateDir: string;
  readonly kubeconfigPath: string;
  readonly apiServer: RunningApiServer;
  readonly kubeConfig: KubeConfig;
  /** Null when started with `fleet: false`. */
  readonly fleet: Fleet | null;
  /** Null when started with `webhook: false`. */
  readonly webhook: SandboxWebhook | null;
  /** The web console. */
  readonly console: RunningConsole;
  readonly startedAt: Date;
  /** What `sandbox.json` holds now. */
  state(): SandboxState;
  /** Stops every component, last started first. Safe to call twice. */
  stop(): Promise<void>;
}

/** The console's action token, beside the kubeconfig (same secrecy). */
const CONSOLE_TOKEN_FILE = 'console-token';

interface Component {
  name: string;
  stop(): Promise<void>;
}

function stateOf(
  stateDir: string,
  kubeconfigPath: string,
  apiServer: RunningApiServer,
  fleet: Fleet | null,
  startedAt: Date,
  blobStoreUrl?: string,
  consoleServer?: RunningConsole,
  admin?: SandboxAdmin,
): SandboxState {
  return {
    apiServer: { url: apiServer.url, kubeconfig: kubeconfigPath },
    redis: {
      url: fleet?.redisUrl ?? '',
      mode: fleet?.redisMode ?? 'single',
      pid: fleet?.redis?.running() ? fleet.redis.pid : null,
      pids: fleet?.redisPids ?? [],
    },
    eventSink:
      fleet?.eventSink?.running() && fleet.eventSinkAddress
        ? { address: fleet.eventSinkAddress, pid: fleet.eventSink.pid }
        : null,
    agent: fleet?.agent?.running() && fleet.agentAddress ? { address: fleet.agentAddress, pid: fleet.agent.pid } : null,
    manager: fleet?.manager?.running() ? { pid: fleet.manager.pid, metrics: fleet.managerMetrics } : null,
    replicas: (fleet?.replicaInfos ?? []).map((r) => ({
      name: r.name,
      pid: r.process?.running() ? r.process.pid : null,
      metrics: r.process ? r.metrics : null,
    })),
    blobStore: blobStoreUrl !== undefined ? { url: blobStoreUrl } : null,
    console: consoleServer ? { url: consoleServer.url, tokenFile: join(stateDir, CONSOLE_TOKEN_FILE) } : null,
    admin: admin ? { address: admin.admin.address, tokenFile: admin.tokenFile, eventsFile: admin.eventsFile } : null,
    sandbox: { pid: process.pid },
    startedAt: startedAt.toISOString(),
  };
}

/** Starts the sandbox; on a failure part-way, stops what was already started and rethrows. */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const stateDir = resolve(options.stateDir ?? '.flotilla');
  const dataDir = join(stateDir, 'apiserver');
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  mkdirSync(dataDir, { recursive: true });
  const blobStoreUrl = options.flyte ? pathToFileURL(join(stateDir, 'blobs')).href : undefined;
  const startedAt = new Date();
  const started: Component[] = [];
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const component of started.splice(0).reverse()) {
      try {
        await component.stop();
      } catch (error) {
        errors.push(error);
      }
    }
    removeState(stateDir);
    if (errors.length > 0) throw new AggregateError(errors, 'some sandbox components did not stop cleanly');
  };
  try {
    const { startApiServer } = await import('./apiserver/index.js');
    const { loadKubeConfig } = await import('../src/kube/config.js');
    const apiServer = await startApiServer({
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      dataDir,
      kubeconfigOut: kubeconfigPath,
      kubelet: options.kubelet ?? true,
      ...(blobStoreUrl !== undefined ? { blobStoreUrl } : {}),
    });
    started.push({ name: 'apiserver', stop: () => apiServer.stop() });
    const kubeConfig = loadKubeConfig({ file: kubeconfigPath });
    let fleet: Fleet | null = null;
    // Set once the console is up; the fleet's PID-change saves before that write no console.
    const consoleRef: { current?: RunningConsole } = {};
    let admin: SandboxAdmin | undefined;
    const save = () =>
      writeState(
        stateDir,
        stateOf(stateDir, kubeconfigPath, apiServer, fleet, startedAt, blobStoreUrl, consoleRef.current, admin),
      );
    const { installCrd, ensureNamespace } = await import('./examples.js');
    await installCrd(apiServer, kubeConfig);
    // Task Pods asking for secrets get them (or fail clearly) as with the chart's webhook: the
    // sandbox's webhook serves `/mutate-pods` too; without it (`--no-webhook`) a secrets-only one does.
    if (options.webhook === false) {
      const { startSandboxSecretsWebhook } = await import('./secrets-webhook.js');
      const secretsWebhook = await startSandboxSecretsWebhook(kubeConfig);
      started.push({ name: 'secrets webhook', stop: () => secretsWebhook.stop() });
    }
    if (blobStoreUrl !== undefined) {
      const { installWorkflowCrd } = await import('../src/controller/crd-install.js');
      const { flyteWorkflowCrd } = await import('../src/flyte/crd.js');
      await installWorkflowCrd(kubeConfig, { crd: flyteWorkflowCrd(), timeoutMs: 15_000 });
      const { startSandboxAdmin } = await import('./admin/sandbox-admin.js');
      const { launchPlanLauncher } = await import('./admin/launcher.js');
      const opened = await startSandboxAdmin(stateDir, launchPlanLauncher(kubeConfig));
      admin = opened;
      started.push({ name: 'admin', stop: () => opened.stop() });
    }
    const fleetNamespace = 'flotilla-system';
    const { removeWebhookConfigurations, startSandboxWebhook } = await import('./webhook.js');
    // The webhook starts beside the fleet (its process takes as long as a replica to come up);
    // its configurations say `Ignore`, so nothing written meanwhile is refused for its absence.
    let webhookStart: Promise<SandboxWebhook | null> = Promise.resolve(null);
    if (options.webhook ?? true) {
      await ensureNamespace(kubeConfig, fleetNamespace);
      const starting = startSandboxWebhook({
        kubeConfig,
        stateDir,
        namespace: fleetNamespace,
        shardCount: options.shardCount ?? 16,
      });
      starting.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      webhookStart = starting;
      started.push({
        name: 'webhook',
        stop: async () => {
          const running = await starting.catch(() => null);
          await running?.stop();
        },
      });
    } else await removeWebhookConfigurations(kubeConfig);
    if (options.fleet ?? true) {
      fleet = new Fleet({
        fleetNamespace,
        stateDir,
        kubeconfigPath,
        onChange: save,
        ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
        ...(options.redisMode ? { redisMode: options.redisMode } : {}),
        ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
        ...(options.shardCount !== undefined ? { shardCount: options.shardCount } : {}),
        ...(options.restartDelayMs !== undefined ? { restartDelayMs: options.restartDelayMs } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(blobStoreUrl !== undefined ? { flyteBlobStoreUrl: blobStoreUrl } : {}),
        ...(admin ? { replicaArgs: admin.replicaArgs } : {}),
      });
      const running = fleet;
      started.push({ name: 'fleet', stop: () => running.stop() });
      await fleet.startRedis();
      await ensureNamespace(kubeConfig, fleet.fleetNamespace);
      await fleet.startServices();
      await fleet.startFleet();
    }
    const webhook = await webhookStart;
    const { startConsole } = await import('../src/console/server.js');
    // The console lists a workflow's execution events from the fleet's event sink.
    const sinkAddress = fleet?.eventSinkAddress ?? null;
    // ... and the offloaded node outputs from the fleet's blob store (when it has one).
    const consoleBlobStore =
      blobStoreUrl !== undefined
        ? await (await import('../src/storage/open.js')).openBlobStore(blobStoreUrl)
        : undefined;
    if (consoleBlobStore) started.push({ name: 'console blob store', stop: () => consoleBlobStore.close() });
    const runningConsole = await startConsole({
      kubeConfig,
      listen: '127.0.0.1:0',
      ...(sinkAddress ? { eventSink: { address: sinkAddress } } : {}),
      ...(consoleBlobStore ? { blobStore: consoleBlobStore } : {}),
    });
    consoleRef.current = runningConsole;
    started.push({ name: 'console', stop: () => runningConsole.stop() });
    writeFileSync(join(stateDir, CONSOLE_TOKEN_FILE), `${runningConsole.token}\n`, { mode: 0o600 });
    save();
    let stopping: Promise<void> | undefined;
    return {
      stateDir,
      kubeconfigPath,
      apiServer,
      kubeConfig,
      fleet,
      webhook,
      console: runningConsole,
      startedAt,
      state: () => stateOf(stateDir, kubeconfigPath, apiServer, fleet, startedAt, blobStoreUrl, runningConsole, admin),
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/** The lines printed once the sandbox is up: where things are and what to try next. */
export function sandboxBanner(
  sandbox: RunningSandbox,
  cwd: string = process.cwd(),
  waitingGate?: { namespace: string; name: string; signal: string; value: string },
): string {
  const rel = (path: string) => (path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path);
  const kc = `kubectl --kubeconfig ${rel(sandbox.kubeconfigPath)}`;
  const state = sandbox.state();
  const lines = [
    'flotilla sandbox is up',
    `  API server  ${sandbox.apiServer.url}  (data in ${rel(join(sandbox.stateDir, 'apiserver'))})`,
    `  kubeconfig  ${rel(sandbox.kubeconfigPath)}`,
    `  console     ${sandbox.console.url}#token=${sandbox.console.token}  (the token allows actions)`,
  ];
  if (sandbox.webhook)
    lines.push(`  webhook     ${sandbox.webhook.url} (refuses invalid Workflows; --no-webhook leaves it out)`);
  if (sandbox.fleet) {
    const started = state.redis.pids?.length ?? 0;
    const what =
      started === 0 ? ' (given)' : state.redis.mode === 'single' ? '' : ` (${state.redis.mode}: ${started} processes)`;
    lines.push(`  Redis       ${state.redis.url}${what}`);
    if (state.eventSink) lines.push(`  event sink  ${state.eventSink.address}`);
    if (state.agent) lines.push(`  agent       ${state.agent.address} (notifier)`);
    lines.push(`  manager     ${state.manager ? `pid ${state.manager.pid}` : 'not in this build'}`);
    lines.push(
      `  replicas    ${state.replicas.length > 0 ? state.replicas.map((r) => `${r.name} (pid ${r.pid ?? '-'})`).join(', ') : 'not in this build'}`,
    );
    lines.push(
      `  state       ${rel(join(sandbox.stateDir, 'sandbox.json'))} · logs in ${rel(join(sandbox.stateDir, 'logs'))}`,
    );
    if (state.blobStore) lines.push(`  blob store  ${state.blobStore.url} (FlyteWorkflows: kubectl get fly -A)`);
    if (state.admin)
      lines.push(`  flyteadmin  ${state.admin.address} (recording; events in ${rel(state.admin.eventsFile)})`);
  }
  const kcEnv = `KUBECONFIG=${rel(sandbox.kubeconfigPath)}`;
  lines.push('', 'Try:', `  ${kc} get wf -A`, `  ${kc} get pods -A --watch`);
  if (sandbox.fleet) {
    lines.push(`  ${kcEnv} npx shardctl status`);
    lines.push(`  ${kcEnv} npx shardctl move <shard> <replica>`);
    const gate = waitingGate ?? { namespace: 'default', name: 'gates', signal: 'threshold', value: '0.75' };
    lines.push(`  ${kcEnv} npx flotilla signal ${gate.namespace}/${gate.name} ${gate.signal} ${gate.value}`);
  }
  lines.push('', 'Ctrl-C stops it.', '');
  return lines.join('\n');
}
