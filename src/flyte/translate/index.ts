/**
 * FlyteWorkflow → the engine's model: a native `Workflow` in memory, which the same engine runs
 * as it runs `flotilla.io` Workflows (DESIGN.md §8, "Two front ends, one engine"). Pure and
 * deterministic: the same object gives the same Workflow, so a controller may translate on every
 * round. See docs/flyte.md for the mapping, the literal decision and what is not supported.
 *
 * | Flyte | engine |
 * | --- | --- |
 * | `start-node` outputs (`inputs.literals`) | `spec.inputs` (Literal JSON per name); promises on it are `fromInput` |
 * | `end-node` / `outputBindings` | `spec.outputs` |
 * | task node | task node on a per-node template (`flyte-container`, or `flyte-unsupported` naming the gap) |
 * | branch (if / elseIf / else / elseFail) | `_cond-<id>` step + branch whose cases match its index; `else` node or `else.error` |
 * | workflow (subWorkflowRef) | inline sub-workflow, translated per node that runs it; a launch plan (`launchPlanRefId`) is one `flyte-launchplan` task node (a child execution) |
 * | gate signal / sleep / approve | gate signal (output `value`) / sleep / approve (passes its inputs on) |
 * | array (ArrayNode) | `_items-<id>` step + array over its per-item literal maps |
 * | `retry.minAttempts` | `retries` = minAttempts − 1 (system failures have the engine's own budget) |
 * | `executionDeadline`, task `metadata.timeout` | per-attempt `timeout` |
 * | `activeDeadlineSeconds` | `activeDeadline` |
 * | `onFailurePolicy`, `onFailure` | `failurePolicy`, `onFailure` |
 * | task `metadata.discoverable`, `discoveryVersion`, `cacheSerializable` | template `cache: {version, serialize}` |
 * | `executionConfig.OverwriteCache` | `overwriteCache` |
 * | `executionConfig.RecoveryExecution` | `recoverFrom` (`project/domain/name`) |
 */
import type { JsonObject, TaskTemplate, SubWorkflow, WorkflowSpec } from '../../api/schema.js';
import { WORKFLOW_API_VERSION, type Workflow } from '../../api/workflow.js';
import { shortHash } from '../../api/names.js';
import { FlyteError } from '../errors.js';
import { isObject } from '../literals/values.js';
import { parseStandInRules, STAND_IN_ANNOTATION } from '../container/stand-in.js';
import type { FlyteExecutionId, FlyteTaskResourceSpec, FlyteWorkflow } from '../types.js';
import type { ContainerPodSettings, ExecutionRef, ResourceQuantities } from './contract.js';
import { translateOnFailure, translateScope, type TranslationState } from './scope.js';
import { joinBlobUri } from '../../storage/uri.js';

export interface TranslateOptions {
  /**
   * The execution's metadata prefix, where node data lives (`status.dataDir`,
   * `<metadata root>/<project>-<domain>-<name>`). @defaultValue the object's `status.dataDir`
   */
  readonly dataDir?: string;
  /**
   * Where tasks write raw data. @defaultValue `rawOutputDataConfig.output_location_prefix`, else
   * `<dataDir>/raw`
   */
  readonly rawOutputRoot?: string;
  /** How deep inline sub-workflows may nest. @defaultValue 32 */
  readonly maxDepth?: number;
}

