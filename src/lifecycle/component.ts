/**
 * What every long-running part of a process is to the process: something that starts and stops.
 *
 * Stages say when, stated once here: **servers → caches → leases → workers**, stopped in reverse.
 * - `server`: endpoints that need nothing else started here (metrics and health, admission): up
 *   first so probes answer while the rest starts, down last.
 * - `cache`: state the work reads (informers, the lease cache, a store connection).
 * - `lease`: what proves this process may act (member lease, manager candidacy).
 * - `worker`: what acts on the caches under the leases (shards' queues and rounds, the ownership
 *   loop, the janitor, a gRPC service writing to its store). Stopped first, so work in flight
 *   finishes while its caches and leases are still there.
 */
export type Stage = 'server' | 'cache' | 'lease' | 'worker';

/** The start order; the stop order is its reverse. */
export const STAGES: readonly Stage[] = ['server', 'cache', 'lease', 'worker'];

export interface StopOptions {
  /** How long work in flight may take to finish before it is cut short. */
  readonly graceMs: number;
}

/**
 * Contract: `start` resolves once the component is usable (listening, synced, joined) and, when it
 * throws, leaves nothing running; `signal` aborts when a stop is requested during the start (never
 * after it: the stop itself comes through `stop`, in order). `stop`
 * is called at most once, and only after `start` resolved.
 */
export interface Component {
  /** For logs and errors, e.g. `'metrics server'`. */
  readonly name: string;
  readonly stage: Stage;
  start(signal: AbortSignal): Promise<void>;
  stop(options: StopOptions): Promise<void>;
}

export interface ComponentSpec {
  readonly name: string;
  readonly stage: Stage;
  /** @defaultValue nothing to start */
  start?(signal: AbortSignal): Promise<unknown> | void;
  /** @defaultValue nothing to stop */
  stop?(options: StopOptions): Promise<unknown> | void;
}

/** A component from two functions (either may be left out), for parts that are not classes of their own. */
export function component(spec: ComponentSpec): Component {
  return {
    name: spec.name,
    stage: spec.stage,
    start: async (signal) => {
      await spec.start?.(signal);
    },
    stop: async (options) => {
      await spec.stop?.(options);
    },
  };
}
