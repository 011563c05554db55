/**
 * The plugin set of a run without a cluster (`flotilla run`, the engine's tests): the in-process
 * plugins and `pod` on simulated pods, all on one clock, so a virtual clock moves them together.
 */
import type { TaskPlugin } from '../engine/plugins.js';
import { inProcessPlugins } from './inprocess/index.js';
import { MemoryPodGateway } from './pod/memory-gateway.js';
import { createPodPlugin } from './pod/plugin.js';

export interface LocalPluginsOptions {
  /** The clock, ms since the epoch. @defaultValue Date.now */
  readonly clock?: () => number;
  /** The simulated pods (pass one to look at them). @defaultValue a new `MemoryPodGateway` on `clock` */
  readonly pods?: MemoryPodGateway;
}

export function localPlugins(options: LocalPluginsOptions = {}): TaskPlugin[] {
  const clock = options.clock ?? Date.now;
  return [
    ...inProcessPlugins({ clock }),
    createPodPlugin({ gateway: options.pods ?? new MemoryPodGateway({ clock }), clock }),
  ];
}
