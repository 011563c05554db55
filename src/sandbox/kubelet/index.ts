/**
 * The simulated kubelet: runs Pods through their phases without containers, in the spirit of kwok.
 * The embedded API server starts one (unless told not to) through {@link startKubelet}.
 */
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
}

/** A running simulated kubelet. */
export interface RunningKubelet {
  stop(): Promise<void>;
}

export async function startKubelet(options: KubeletOptions): Promise<RunningKubelet> {
  const { Kubelet } = await import('./kubelet.js');
  const kubelet = new Kubelet(options);
  await kubelet.start();
  return { stop: () => kubelet.stop() };
}
