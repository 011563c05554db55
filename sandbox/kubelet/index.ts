/**
 * The simulated kubelet: runs Pods through their phases without containers, in the spirit of kwok.
 * The embedded API server starts one (unless told not to) through {@link startKubelet}.
 */
import type { Logger } from 'pino';

export interface KubeletOptions {
  /** A kubeconfig (YAML text) for the API server the kubelet talks to. */
  kubeconfig: string;
  /** The node the simulated Pods are scheduled on. @defaultValue 'sandbox-node' */
  nodeName?: string;
  /** Timings used when a Pod carries no annotation. */
  defaults?: {
    /** How long a Pod stays Pending (ContainerCreating) before it runs. @defaultValue 100 */
    pendingMs?: number;
    /** How long a Pod runs when it has no `flotilla.io/sim-duration`. @defaultValue 1000 */
    runMs?: number;
  };
  /** Status writes and deletes in flight at once. @defaultValue 16 */
  concurrency?: number;
  /** Restart the Pod watch when it has been silent this long. @defaultValue 300000 */
  idleRestartMs?: number;
  /** Where to log. @defaultValue a pino logger on stderr at FLOTILLA_LOG_LEVEL (default warn) */
  logger?: Logger;
}

/** A running simulated kubelet. */
export interface RunningKubelet {
  stop(): Promise<void>;
  /** Pods known, timers armed, keys queued, informer restarts. */
  stats(): { pods: number; timers: number; queued: number; informerRestarts: number };
}

export async function startKubelet(options: KubeletOptions): Promise<RunningKubelet> {
  const { Kubelet } = await import('./kubelet.js');
  const kubelet = new Kubelet(options);
  await kubelet.start();
  return { stop: () => kubelet.stop(), stats: () => kubelet.stats() };
}
