/**
 * Flyte's `FlyteWorkflow` resource (`flyte.lyft.com/v1alpha1`) as Flyte v1.16.8's compiler and
 * FlyteAdmin write it: the JSON names are Flyte's, not ours (docs/flyte-format.md is the reference;
 * this file is its TypeScript form). Status types are in `status.ts`.
 *
 * Nothing here is flotilla's own vocabulary: a second front end translates these objects into the
 * engine's model. Fields are optional wherever Flyte omits them (`omitempty`) and `null` wherever
 * Go writes `null` (a nil pointer or slice without `omitempty`).
 */
import type { JsonObject } from '../api/schema.js';
import type {
  ApproveConditionJson,
  BindingJson,
  BooleanExpressionJson,
  CoreErrorGoJson,
  ExtendedResourcesJson,
  IdentifierJson,
  K8sPodGoJson,
  LiteralMapJson,
  RawOutputDataConfigGoJson,
  SecurityContextGoJson,
  SignalConditionJson,
  SleepConditionJson,
  TaskTemplateJson,
  VariableMapJson,
} from './protobuf.js';
import type { FlyteWorkflowStatus } from './status.js';

export const FLYTE_GROUP = 'flyte.lyft.com';
export const FLYTE_VERSION = 'v1alpha1';
export const FLYTE_API_VERSION = 'flyte.lyft.com/v1alpha1';
/** The kind the API server stores (the CRD's `names.kind`). */
export const FLYTE_KIND = 'FlyteWorkflow';
/** The kind Flyte's Go code puts in TypeMeta before the client replaces it (seen in files Flyte serialises itself). */
export const FLYTE_KIND_GO = 'flyteworkflow';
export const FLYTE_PLURAL = 'flyteworkflows';

/** The id of every (sub-)workflow's start node; its outputs are the workflow's inputs. */
export const START_NODE_ID = 'start-node';
/** The id of every (sub-)workflow's end node; its inputs are the workflow's outputs. */
export const END_NODE_ID = 'end-node';

export const FlyteNodeKinds = ['start', 'end', 'task', 'branch', 'workflow', 'gate', 'array'] as const;
/** `spec.nodes[id].kind`. */
export type FlyteNodeKind = (typeof FlyteNodeKinds)[number];

export const FlyteGateKinds = ['approve', 'signal', 'sleep'] as const;
/** `gate.kind`. */
export type FlyteGateKind = (typeof FlyteGateKinds)[number];

/** `onFailurePolicy`: the `flyteidl.core.WorkflowMetadata.OnFailurePolicy` enum name; absent means `FAIL_IMMEDIATELY`. */
export const FlyteFailurePolicies = ['FAIL_IMMEDIATELY', 'FAIL_AFTER_EXECUTABLE_NODES_COMPLETE'] as const;
export type FlyteFailurePolicy = (typeof FlyteFailurePolicies)[number];

/** A Kubernetes `ResourceRequirements` (`{ limits: { cpu: "1" }, requests: {...} }`); the compiler writes `{}` when none. */
export interface FlyteResourceRequirements {
  /** Quantities by resource name. */
  limits?: Record<string, string>;
  /** Quantities by resource name. */
  requests?: Record<string, string>;
  /** Dynamic resource claims (Kubernetes 1.26+), passed through. */
  claims?: JsonObject[];
}

/** One `if` or `elseIf` case of a branch node. */
export interface FlyteIfBlock {
  /** The condition, over the branch node's input variables (`{ var: ".x" }` operands). */
  condition: BooleanExpressionJson;
  /** The id of the node to run; that node is also a key of the enclosing `nodes` map. */
  then: string;
}

/** `node.branch`. */
export interface FlyteBranchNodeSpec {
  /** The first case. */
  if: FlyteIfBlock;
  /** Further cases, in order; omitted when there are none. */
  elseIf?: FlyteIfBlock[];
  /** The node id run when no case matches. */
  else?: string;
  /** The error raised when no case matches (instead of `else`). */
  elseFail?: CoreErrorGoJson;
}

/** `node.workflow`: exactly one of the two references. */
export interface FlyteWorkflowNodeSpec {
  /** A launch plan to launch as a child execution (through FlyteAdmin). */
  launchPlanRefId?: IdentifierJson;
  /** A key of `subWorkflows` (an inline sub-workflow), the Identifier's protobuf text form. */
  subWorkflowRef?: string;
}

