/**
 * The workflow executor: one pure round.
 *
 *   executeRound({ workflow, observations, now, options }) → { status, actions, events, requeueAfterMs, changed }
 *
 * Phases: Pending → Running → (Succeeded | Failing → Failed) ; Aborted when the Workflow is being
 * deleted ; TimedOut past `activeDeadline`. `Failing` aborts what runs (FailImmediately) or lets
 * independent nodes finish (FailAfterExecutableNodesComplete), then runs the `onFailure` node once.
 * Never throws for odd input: the workflow fails with a reason instead.
 */
import type { JsonObject } from '../api/schema.js';
import { isTerminalNodePhase, isTerminalWorkflowPhase, type ConditionType, type WorkflowPhase } from '../api/status.js';
import { Labels } from '../api/workflow.js';
import { workflowEventId } from './events.js';
import { resolveInputs } from './bindings.js';
import { resolveOptions, RoundContext, type Scope } from './context.js';
import { formatDuration, msOf, parseDuration } from '../api/duration.js';
import { EngineError, OutputsNotLoaded } from './errors.js';
import { copyJson, sameJson } from './json-copy.js';
import { runner } from './node-executor.js';
import type { RoundInput, RoundResult } from './types.js';

/** Path of the `onFailure` node in `status.nodes` (cannot collide: ids cannot start with `_`). */
export const ON_FAILURE_PATH = '_onFailure';
/** Output-store key suffix of the workflow's own outputs. */
const WORKFLOW_OUTPUTS_PATH = '_outputs';

export function executeRound(input: RoundInput): RoundResult {
  const { workflow, now } = input;
  // The round works on its own copy; the input (an informer's cached object) is never touched.
  const before = workflow.status ?? {};
  const status = copyJson(before);
  if (isTerminalWorkflowPhase(status.phase)) return { status, actions: [], events: [], changed: false };
  const ctx = new RoundContext(workflow, status, now, resolveOptions(input.options), input.observations ?? {}, runner);
  try {
    step(ctx);
  } catch (error) {
    if (error instanceof OutputsNotLoaded) ctx.requestLoad(error.ref);
    else {
      const reason = error instanceof EngineError ? error.code : 'InternalError';
      const message = error instanceof Error ? error.message : String(error);
      runner.abortSubtree(ctx, '', message);
      finish(ctx, 'Failed', reason, message);
    }
  }
  const requeueAfterMs = isTerminalWorkflowPhase(status.phase) ? undefined : ctx.requeueAfterMs();
  const changed = !sameJson(status, before);
  return {
    status,
    actions: ctx.actions,
    events: ctx.events,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
    changed,
  };
}

