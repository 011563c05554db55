/**
 * The workflow node: an inline sub-workflow from `spec.subWorkflows` (its nodes live at
 * `<node>/<id>`, `fromInput` inside reads the sub-workflow's inputs), or, with `launch: true`, a
 * child Workflow resource with a deterministic name, owned by the parent, whose status the node
 * follows through `checkChildWorkflow` observations.
 */
import type { JsonObject, SubWorkflow } from '../../api/schema.js';
import { isTerminalWorkflowPhase } from '../../api/status.js';
import { Labels, ownerReferenceTo, WORKFLOW_API_VERSION, WorkflowAnnotations } from '../../api/workflow.js';
import { resolveInputs } from '../bindings.js';
import { isJsonObject, type NodeRef, type RoundContext, type Scope } from '../context.js';
import { iso, msOf } from '../../api/duration.js';
import { EngineError } from '../errors.js';
import { childWorkflowName, labelValue } from '../../api/names.js';
import type { ChildWorkflowManifest } from '../types.js';

export function runWorkflowNode(ctx: RoundContext, ref: NodeRef): void {
  const { path, node, ns, scope } = ref;
  const block = node.workflow;
  if (!block) throw new EngineError('InvalidSpec', `workflow node ${path} has no workflow block`);
  const sub = ctx.spec.subWorkflows?.[block.ref];
  if (!sub)
    throw new EngineError(
      'InvalidSpec',
      `workflow node ${path} names an unknown sub-workflow ${JSON.stringify(block.ref)}`,
    );
  if (scope.depth + 1 > ctx.options.maxDepth)
    throw new EngineError(
      'InvalidSpec',
      `workflow node ${path}: sub-workflows nested deeper than ${ctx.options.maxDepth}`,
    );
  if (ns.phase !== 'Pending' && ns.phase !== 'Running') return;
  const inputs: JsonObject = { ...((sub.inputs ?? {}) as JsonObject), ...resolveInputs(ctx, scope, node.inputs) };
  if (block.launch === true) {
    runLaunched(ctx, ref, sub, inputs);
    return;
  }
  if (ns.phase === 'Pending') ctx.setPhase(path, ns, 'Running');
  const inner: Scope = { prefix: `${path}/`, inputs, depth: scope.depth + 1, failFast: scope.failFast };
  const result = ctx.runner.runDag(ctx, inner, sub.nodes);
  if (result.failed > 0 && (scope.failFast || result.allTerminal)) {
    ctx.runner.abortSubtree(ctx, `${path}/`, `sub-workflow ${path} failed`);
    ctx.setPhase(path, ns, 'Failed', {
      message: `sub-workflow ${block.ref}: ${result.firstFailure ?? 'a node failed'}`,
      reason: 'SubWorkflowFailed',
    });
    return;
  }
  if (!result.allTerminal) return;
  const outputs = resolveInputs(ctx, inner, sub.outputs);
  ctx.recordOutputs(path, ns, outputs);
  ctx.setPhase(path, ns, 'Succeeded', { message: `sub-workflow ${block.ref} succeeded` });
}

function childManifest(
  ctx: RoundContext,
  path: string,
  name: string,
  sub: SubWorkflow,
  inputs: JsonObject,
): ChildWorkflowManifest {
  const parent = ctx.workflow;
  // The child hashes to a shard of its own; the parent's is what its creator's fencing token is for.
  const parentShard = parent.metadata.labels?.[Labels.shard];
  return {
    apiVersion: WORKFLOW_API_VERSION,
    kind: 'Workflow',
    metadata: {
      name,
      namespace: parent.metadata.namespace,
      labels: {
        [Labels.workflow]: labelValue(parent.metadata.name),
        [Labels.parent]: labelValue(parent.metadata.name),
        [Labels.node]: labelValue(path),
        ...(parentShard !== undefined ? { [Labels.parentShard]: parentShard } : {}),
      },
      annotations: { [WorkflowAnnotations.nodePath]: path },
      ownerReferences: [ownerReferenceTo(parent)],
    },
    spec: {
      inputs,
      tasks: ctx.spec.tasks,
      nodes: sub.nodes,
      ...(sub.outputs !== undefined ? { outputs: sub.outputs } : {}),
      ...(ctx.spec.subWorkflows !== undefined ? { subWorkflows: ctx.spec.subWorkflows } : {}),
      ...(ctx.spec.failurePolicy !== undefined ? { failurePolicy: ctx.spec.failurePolicy } : {}),
    },
  };
}

function runLaunched(ctx: RoundContext, ref: NodeRef, sub: SubWorkflow, inputs: JsonObject): void {
  const { path, ns } = ref;
  const name = childWorkflowName(ctx.workflow.metadata.name, path);
  const namespace = ctx.workflow.metadata.namespace;
  const create = (): void =>
    ctx.emit({ type: 'createChildWorkflow', nodeId: path, child: childManifest(ctx, path, name, sub, inputs) });
  if (ns.phase === 'Pending') {
    ns.childName = name;
    ctx.setPhase(path, ns, 'Running', { message: `launching child workflow ${name}` });
    create();
    return;
  }
  const observed = ctx.observations.children?.[name];
  if (observed) {
    if (observed.phase === 'NotFound') {
      if (ns.childPhase === undefined) {
        create();
        return;
      }
      ctx.setPhase(path, ns, 'Failed', {
        message: `child workflow ${name} disappeared (last seen ${ns.childPhase})`,
        reason: 'ChildWorkflowLost',
      });
      return;
    }
    ns.childPhase = observed.phase === '' ? 'Pending' : observed.phase;
    if (observed.phase === 'Succeeded') {
      ctx.recordOutputs(path, ns, isJsonObject(observed.outputs) ? observed.outputs : {});
      ctx.setPhase(path, ns, 'Succeeded', { message: `child workflow ${name} succeeded` });
      return;
    }
    if (isTerminalWorkflowPhase(observed.phase)) {
      ctx.setPhase(path, ns, 'Failed', {
        message: `child workflow ${name} ${observed.phase}${observed.message ? `: ${observed.message}` : ''}`,
        reason: 'ChildWorkflowFailed',
      });
      return;
    }
    ns.message = `child workflow ${name} ${ns.childPhase}`;
    const next = ctx.now + ctx.options.childCheckIntervalMs;
    ns.nextCheckAt = iso(next);
    ctx.wake(next);
    return;
  }
  if (ns.childPhase === undefined) {
    create();
    return;
  }
  const at = msOf(ns.nextCheckAt) ?? ctx.now;
  if (ctx.now >= at) ctx.emit({ type: 'checkChildWorkflow', nodeId: path, namespace, name });
  else ctx.wake(at);
}
