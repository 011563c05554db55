/**
 * The plugins a FlyteWorkflow's translation needs (src/flyte/translate/contract.ts): the
 * in-process container stand-in, the pure literal steps, and the unsupported-type failure.
 */
import type { TaskPlugin } from '../../engine/plugins.js';
import { createFlyteContainerPlugin, type FlyteContainerPluginOptions } from './container.js';
import { createLiteralStepPlugin, createUnsupportedPlugin } from './steps.js';

export { createFlyteContainerPlugin, type ContainerLaunch, type FlyteContainerPluginOptions } from './container.js';
export { createLiteralStepPlugin, createUnsupportedPlugin } from './steps.js';

/** Every Flyte plugin, in-process. */
export function flytePlugins(options: FlyteContainerPluginOptions): TaskPlugin[] {
  return [createFlyteContainerPlugin(options), createLiteralStepPlugin(), createUnsupportedPlugin()];
}
