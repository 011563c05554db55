/**
 * The simulated kubelet: runs Pods through their phases without containers, in the spirit of kwok.
 * The embedded API server starts one (unless told not to) through {@link startKubelet}.
 */
import type { KubeletOptions } from './options.js';

export type { KubeletOptions } from './options.js';

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