/** The engine's Workflow for a FlyteWorkflow. Throws `FlyteError('Untranslatable' | 'BadStandIn')` naming the path. */
export function translateFlyteWorkflow(fw: FlyteWorkflow, options: TranslateOptions = {}): Workflow {
  const spec = fw.spec;
  if (!spec || !fw.tasks) {
    throw new FlyteError(
      'Untranslatable',
      'spec: the workflow closure is offloaded (workflowClosureReference); reading it from the blob store is not supported yet',
    );
  }
  if (fw.offloadedInputs !== undefined && fw.inputs === undefined)
    throw new FlyteError('Untranslatable', 'offloadedInputs: offloaded inputs are not supported yet');
  const dataDir = options.dataDir ?? fw.status?.dataDir;
  if (dataDir === undefined || dataDir === '')
    throw new FlyteError('Untranslatable', 'status.dataDir: no data directory (pass dataDir)');
  const rawConfig = fw.rawOutputDataConfig?.['output_location_prefix'];
  const rawOutputRoot =
    options.rawOutputRoot ??
    (typeof rawConfig === 'string' && rawConfig !== '' ? rawConfig : joinBlobUri(dataDir, 'raw'));
  const name = fw.metadata.name;
  const namespace = fw.metadata.namespace ?? 'default';
  const execution = {
    project: fw.executionId.project || 'project',
    domain: fw.executionId.domain || 'domain',
    name: fw.executionId.name || name,
  };
  const interruptible = fw.executionConfig?.Interruptible ?? fw['node-defaults']?.interruptible;
  const state: TranslationState = {
    flyteTasks: fw.tasks,
    flyteSubWorkflows: fw.subWorkflows ?? {},
    tasks: {},
    subWorkflows: {},
    dataDir,
    rawOutputRoot,
    namespace,
    execution,
    standIn: parseStandInRules(fw.metadata.annotations?.[STAND_IN_ANNOTATION]),
    pod: podSettingsOf(fw, spec.id),
    ...(typeof interruptible === 'boolean' ? { interruptible } : {}),
    maxDepth: options.maxDepth ?? 32,
  };
  const root = translateScope(state, spec, '', [], 'spec', 0);
  const literals = fw.inputs?.['literals'];
  const nativeSpec: WorkflowSpec = {
    inputs: isObject(literals) ? (literals as JsonObject) : {},
    tasks: state.tasks as Record<string, TaskTemplate>,
    nodes: root.nodes,
    outputs: root.outputs,
    ...(spec.onFailurePolicy === 'FAIL_AFTER_EXECUTABLE_NODES_COMPLETE'
      ? { failurePolicy: 'FailAfterExecutableNodesComplete' as const }
      : { failurePolicy: 'FailImmediately' as const }),
    ...(spec.onFailure ? { onFailure: translateOnFailure(state, spec, spec.onFailure) } : {}),
    ...(typeof fw.activeDeadlineSeconds === 'number' && fw.activeDeadlineSeconds > 0
      ? { activeDeadline: `${fw.activeDeadlineSeconds}s` }
      : {}),
    // Flyte's MaxParallelism: task, array (and launch-plan) nodes running at once; 0 = unbounded.
    ...(typeof fw.executionConfig?.MaxParallelism === 'number' && fw.executionConfig.MaxParallelism > 0
      ? { maxParallelism: Math.floor(fw.executionConfig.MaxParallelism) }
      : {}),
    ...(fw.executionConfig?.OverwriteCache === true ? { overwriteCache: true } : {}),
    ...recoverFromOf(fw.executionConfig?.RecoveryExecution),
  };
  if (Object.keys(state.subWorkflows).length > 0)
    nativeSpec.subWorkflows = state.subWorkflows as Record<string, SubWorkflow>;
  return {
    apiVersion: WORKFLOW_API_VERSION,
    kind: 'Workflow',
    metadata: {
      name,
      namespace,
      uid: fw.metadata.uid ?? `flyte-${shortHash(`${namespace}/${name}`)}`,
      ...(fw.metadata.generation !== undefined ? { generation: fw.metadata.generation } : {}),
      ...(fw.metadata.labels !== undefined ? { labels: fw.metadata.labels } : {}),
      // Signals (`signal.flotilla.io/<signal id>`) and the stand-in's rules are annotations.
      ...(fw.metadata.annotations !== undefined ? { annotations: fw.metadata.annotations } : {}),
      ...(fw.metadata.deletionTimestamp !== undefined ? { deletionTimestamp: fw.metadata.deletionTimestamp } : {}),
    },
    spec: nativeSpec,
  };
}

export { durationMs } from './durations.js';

/** Kubernetes names of `executionConfig.TaskResources` fields. */
const TASK_RESOURCE_NAMES: Readonly<Record<keyof FlyteTaskResourceSpec, string>> = {
  CPU: 'cpu',
  Memory: 'memory',
  EphemeralStorage: 'ephemeral-storage',
  Storage: 'storage',
  GPU: 'nvidia.com/gpu',
};

function quantities(spec: FlyteTaskResourceSpec | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(TASK_RESOURCE_NAMES)) {
    const value = spec?.[field as keyof FlyteTaskResourceSpec];
    if (typeof value === 'string' && value !== '' && value !== '0') out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The execution-wide settings every task Pod of `fw` gets (labels, service account, resource defaults, env). */
function podSettingsOf(fw: FlyteWorkflow, workflowId: string): ContainerPodSettings {
  const runAs = isObject(fw.securityContext) ? fw.securityContext['run_as'] : undefined;
  const account =
    isObject(runAs) && typeof runAs['k8s_service_account'] === 'string' && runAs['k8s_service_account'] !== ''
      ? runAs['k8s_service_account']
      : fw.serviceAccountName;
  const requests = quantities(fw.executionConfig?.TaskResources?.Requests);
  const limits = quantities(fw.executionConfig?.TaskResources?.Limits);
  const defaults: ResourceQuantities = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
  const env = fw.executionConfig?.EnvironmentVariables;
  return {
    labels: { ...(fw.metadata.labels ?? {}) },
    workflowId,
    ...(account !== undefined && account !== '' ? { serviceAccount: account } : {}),
    ...(requests || limits ? { defaultResources: defaults } : {}),
    ...(env && Object.keys(env).length > 0 ? { environment: { ...env } } : {}),
  };
}

/** `RecoveryExecution` as the engine's `recoverFrom`; an id without a name recovers nothing. */
function recoverFromOf(id: FlyteExecutionId | undefined): { recoverFrom?: string } {
  if (id?.project === undefined || id.domain === undefined || id.name === undefined || id.name === '') return {};
  return { recoverFrom: `${id.project}/${id.domain}/${id.name}` };
}

/** The engine's `recoverFrom` (`project/domain/name`) back as an execution id; `undefined` when malformed. */
export function parseRecoverFrom(from: string): ExecutionRef | undefined {
  const [project, domain, name, ...rest] = from.split('/');
  if (!project || !domain || !name || rest.length > 0) return undefined;
  return { project, domain, name };
}
