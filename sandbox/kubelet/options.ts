/** What a simulated kubelet is told when it starts. */
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
  /** Restart the Pod watch when it has been silent this long. @defaultValue 120000 (the informer's watchdog) */
  idleRestartMs?: number;
  /** Where to log. @defaultValue a pino logger on stderr at FLOTILLA_LOG_LEVEL (default warn) */
  logger?: Logger;
}
