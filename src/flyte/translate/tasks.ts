/**
 * Which plugin runs a Flyte task node, with what configuration; and why a task that cannot run
 * here fails (named, never a hang). Pure.
 */
import type { JsonObject, TaskCache, TaskTemplate } from '../../api/schema.js';
import { isObject } from '../literals/values.js';
import {
  FlytePluginNames,
  type ContainerTaskConfig,
  type LaunchPlanConfig,
  type UnsupportedConfig,
} from './contract.js';

/** Why a task type does not run here, or `undefined` when the container plugin can run it. */
export function unsupportedReason(template: JsonObject): { what: string; message: string } | undefined {
  const type = typeof template['type'] === 'string' ? template['type'] : '';
  const container = template['container'];
  if (type === 'sensor') {
    return {
      what: 'sensor',
      message:
        'task type "sensor" is not supported: sensors run in Flyte\'s agent service (flyteagent), which flotilla does not call yet',
    };
  }
  if (type === 'container_array') {
    return {
      what: 'container_array',
      message:
        'task type "container_array" (a legacy map task) is not supported: it needs the k8s array plugin; use an ArrayNode (flytekit map_task ≥ 1.12) instead',
    };
  }
  if (isObject(container) && isObject(container['dataConfig']) && container['dataConfig']['enabled'] === true) {
    return {
      what: 'copilot',
      message: `task type "${type}" is not supported: its raw container reads inputs and writes outputs as files (container.dataConfig), which needs Flyte's copilot sidecar`,
    };
  }
  if (type === 'raw-container') {
    return {
      what: 'copilot',
      message:
        'task type "raw-container" is not supported: a raw container needs Flyte\'s copilot sidecar to read inputs and write outputs',
    };
  }
  if (!isObject(container)) {
    const target = isObject(template['k8sPod'])
      ? 'a pod template (k8sPod)'
      : isObject(template['sql'])
        ? 'a SQL statement'
        : 'no container';
    return {
      what: type || 'unknown',
      message: `task type "${type}" is not supported: it has ${target}, and only container tasks run here (the ${type || 'matching'} backend plugin is missing)`,
    };
  }
  return undefined;
}

/** `{ retries }` from `retry.minAttempts` (retries + 1), else the task's `metadata.retries.retries`. */
export function retriesOf(minAttempts: number | null | undefined, template: JsonObject): number {
  if (typeof minAttempts === 'number' && minAttempts >= 1) return Math.min(100, Math.floor(minAttempts) - 1);
  const metadata = template['metadata'];
  const retries = isObject(metadata) ? metadata['retries'] : undefined;
  const n = isObject(retries) ? retries['retries'] : undefined;
  return typeof n === 'number' && n > 0 ? Math.min(100, Math.floor(n)) : 0;
}

/** The task's `id.name`, else the key. */
export function taskNameOf(template: JsonObject, key: string): string {
  const id = template['id'];
  return isObject(id) && typeof id['name'] === 'string' ? id['name'] : key;
}

/**
 * The engine's `cache` for a task whose `metadata.discoverable` is set: `discoveryVersion` is the
 * version (blank = not cacheable, as FlytePropeller refuses an empty one), and only
 * `cacheSerializable` tasks take reservations, as in Flyte.
 */
export function cacheOf(metadata: JsonObject): TaskCache | undefined {
  if (metadata['discoverable'] !== true) return undefined;
  const version = typeof metadata['discoveryVersion'] === 'string' ? metadata['discoveryVersion'].trim() : '';
  if (version === '') return undefined;
  return { version, serialize: metadata['cacheSerializable'] === true };
}

export function containerTemplate(
  config: ContainerTaskConfig,
  common: Pick<TaskTemplate, 'retries' | 'timeout' | 'interruptible' | 'cache'>,
): TaskTemplate {
  return { plugin: FlytePluginNames.container, config: config as unknown as TaskTemplate['config'], ...common };
}

export function launchPlanTemplate(config: LaunchPlanConfig): TaskTemplate {
  return { plugin: FlytePluginNames.launchPlan, config: config as unknown as TaskTemplate['config'], retries: 0 };
}

export function unsupportedTemplate(what: string, message: string): TaskTemplate {
  const config: UnsupportedConfig = { op: 'unsupported', what, message };
  return { plugin: FlytePluginNames.unsupported, config: config as unknown as TaskTemplate['config'], retries: 0 };
}
