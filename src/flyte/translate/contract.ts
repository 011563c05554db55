/**
 * What the translation hands the Flyte plugins through a native task template's `config`: the
 * contract between `src/flyte/translate` (which writes it) and `src/plugins/flyte` (which reads
 * it). Everything here is plain JSON, so it survives the status round-trip like any template.
 */
import type { JsonObject, JsonValue } from '../../api/schema.js';
import { isObject } from '../literals/values.js';
import type { StandInRule } from '../container/stand-in.js';

/** Plugin names the translation uses. */
export const FlytePluginNames = {
  /** Runs a Flyte container task (in-process: the stand-in; in a cluster: a pod). */
  container: 'flyte-container',
  /** Pure literal steps: assemble a binding, pick a branch case, split an array's inputs. */
  literal: 'flyte-literal',
  /** Fails the node with a message naming what is not supported. */
  unsupported: 'flyte-unsupported',
  /** Starts a launch plan as a child execution and follows it to its end. */
  launchPlan: 'flyte-launchplan',
} as const;

/** Prefixes of the nodes the translation adds (never Flyte ids: the compiler writes `n<i>`, `start-node`, `end-node`). */
export const SyntheticPrefix = { cond: '_cond-', items: '_items-', bind: '_bind-' } as const;

/** Whether an engine node id (one path segment) is one the translation added. */
export function isSyntheticId(id: string): boolean {
  return (
    id.startsWith(SyntheticPrefix.cond) || id.startsWith(SyntheticPrefix.items) || id.startsWith(SyntheticPrefix.bind)
  );
}

/** The execution a node belongs to (Flyte's execution id). */
export interface ExecutionRef {
  readonly project: string;
  readonly domain: string;
  readonly name: string;
}

/** Kubernetes quantities by resource name (`cpu`, `memory`, `nvidia.com/gpu`...). */
export interface ResourceQuantities {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

/**
 * What a task's Pod needs beyond the TaskTemplate (the pod-based plugin reads it; the in-process
 * one ignores it): the FlyteWorkflow's execution-wide settings and the node's overrides.
 */
export interface ContainerPodSettings {
  /** The FlyteWorkflow's labels (`execution-id`, `workflow-name`, `project`, `domain`...): Flyte copies them onto every task Pod. */
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.id` (`project:domain:name`): `FLYTE_INTERNAL_EXECUTION_WORKFLOW`. */
  readonly workflowId: string;
  /** `securityContext.run_as.k8s_service_account`, else `serviceAccountName`. @defaultValue the namespace's default */
  readonly serviceAccount?: string;
  /** The node's `resources` override (Kubernetes form). */
  readonly resources?: ResourceQuantities;
  /** `executionConfig.TaskResources`: defaults for requests and limits the task leaves unset (`"0"` = unset). */
  readonly defaultResources?: ResourceQuantities;
  /** `executionConfig.EnvironmentVariables`. */
  readonly environment?: Readonly<Record<string, string>>;
}

/** `config` of a `flyte-container` template. */
export interface ContainerTaskConfig {
  readonly op: 'container';
  /** The key of the task in the FlyteWorkflow's `tasks`. */
  readonly taskKey: string;
  /** The task's `id.name` (e.g. `demo.chain.fetch`). */
  readonly taskName: string;
  /** The TaskTemplate, protobuf JSON. */
  readonly template: JsonObject;
  /** The Flyte node id (for an array item: the array node's id). */
  readonly nodeId: string;
  /** Flyte ids of the enclosing nodes, outermost first (branch, sub-workflow or array nodes). */
  readonly parents: readonly string[];
  /** Set for an array's item: the item's literals arrive as the engine input `item`, and the item index is the last segment of the engine path. */
  readonly arrayItem?: boolean;
  /** The execution's metadata prefix (`status.dataDir`). */
  readonly dataDir: string;
  /** Where raw outputs go (`rawOutputDataConfig`, or the store's default). */
  readonly rawOutputRoot: string;
  readonly namespace: string;
  readonly execution: ExecutionRef;
  /** The node's `containerImage` override. */
  readonly image?: string;
  /** Stand-in rules that may apply to this node (from the FlyteWorkflow's annotation). */
  readonly standIn?: readonly StandInRule[];
  /** What the Pod of an attempt needs (set by the translation). */
  readonly pod?: ContainerPodSettings;
}

/** `config` of a `flyte-literal` template. */
export type LiteralStepConfig =
  /** Assemble a binding tree whose promise leaves arrive as inputs `l0`, `l1`, ...; output `value`. */
  | { readonly op: 'assemble'; readonly binding: JsonObject }
  /** Evaluate the branch conditions over the inputs; output `case` (the index of the first true one, or -1). */
  | { readonly op: 'branch'; readonly conditions: readonly JsonValue[] }
  /** Split an array node's inputs into per-item literal maps; output `items` (a list of `{var: Literal}`) and `size`. */
  | { readonly op: 'split'; readonly bound: readonly string[] };

/** `config` of a `flyte-unsupported` template. */
export interface UnsupportedConfig {
  readonly op: 'unsupported';
  /** What is not supported (`sensor`, `launch plan`, ...). */
  readonly what: string;
  readonly message: string;
}

/** `config` of a `flyte-launchplan` template: a workflow node with `launchPlanRefId`. */
export interface LaunchPlanConfig {
  readonly op: 'launchplan';
  /** The launch plan (flyteidl Identifier, protobuf JSON). */
  readonly launchPlan: JsonObject;
  /** The node's Flyte id and its enclosing nodes (outermost first). */
  readonly nodeId: string;
  readonly parents: readonly string[];
  /** The parent execution. */
  readonly execution: ExecutionRef;
  /** The FlyteWorkflow's namespace (where a local resolution finds the LaunchPlan ConfigMap). */
  readonly namespace: string;
}

export function isContainerConfig(config: unknown): config is ContainerTaskConfig {
  return (
    isObject(config) &&
    config['op'] === 'container' &&
    isObject(config['template']) &&
    typeof config['dataDir'] === 'string'
  );
}

export function isLiteralStepConfig(config: unknown): config is LiteralStepConfig {
  return isObject(config) && (config['op'] === 'assemble' || config['op'] === 'branch' || config['op'] === 'split');
}

export function isUnsupportedConfig(config: unknown): config is UnsupportedConfig {
  return isObject(config) && config['op'] === 'unsupported' && typeof config['message'] === 'string';
}
