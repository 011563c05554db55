/**
 * `flotilla sandbox`: a small orchestrator that starts the local fleet in a fixed order and stops
 * it in reverse. For now: the embedded API server (with its simulated kubelet), persisted under
 * `<stateDir>/apiserver`, with `<stateDir>/kubeconfig` for kubectl. Later components (Redis, the
 * shard manager, replicas, the event sink) join the `components` list, each a start/stop pair.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunningApiServer } from './apiserver/index.js';

export interface SandboxOptions {
  /** Where the sandbox keeps its state (API server data, kubeconfig). @defaultValue '.flotilla' */
  stateDir?: string;
  /** API server port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** API server address. @defaultValue '127.0.0.1' */
  host?: string;
  /** Run the simulated kubelet inside the API server. @defaultValue true */
  kubelet?: boolean;
}

export interface RunningSandbox {
  readonly stateDir: string;
  readonly kubeconfigPath: string;
  readonly apiServer: RunningApiServer;
  /** Stops every component, last started first. Safe to call twice. */
  stop(): Promise<void>;
}

interface Component {
  name: string;
  stop(): Promise<void>;
}

/** Starts the sandbox; on a failure part-way, stops what was already started and rethrows. */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const stateDir = resolve(options.stateDir ?? '.flotilla');
  const dataDir = join(stateDir, 'apiserver');
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  mkdirSync(dataDir, { recursive: true });
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
    if (errors.length > 0) throw new AggregateError(errors, 'some sandbox components did not stop cleanly');
  };
  try {
    const { startApiServer } = await import('./apiserver/index.js');
    const apiServer = await startApiServer({
      port: options.port ?? 0, host: options.host ?? '127.0.0.1', dataDir, kubeconfigOut: kubeconfigPath, kubelet: options.kubelet ?? true,
    });
    started.push({ name: 'apiserver', stop: () => apiServer.stop() });
    let stopping: Promise<void> | undefined;
    return { stateDir, kubeconfigPath, apiServer, stop: () => (stopping ??= stopAll()) };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/** The lines printed once the sandbox is up. */
export function sandboxBanner(sandbox: RunningSandbox, cwd: string = process.cwd()): string {
  const rel = (path: string) => (path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path);
  const kc = `kubectl --kubeconfig ${rel(sandbox.kubeconfigPath)}`;
  return [
    'flotilla sandbox is up',
    `  API server  ${sandbox.apiServer.url}  (data in ${rel(join(sandbox.stateDir, 'apiserver'))})`,
    `  kubeconfig  ${rel(sandbox.kubeconfigPath)}`,
    '',
    'Try:',
    `  ${kc} get ns`,
    `  ${kc} get nodes`,
    `  ${kc} run demo --image=busybox --restart=Never --annotations=flotilla.io/sim-duration=5s`,
    `  ${kc} get pods --watch`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}
