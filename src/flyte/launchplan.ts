/**
 * The documented local resolution of launch plans (no FlyteAdmin, or the sandbox's recording
 * admin standing in for it): a ConfigMap names the workflow a launch plan runs, and a child
 * execution is that workflow instantiated as a new FlyteWorkflow, as FlyteAdmin would create it.
 * Pure.
 *
 * The ConfigMap: named `launchplan-<name>` (the launch plan's name, lower-cased, every character
 * outside `[a-z0-9-]` as `-`, at most 63 characters), in the namespace of the child's project and
 * domain (`<project>-<domain>`, FlyteAdmin's default namespace template); key `flyteworkflow`
 * holds a FlyteWorkflow (YAML or JSON: `spec`, `tasks`, `subWorkflows`, optional `inputs` as the
 * launch plan's default inputs; metadata and status are ignored).
 *
 * The child: name = the child execution's name, labels `execution-id`, `project`, `domain`,
 * `workflow-name`, `shard-key` (FNV-1a of the name mod 32, as FlyteAdmin writes it: the fleet
 * hashes the child to its own shard) and `flotilla.io/parent-execution`; `executionId`; `inputs`
 * = the defaults overlaid with the launching node's inputs; `acceptedAt`.
 */
import type { JsonObject } from '../api/schema.js';
import { FlyteError } from './errors.js';
import { isObject, type LiteralsJson } from './literals/values.js';
import { FlyteLabels } from './metadata.js';
import { flyteShardKey } from './shard.js';
import type { ExecutionRef } from './translate/contract.js';
import { FLYTE_API_VERSION, FLYTE_KIND } from './types.js';

/** The ConfigMap key holding the workflow. */
export const LAUNCH_PLAN_KEY = 'flyteworkflow';
/** Label on a child naming its parent execution (`project:domain:name`). */
export const PARENT_EXECUTION_LABEL = 'flotilla.io/parent-execution';

/** A Kubernetes label value: `[A-Za-z0-9._-]`, at most 63, alphanumeric at both ends. */
function sanitizeLabelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export function launchPlanConfigMapName(launchPlanName: string): string {
  const cleaned = launchPlanName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `launchplan-${cleaned}`.slice(0, 63).replace(/-+$/, '');
}

/** Namespace of an execution under FlyteAdmin's default template. */
export function executionNamespace(execution: Pick<ExecutionRef, 'project' | 'domain'>): string {
  return `${execution.project}-${execution.domain}`;
}

export interface ChildRequest {
  readonly child: ExecutionRef;
  readonly inputs: LiteralsJson;
  readonly parent?: ExecutionRef;
  /** RFC 3339. */
  readonly acceptedAt: string;
}

/** The child FlyteWorkflow for `request` from the ConfigMap's workflow document. Throws `FlyteError('InvalidWorkflow')`. */
export function instantiateLaunchPlan(template: unknown, request: ChildRequest): JsonObject {
  if (!isObject(template) || !isObject(template['spec']))
    throw new FlyteError(
      'InvalidWorkflow',
      `launch plan workflow: ${LAUNCH_PLAN_KEY} must be a FlyteWorkflow with a spec`,
    );
  const defaults =
    isObject(template['inputs']) && isObject(template['inputs']['literals']) ? template['inputs']['literals'] : {};
  const specId = isObject(template['spec']) && typeof template['spec']['id'] === 'string' ? template['spec']['id'] : '';
  const workflowName = specId.split(':').pop() ?? '';
  const { child } = request;
  const out: JsonObject = { ...template };
  delete out['status'];
  out['apiVersion'] = FLYTE_API_VERSION;
  out['kind'] = FLYTE_KIND;
  out['metadata'] = {
    name: child.name,
    namespace: executionNamespace(child),
    labels: {
      [FlyteLabels.executionId]: child.name,
      [FlyteLabels.project]: child.project,
      [FlyteLabels.domain]: child.domain,
      ...(workflowName ? { [FlyteLabels.workflowName]: sanitizeLabelValue(workflowName) } : {}),
      [FlyteLabels.shardKey]: String(flyteShardKey(child.name)),
      ...(request.parent
        ? {
            [PARENT_EXECUTION_LABEL]: sanitizeLabelValue(
              `${request.parent.project}.${request.parent.domain}.${request.parent.name}`,
            ),
          }
        : {}),
    },
  };
  out['executionId'] = { project: child.project, domain: child.domain, name: child.name };
  out['inputs'] = { literals: { ...defaults, ...request.inputs } };
  out['acceptedAt'] = request.acceptedAt;
  return out;
}