/** `node.gate`: `kind` names the one condition block that is set. */
export interface FlyteGateNodeSpec {
  kind: FlyteGateKind;
  approve?: ApproveConditionJson;
  signal?: SignalConditionJson;
  sleep?: SleepConditionJson;
}

/**
 * `node.array`. Go declares these fields without JSON tags, so their JSON names are the Go
 * field names (PascalCase) and unset ones are written as `null`.
 */
export interface FlyteArrayNodeSpec {
  /** The node run once per list item; it is not a key of `nodes`. */
  SubNodeSpec: FlyteNodeSpec | null;
  /** How many items run at once; `null` means the default (unbounded), 0 also means unbounded. */
  Parallelism?: number | null;
  /** Successes needed for the array to succeed (one of this and `MinSuccessRatio`). */
  MinSuccesses?: number | null;
  /** Fraction (0–1) of items that must succeed. */
  MinSuccessRatio?: number | null;
  /** Input names bound to the whole list rather than split per item. */
  BoundInputs?: string[] | null;
}

/** `node.retry`. */
export interface FlyteRetryStrategy {
  /** Attempts at least: the task's or node's `retries + 1`. */
  minAttempts: number | null;
}

/** `node.outputAlias[]` (`flyteidl.core.Alias` through Go `encoding/json`). */
export interface FlyteOutputAlias {
  var?: string;
  alias?: string;
}

/** A node of `spec.nodes` (keyed by `id`), of a branch (also in `nodes`), an array's `SubNodeSpec` or `spec.onFailure`. */
export interface FlyteNodeSpec {
  /** Equal to the node's key in `nodes`. */
  id: string;
  /** A display name (the node metadata's name). */
  name?: string;
  kind: FlyteNodeKind;
  /** Task resource overrides; the compiler writes `{}` when none. */
  resources?: FlyteResourceRequirements;
  /** kind `task`: a key of the top-level `tasks` map. */
  task?: string;
  /** kind `branch`. */
  branch?: FlyteBranchNodeSpec;
  /** kind `workflow`. */
  workflow?: FlyteWorkflowNodeSpec;
  /** kind `gate`. */
  gate?: FlyteGateNodeSpec;
  /** kind `array`. */
  array?: FlyteArrayNodeSpec;
  /** The node's inputs, each `{ var, binding }`; promises name upstream nodes. */
  inputBindings?: BindingJson[];
  /** A Kubernetes ConfigMap (unused by the compiler). */
  config?: JsonObject;
  /** Set when the node or its task declares retries. */
  retry?: FlyteRetryStrategy;
  /** Output renames. */
  outputAlias?: FlyteOutputAlias[];
  /** A Kubernetes PodSecurityContext. */
  securityContext?: JsonObject;
  imagePullSecrets?: { name?: string }[];
  hostname?: string;
  subdomain?: string;
  /** A Kubernetes Affinity. */
  affinity?: JsonObject;
  schedulerName?: string;
  extendedResources?: ExtendedResourcesJson;
  /** Kubernetes Tolerations. */
  tolerations?: JsonObject[];
  /** Per-attempt timeout, a Go duration string (`"5m0s"`). */
  executionDeadline?: string;
  /** Whole-node deadline including retries and queueing; the compiler sets twice `executionDeadline`. */
  activeDeadline?: string;
  /** Overrides the workflow's default. */
  interruptible?: boolean;
  /** Overrides the task's container image. */
  containerImage?: string;
  /** Overrides the task's pod template. */
  podTemplate?: K8sPodGoJson;
}

/** `spec.edges`: the dependencies the executor follows. */
export interface FlyteConnections {
  /** node id → the ids that wait for it. */
  downstream: Record<string, string[]>;
  /** node id → the ids it waits for (branch children list the branch node's upstream). */
  upstream: Record<string, string[]>;
}

