/**
 * The Pod of one Flyte container task attempt, built as FlytePropeller's pod plugin builds it
 * (flyteplugins v1.16.8, written from its behaviour): the TaskTemplate's image, command and args
 * with every template resolved; the `FLYTE_INTERNAL_*` environment; resources from the template,
 * the node's override and the execution's defaults; the FlyteWorkflow's labels plus `node-id`,
 * `task-name` and `interruptible`; the service account of the execution's security context.
 * Beside Flyte's, our own labels (`flotilla.io/workflow`, `node`, `attempt`, `shard`) let the
 * controller's Pod informer find the Pod, and {@link POD_STAND_IN_ANNOTATION} tells the sandbox
 * kubelet's stand-in what the task produces. Pure.
 */
import type { V1Container, V1EnvVar, V1OwnerReference, V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { labelValue, podName } from '../../api/names.js';
import type { SecretRequest } from '../../api/schema.js';
import { parseSecretRequest } from '../../api/secrets.js';
import { FlyteError } from '../../flyte/errors.js';
import { Labels, WorkflowAnnotations } from '../../api/workflow.js';
import type { TaskContext } from '../../engine/plugins.js';
import { templateParams, type AttemptPaths } from '../../flyte/container/paths.js';
import { encodePodStandInSpec, POD_STAND_IN_ANNOTATION } from '../../flyte/container/pod-stand-in.js';
import { declaredOutputs } from '../../flyte/container/stand-in.js';
import { renderTemplates } from '../../flyte/container/template.js';
import { isObject, type LiteralsJson } from '../../flyte/literals/values.js';
import type { ContainerTaskConfig, ResourceQuantities } from '../../flyte/translate/contract.js';
import { FLYTE_API_VERSION, FLYTE_KIND } from '../../flyte/types.js';

/** Flyte's node labels (flytepropeller `nodes/node_exec_context.go`). */
export const FlyteLabels = { nodeId: 'node-id', taskName: 'task-name', interruptible: 'interruptible' } as const;

/** The kind of object that owns the Pods (their ownerReference). @defaultValue a FlyteWorkflow */
export interface PodOwnerKind {
  readonly apiVersion: string;
  readonly kind: string;
}

export const FLYTE_WORKFLOW_OWNER: PodOwnerKind = { apiVersion: FLYTE_API_VERSION, kind: FLYTE_KIND };

export interface FlytePodInput {
  readonly ctx: TaskContext;
  readonly config: ContainerTaskConfig;
  readonly paths: AttemptPaths;
  /** The attempt's input literals (what inputs.pb holds). */
  readonly inputs: LiteralsJson;
  /** @defaultValue {@link FLYTE_WORKFLOW_OWNER} */
  readonly owner?: PodOwnerKind;
}

/** The attempt's Pod name: the native pod plugin's deterministic `<workflow>-<node>-<attempt>`. */
export function flytePodName(ctx: Pick<TaskContext, 'workflow' | 'nodeId' | 'attempt'>): string {
  return podName(ctx.workflow.name, ctx.nodeId, ctx.attempt);
}

/** FlytePropeller's `SanitizeLabelValue`: lower case, `[a-z0-9-]` only, at most 63, no `-` or `.` at the ends. */
export function sanitizeFlyteLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^[-.]+|[-.]+$/g, '');
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Kubernetes names of flyteidl `Resources.ResourceName`. */
const RESOURCE_NAMES: Readonly<Record<string, string>> = {
  CPU: 'cpu',
  MEMORY: 'memory',
  GPU: 'nvidia.com/gpu',
  STORAGE: 'storage',
  EPHEMERAL_STORAGE: 'ephemeral-storage',
};

/** `[{name: CPU, value: 250m}]` (the TaskTemplate's form) → `{cpu: 250m}`. */
function templateQuantities(entries: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Array.isArray(entries) ? entries : []) {
    if (!isObject(e) || typeof e['value'] !== 'string' || e['value'] === '') continue;
    const name = typeof e['name'] === 'string' ? (RESOURCE_NAMES[e['name']] ?? e['name'].toLowerCase()) : undefined;
    if (name !== undefined) out[name] = e['value'];
  }
  return out;
}

/**
 * Resources as FlytePropeller applies them: the template's, overridden per resource by the node's;
 * a missing request takes the limit, else the execution's default request; a missing limit takes
 * the request. (Flyte's platform-wide caps are not applied.)
 */
export function resolveResources(
  template: { requests?: unknown; limits?: unknown } | undefined,
  override: ResourceQuantities | undefined,
  defaults: ResourceQuantities | undefined,
): V1ResourceRequirements | undefined {
  const requests: Record<string, string> = { ...templateQuantities(template?.requests), ...(override?.requests ?? {}) };
  const limits: Record<string, string> = { ...templateQuantities(template?.limits), ...(override?.limits ?? {}) };
  const names = new Set([
    ...Object.keys(requests),
    ...Object.keys(limits),
    ...['cpu', 'memory'].filter((n) => defaults?.requests?.[n] !== undefined),
  ]);
  for (const name of names) {
    const request = requests[name] ?? limits[name] ?? defaults?.requests?.[name];
    if (request === undefined) continue;
    requests[name] = request;
    limits[name] ??= request;
  }
  if (names.size === 0) return undefined;
  return { requests, limits };
}

