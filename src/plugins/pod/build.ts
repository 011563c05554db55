/** Builds the Pod of one task attempt. Pure. */
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { Labels, WORKFLOW_API_VERSION, WorkflowAnnotations } from '../../api/workflow.js';
import { labelValue, podName } from '../../api/names.js';
import type { TaskContext } from '../../engine/plugins.js';

/** The env var holding the task's inputs as JSON. */
export const INPUTS_ENV = 'FLOTILLA_INPUTS';
/** The env var naming where the task may write its outputs as a JSON object (./outputs-file.ts). */
export const OUTPUTS_URI_ENV = 'FLOTILLA_OUTPUTS_URI';
export const CONTAINER_NAME = 'task';
/** Label set on Pods of interruptible tasks. */
export const INTERRUPTIBLE_LABEL = 'flotilla.io/interruptible';

export function podNameFor(ctx: Pick<TaskContext, 'workflow' | 'nodeId' | 'attempt'>): string {
  return podName(ctx.workflow.name, ctx.nodeId, ctx.attempt);
}

/** `outputsUri`: where the task may write its outputs (env `FLOTILLA_OUTPUTS_URI`, see ./outputs-file.ts). */
export function buildPod(ctx: TaskContext, options: { outputsUri?: string } = {}): V1Pod {
  const settings = ctx.task.pod;
  const env: V1EnvVar[] = Object.entries(settings?.env ?? {}).map(([name, value]) => ({ name, value }));
  env.push({ name: INPUTS_ENV, value: JSON.stringify(ctx.inputs) });
  if (options.outputsUri !== undefined) env.push({ name: OUTPUTS_URI_ENV, value: options.outputsUri });
  const container: V1Container = {
    name: CONTAINER_NAME,
    image: settings?.image ?? 'busybox',
    env,
    terminationMessagePolicy: 'File',
    ...(settings?.command ? { command: [...settings.command] } : {}),
    ...(settings?.args ? { args: [...settings.args] } : {}),
    ...(settings?.resources
      ? {
          resources: {
            ...(settings.resources.requests ? { requests: { ...settings.resources.requests } } : {}),
            ...(settings.resources.limits ? { limits: { ...settings.resources.limits } } : {}),
          },
        }
      : {}),
  };
  const labels: Record<string, string> = {
    ...(settings?.labels ?? {}),
    [Labels.workflow]: labelValue(ctx.workflow.name),
    [Labels.node]: labelValue(ctx.nodeId),
    [Labels.attempt]: String(ctx.attempt),
    ...(ctx.workflow.shard !== undefined ? { [Labels.shard]: ctx.workflow.shard } : {}),
    ...(ctx.task.interruptible === true ? { [INTERRUPTIBLE_LABEL]: 'true' } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podNameFor(ctx),
      namespace: ctx.workflow.namespace,
      labels,
      annotations: { ...(settings?.annotations ?? {}), [WorkflowAnnotations.nodePath]: ctx.nodeId },
      ownerReferences: [
        {
          apiVersion: WORKFLOW_API_VERSION,
          kind: 'Workflow',
          name: ctx.workflow.name,
          uid: ctx.workflow.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { restartPolicy: 'Never', containers: [container] },
  };
}
