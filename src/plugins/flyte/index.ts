/**
 * The plugins a FlyteWorkflow's translation needs (src/flyte/translate/contract.ts): the
 * container plugin (in-process stand-in, or pod-based: createFlytePodPlugin), the pure literal steps, and the unsupported-type failure.
 */
import type { TaskPlugin } from '../../engine/plugins.js';
import { createFlyteContainerPlugin, type FlyteContainerPluginOptions } from './container.js';
import { createLiteralStepPlugin, createUnsupportedPlugin } from './steps.js';
import { createLaunchPlanPlugin } from './launchplan.js';

export { createFlyteContainerPlugin, type ContainerLaunch, type FlyteContainerPluginOptions } from './container.js';
export { createLiteralStepPlugin, createUnsupportedPlugin } from './steps.js';
export {
  createLaunchPlanPlugin,
  childOf,
  type ChildState,
  type LaunchPlanLauncher,
  type LaunchRequest,
} from './launchplan.js';
export { collectResult } from './collect.js';
export {
  buildFlytePod,
  flytePodName,
  flyteEnvironment,
  resolveResources,
  sanitizeFlyteLabel,
  FlyteLabels,
  FLYTE_WORKFLOW_OWNER,
  type FlytePodInput,
  type PodOwnerKind,
} from './pod-build.js';
export { demystifyFailure } from './pod-failure.js';
export { createFlytePodPlugin, type FlytePodPluginOptions } from './pod-plugin.js';

/** Every Flyte plugin, in-process. */
export function flytePlugins(options: FlyteContainerPluginOptions): TaskPlugin[] {
  return [
    createFlyteContainerPlugin(options),
    createLiteralStepPlugin(),
    createUnsupportedPlugin(),
    createLaunchPlanPlugin(),
  ];
}