function step(ctx: RoundContext): void {
  const { status, workflow } = ctx;
  if (status.phase === undefined || status.phase === 'Pending') {
    const shard = workflow.metadata.labels?.[Labels.shard];
    if (shard !== undefined) status.shard = shard;
    status.startedAt = ctx.nowIso;
    setCondition(ctx, 'Valid', 'True', 'Validated');
    setCondition(ctx, 'Succeeded', 'Unknown', 'Running');
    enter(ctx, 'Running');
  }
  if (workflow.metadata.generation !== undefined) status.observedGeneration = workflow.metadata.generation;
  if (workflow.metadata.deletionTimestamp !== undefined) {
    runner.abortSubtree(ctx, '', 'workflow deleted');
    finish(ctx, 'Aborted', 'Aborted', 'the workflow was deleted: running tasks aborted');
    return;
  }
  const deadlineMs = parseDuration(ctx.spec.activeDeadline);
  if (ctx.spec.activeDeadline !== undefined && deadlineMs === undefined)
    throw new EngineError(
      'InvalidDuration',
      `activeDeadline ${JSON.stringify(ctx.spec.activeDeadline)} is not a duration`,
    );
  if (deadlineMs !== undefined) {
    const deadline = (msOf(status.startedAt) ?? ctx.now) + deadlineMs;
    if (ctx.now >= deadline) {
      runner.abortSubtree(ctx, '', `activeDeadline ${ctx.spec.activeDeadline} passed`);
      finish(
        ctx,
        'TimedOut',
        'ActiveDeadlineExceeded',
        `the workflow ran longer than its activeDeadline (${formatDuration(deadlineMs)})`,
      );
      return;
    }
    ctx.wake(deadline);
  }
  const failFast = (ctx.spec.failurePolicy ?? 'FailImmediately') === 'FailImmediately';
  const root: Scope = { prefix: '', inputs: (ctx.spec.inputs ?? {}) as JsonObject, depth: 0, failFast };
  if (status.phase === 'Running') {
    const result = runner.runDag(ctx, root, ctx.spec.nodes);
    status.progress = `${result.terminal}/${result.total}`;
    if (result.failed > 0 && (failFast || result.allTerminal)) {
      runner.abortSubtree(ctx, '', 'the workflow is failing');
      status.message = result.firstFailure ?? 'a node failed';
      enter(ctx, 'Failing', status.message);
    } else if (result.allTerminal) {
      const outputs = resolveInputs(ctx, root, ctx.spec.outputs);
      const holder: { phase: 'Succeeded'; outputs?: unknown; outputRef?: string } = { phase: 'Succeeded' };
      ctx.recordOutputs(WORKFLOW_OUTPUTS_PATH, holder, outputs);
      if (holder.outputRef !== undefined) status.outputRef = holder.outputRef;
      else status.outputs = outputs;
      finish(ctx, 'Succeeded', 'Succeeded', `${result.succeeded} nodes succeeded`);
      return;
    }
  }
  if (status.phase === 'Failing') {
    const onFailure = ctx.spec.onFailure;
    if (onFailure) {
      const ns = ctx.nodeStatus(ON_FAILURE_PATH, onFailure);
      runner.runNode(ctx, {
        path: ON_FAILURE_PATH,
        node: { ...onFailure, id: ON_FAILURE_PATH },
        ns,
        scope: { ...root, failFast: true },
      });
      if (!isTerminalNodePhase(ns.phase)) return;
      if (ns.phase !== 'Succeeded')
        status.message =
          `${status.message ?? 'failed'}; onFailure node ${ns.phase.toLowerCase()}: ${ns.message ?? ''}`.trim();
    }
    finish(ctx, 'Failed', 'NodeFailed', status.message ?? 'a node failed');
  }
}

function enter(ctx: RoundContext, phase: WorkflowPhase, message?: string): void {
  const { status } = ctx;
  if (status.phase === phase) return;
  status.phase = phase;
  if (phase === 'Running') setCondition(ctx, 'Progressing', 'True', 'Running');
  if (phase === 'Failing') setCondition(ctx, 'Progressing', 'True', 'Failing', message);
  const uid = ctx.identity.uid;
  ctx.events.push({
    id: workflowEventId(uid, phase),
    scope: 'workflow',
    workflow: { namespace: ctx.identity.namespace, name: ctx.identity.name, uid },
    phase,
    occurredAt: ctx.nowIso,
    ...(message !== undefined ? { message } : {}),
    ...(phase === 'Succeeded' && status.outputs !== undefined ? { outputs: status.outputs as JsonObject } : {}),
    ...(phase === 'Succeeded' && status.outputRef !== undefined ? { outputRef: status.outputRef } : {}),
  });
}

function finish(ctx: RoundContext, phase: WorkflowPhase, reason: string, message: string): void {
  const { status } = ctx;
  status.finishedAt = ctx.nowIso;
  status.message = message;
  const top = ctx.spec.nodes?.length ?? 0;
  if (Array.isArray(ctx.spec.nodes)) {
    const done = ctx.spec.nodes.filter((n) => isTerminalNodePhase(status.nodes?.[n.id ?? '']?.phase)).length;
    status.progress = `${done}/${top}`;
  }
  setCondition(ctx, 'Progressing', 'False', phase, message);
  setCondition(ctx, 'Succeeded', phase === 'Succeeded' ? 'True' : 'False', reason, message);
  enter(ctx, phase, message);
}

function setCondition(
  ctx: RoundContext,
  type: ConditionType,
  value: 'True' | 'False' | 'Unknown',
  reason: string,
  message?: string,
): void {
  const conditions = (ctx.status.conditions ??= []);
  const generation = ctx.workflow.metadata.generation;
  const existing = conditions.find((c) => c.type === type);
  const next = {
    type,
    status: value,
    reason,
    ...(message !== undefined ? { message: message.slice(0, 32768) } : {}),
    lastTransitionTime: existing && existing.status === value ? existing.lastTransitionTime : ctx.nowIso,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  if (existing) Object.assign(existing, next);
  else conditions.push(next);
  if (message === undefined && existing) delete existing.message;
}