/** The primary workflow (`spec`) and every `subWorkflows` value. */
export interface FlyteWorkflowSpec {
  /** `project:domain:name` of the workflow template. */
  id: string;
  /** Every node by id, including `start-node`, `end-node` and the nodes of branch cases. */
  nodes: Record<string, FlyteNodeSpec>;
  /** Deprecated downstream map (node id → ids); read when `edges` is empty. */
  connections?: Record<string, string[]> | null;
  edges?: FlyteConnections;
  /** The node run when the workflow fails. Not in `nodes` or `edges`. */
  onFailure?: FlyteNodeSpec;
  /** The workflow's declared outputs. */
  outputs?: VariableMapJson;
  /** How outputs are assembled (mirrors the end node's `inputBindings`). */
  outputBindings?: BindingJson[];
  /** Absent means `FAIL_IMMEDIATELY`. */
  onFailurePolicy?: FlyteFailurePolicy;
}

/** `executionId` (`flyteidl.core.WorkflowExecutionIdentifier`, same names in both encodings). */
export interface FlyteExecutionId {
  project?: string;
  domain?: string;
  name?: string;
  org?: string;
}

/** One `executionConfig.TaskResources.Requests` / `.Limits`: Kubernetes quantities, `"0"` when unset. */
export interface FlyteTaskResourceSpec {
  CPU?: string;
  Memory?: string;
  EphemeralStorage?: string;
  Storage?: string;
  GPU?: string;
}

/** `executionConfig`: Go field names (no JSON tags). */
export interface FlyteExecutionConfig {
  /** task type → plugin override (`{ PluginIDs, MissingPluginBehavior: 0 FAIL | 1 USE_DEFAULT }`). */
  TaskPluginImpls?: Record<string, { PluginIDs?: string[] | null; MissingPluginBehavior?: number }> | null;
  /** 0 means the platform default. */
  MaxParallelism?: number;
  /** The execution this one recovers (`{}` when none). */
  RecoveryExecution?: FlyteExecutionId;
  TaskResources?: { Requests?: FlyteTaskResourceSpec; Limits?: FlyteTaskResourceSpec };
  /** Overrides `node-defaults.interruptible` for the whole execution. */
  Interruptible?: boolean | null;
  OverwriteCache?: boolean;
  EnvironmentVariables?: Record<string, string> | null;
}

/** Kubernetes object metadata as a FlyteWorkflow carries it. */
export interface FlyteObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generateName?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: JsonObject[];
}

/** The whole resource. Beside `spec`, everything is at the top level (there is no `spec.tasks`). */
export interface FlyteWorkflow {
  apiVersion: typeof FLYTE_API_VERSION;
  kind: typeof FLYTE_KIND | typeof FLYTE_KIND_GO;
  metadata: FlyteObjectMeta;
  /** The primary workflow; `null` when the closure is offloaded (`workflowClosureReference`). */
  spec: FlyteWorkflowSpec | null;
  /** `{ eventVersion }`: which event format FlyteAdmin expects (0–2). */
  workflowMeta?: { eventVersion?: number };
  /** The execution's inputs, inline; absent when offloaded (`offloadedInputs`). */
  inputs?: LiteralMapJson;
  executionId: FlyteExecutionId;
  /** Task templates keyed by the Identifier's protobuf text form; `null` when the closure is offloaded. */
  tasks: Record<string, TaskTemplateJson> | null;
  /** Sub-workflows keyed by the Identifier's protobuf text form. */
  subWorkflows?: Record<string, FlyteWorkflowSpec>;
  /** Seconds before the whole workflow is failed (rarely set). */
  activeDeadlineSeconds?: number;
  'node-defaults'?: { interruptible?: boolean };
  /** RFC 3339 time FlyteAdmin accepted the execution. */
  acceptedAt?: string;
  /** Deprecated; FlyteAdmin copies `securityContext.run_as.k8s_service_account` here. */
  serviceAccountName?: string;
  securityContext?: SecurityContextGoJson;
  status?: FlyteWorkflowStatus;
  rawOutputDataConfig?: RawOutputDataConfigGoJson;
  executionConfig?: FlyteExecutionConfig;
  /** Blob URI of the offloaded `CompiledWorkflowClosure` (protobuf); `spec`, `tasks`, `subWorkflows` are then empty. */
  workflowClosureReference?: string;
  /** The Flyte console URL, for links in events. */
  consoleUrl?: string;
  /** Blob URI of the offloaded inputs (`LiteralMap` protobuf); `inputs` is then absent. */
  offloadedInputs?: string;
}