/** The `FLYTE_INTERNAL_*` environment FlytePropeller gives a task container (`flytek8s/k8s_resource_adds.go`). */
export function flyteEnvironment(config: ContainerTaskConfig, attempt: number): V1EnvVar[] {
  const id = isObject(config.template['id']) ? config.template['id'] : {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const env: V1EnvVar[] = [];
  if (config.pod?.workflowId) env.push({ name: 'FLYTE_INTERNAL_EXECUTION_WORKFLOW', value: config.pod.workflowId });
  env.push(
    { name: 'FLYTE_INTERNAL_EXECUTION_ID', value: config.execution.name },
    { name: 'FLYTE_INTERNAL_EXECUTION_PROJECT', value: config.execution.project },
    { name: 'FLYTE_INTERNAL_EXECUTION_DOMAIN', value: config.execution.domain },
    // Flyte's retry attempt is 0-based; the engine's is 1-based.
    { name: 'FLYTE_ATTEMPT_NUMBER', value: String(attempt - 1) },
    { name: 'FLYTE_INTERNAL_TASK_PROJECT', value: text(id['project']) || config.execution.project },
    { name: 'FLYTE_INTERNAL_TASK_DOMAIN', value: text(id['domain']) || config.execution.domain },
    { name: 'FLYTE_INTERNAL_TASK_NAME', value: config.taskName },
    { name: 'FLYTE_INTERNAL_TASK_VERSION', value: text(id['version']) },
  );
  for (const [name, value] of Object.entries(config.pod?.environment ?? {})) env.push({ name, value });
  return env;
}

/**
 * What a TaskTemplate asks of the platform: `metadata.podTemplateName` and
 * `securityContext.secrets` (flyteidl protobuf JSON). Throws `FlyteError('BadTemplate')` for a
 * malformed secret.
 */
export function taskPodRequests(template: Readonly<Record<string, unknown>>): {
  templateName?: string;
  secrets: SecretRequest[];
} {
  const metadata = isObject(template['metadata']) ? template['metadata'] : {};
  const name = metadata['podTemplateName'] ?? metadata['pod_template_name'];
  const security = template['securityContext'] ?? template['security_context'];
  const raw = isObject(security) && Array.isArray(security['secrets']) ? security['secrets'] : [];
  const secrets = raw.map((item, i) => {
    try {
      return parseSecretRequest(item, `securityContext.secrets[${i}]`);
    } catch (error) {
      throw new FlyteError('BadTemplate', error instanceof Error ? error.message : String(error));
    }
  });
  return { ...(typeof name === 'string' && name !== '' ? { templateName: name } : {}), secrets };
}

/** Builds the attempt's Pod. Throws `FlyteError('BadTemplate')` when an `{{.inputs.x}}` cannot be rendered. */
export function buildFlytePod(input: FlytePodInput): V1Pod {
  const { ctx, config, paths, inputs } = input;
  const owner = input.owner ?? FLYTE_WORKFLOW_OWNER;
  const spec = isObject(config.template['container']) ? config.template['container'] : {};
  const params = templateParams(config, paths, inputs);
  const command = renderTemplates(list(spec['command']), params);
  const args = renderTemplates(list(spec['args']), params);
  const name = flytePodName(ctx);
  const templateEnv: V1EnvVar[] = (Array.isArray(spec['env']) ? spec['env'] : []).flatMap((e) =>
    isObject(e) && typeof e['key'] === 'string'
      ? [{ name: e['key'], value: typeof e['value'] === 'string' ? e['value'] : '' }]
      : [],
  );
  const resources = resolveResources(
    isObject(spec['resources']) ? spec['resources'] : undefined,
    config.pod?.resources,
    config.pod?.defaultResources,
  );
  const container: V1Container = {
    // FlytePropeller names the primary container after the Pod.
    name,
    image: config.image ?? (typeof spec['image'] === 'string' ? spec['image'] : ''),
    ...(command.length > 0 ? { command } : {}),
    ...(args.length > 0 ? { args } : {}),
    env: [...templateEnv, ...flyteEnvironment(config, ctx.attempt)],
    ...(resources ? { resources } : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  const interruptible = ctx.task.interruptible === true;
  const labels: Record<string, string> = {
    ...(config.pod?.labels ?? {}),
    [FlyteLabels.nodeId]: sanitizeFlyteLabel(config.nodeId),
    [FlyteLabels.taskName]: sanitizeFlyteLabel(config.taskName),
    [FlyteLabels.interruptible]: String(interruptible),
    [Labels.workflow]: labelValue(ctx.workflow.name),
    [Labels.node]: labelValue(ctx.nodeId),
    [Labels.attempt]: String(ctx.attempt),
    ...(ctx.workflow.shard !== undefined ? { [Labels.shard]: ctx.workflow.shard } : {}),
  };
  const standIn = encodePodStandInSpec({
    taskName: config.taskName,
    path: paths.path,
    nodeId: config.nodeId,
    outputs: declaredOutputs(config.template),
    rules: config.standIn ?? [],
  });
  const ownerReference: V1OwnerReference = {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: ctx.workflow.name,
    uid: ctx.workflow.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ctx.workflow.namespace,
      labels,
      annotations: { [WorkflowAnnotations.nodePath]: ctx.nodeId, [POD_STAND_IN_ANNOTATION]: standIn },
      ownerReferences: [ownerReference],
    },
    spec: {
      restartPolicy: 'Never',
      containers: [container],
      ...(config.pod?.serviceAccount !== undefined ? { serviceAccountName: config.pod.serviceAccount } : {}),
    },
  };
}
