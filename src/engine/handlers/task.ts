/**
 * The task node: attempts, the plugin's observations, per-attempt timeout, retries with back-off,
 * user and system failures counted against separate budgets.
 *
 * Per attempt: `startTask` until the plugin acknowledges (taskPhase Starting), then `checkTask`
 * whenever `nextCheckAt` has passed; a terminal observation ends the attempt. A timeout aborts the
 * attempt (`abortTask`) and counts as a user failure (`Timeout`).
 */
import type { JsonObject } from '../../api/schema.js';
import type { NodeStatus } from '../../api/status.js';
import type { TaskFailure, TaskObservation } from '../plugins.js';
import { backoffDelayMs } from '../backoff.js';
import { resolveInputs } from '../bindings.js';
import { effectiveTask, isJsonObject, type NodeRef, type RoundContext } from '../context.js';
import { formatDuration, iso, msOf, parseDuration } from '../../api/duration.js';
import { EngineError } from '../errors.js';
import { taskKey } from '../types.js';

export function runTaskNode(ctx: RoundContext, ref: NodeRef): void {
  const { path, node, ns, scope } = ref;
  const taskName = node.task;
  const template = taskName !== undefined ? ctx.spec.tasks[taskName] : undefined;
  if (taskName === undefined || template === undefined) {
    throw new EngineError('InvalidSpec', `task node ${path} names an unknown task ${JSON.stringify(taskName)}`);
  }
  const task = effectiveTask(template, node);
  ns.task = taskName;
  const inputs = resolveInputs(ctx, scope, node.inputs);
  const timeoutMs = parseDuration(task.timeout);

  const start = (attempt: number): void => {
    ns.attempts = attempt;
    ns.attemptStartedAt = ctx.nowIso;
    ns.taskPhase = 'Starting';
    delete ns.pluginState;
    delete ns.nextAttemptAt;
    delete ns.nextCheckAt;
    ctx.setPhase(path, ns, 'Running', { message: `attempt ${attempt} starting` });
    ctx.emit({ type: 'startTask', task: ctx.taskContext(path, ns, taskName, task, inputs) });
    if (timeoutMs !== undefined) ctx.wake(ctx.now + timeoutMs);
  };

  if (ns.phase === 'Pending') {
    if (ctx.mayStart(path, ns)) start(1);
    return;
  }
  if (ns.phase === 'WaitingForRetry') {
    const at = msOf(ns.nextAttemptAt) ?? ctx.now;
    if (ctx.now >= at) start((ns.attempts ?? 0) + 1);
    else ctx.wake(at);
    return;
  }
  if (ns.phase !== 'Running') return;

  const attempt = ns.attempts ?? 1;
  const observation = ctx.observations.tasks?.[taskKey(path, attempt)];
  if (observation) {
    applyObservation(ctx, path, ns, observation, task.retries ?? 0);
    if (ns.phase !== 'Running') return;
  }
  const startedAt = msOf(ns.attemptStartedAt) ?? ctx.now;
  if (timeoutMs !== undefined && ctx.now >= startedAt + timeoutMs) {
    ctx.emit({ type: 'abortTask', task: ctx.taskContext(path, ns, taskName, task, inputs), reason: 'Timeout' });
    recordFailure(
      ctx,
      path,
      ns,
      { kind: 'user', reason: 'Timeout', message: `attempt ${attempt} timed out after ${formatDuration(timeoutMs)}` },
      task.retries ?? 0,
    );
    return;
  }
  if (timeoutMs !== undefined) ctx.wake(startedAt + timeoutMs);
  if (observation) return;
  if (ns.taskPhase === 'Starting' || ns.taskPhase === undefined) {
    ctx.emit({ type: 'startTask', task: ctx.taskContext(path, ns, taskName, task, inputs) });
    return;
  }
  const checkAt = msOf(ns.nextCheckAt) ?? ctx.now;
  if (ctx.now >= checkAt) ctx.emit({ type: 'checkTask', task: ctx.taskContext(path, ns, taskName, task, inputs) });
  else ctx.wake(checkAt);
}

function applyObservation(
  ctx: RoundContext,
  path: string,
  ns: NodeStatus,
  observation: TaskObservation,
  retries: number,
): void {
  const attempt = ns.attempts ?? 1;
  if (observation.pluginState !== undefined) ns.pluginState = observation.pluginState;
  switch (observation.phase) {
    case 'Queued':
    case 'WaitingForResources':
    case 'Running': {
      if (ns.taskPhase !== observation.phase)
        ctx.taskEvent(
          path,
          attempt,
          observation.phase,
          observation.message !== undefined ? { message: observation.message } : {},
        );
      ns.taskPhase = observation.phase;
      const message = observation.message ?? `attempt ${attempt} ${observation.phase.toLowerCase()}`;
      ns.message = message;
      const next = ctx.now + Math.max(0, observation.checkAfterMs ?? ctx.options.checkIntervalMs);
      ns.nextCheckAt = iso(next);
      ctx.wake(next);
      return;
    }
    case 'Succeeded': {
      const outputs: JsonObject = isJsonObject(observation.outputs) ? { ...observation.outputs } : {};
      const size = Buffer.byteLength(JSON.stringify(outputs));
      if (size > ctx.options.maxOutputBytes) {
        // The store would refuse them on every round: fail the node now, naming the limit.
        recordFailure(
          ctx,
          path,
          ns,
          {
            kind: 'user',
            reason: 'OutputTooLarge',
            message: `outputs of attempt ${attempt} are ${size} bytes, more than the limit of ${ctx.options.maxOutputBytes} bytes`,
            retryable: false,
          },
          retries,
        );
        return;
      }
      ctx.recordOutputs(path, ns, outputs);
      ctx.taskEvent(path, attempt, 'Succeeded', ns.outputRef !== undefined ? { outputRef: ns.outputRef } : { outputs });
      delete ns.pluginState;
      ctx.setPhase(path, ns, 'Succeeded', { message: `attempt ${attempt} succeeded` });
      return;
    }
    case 'Failed':
      recordFailure(ctx, path, ns, observation.failure, retries);
      return;
  }
}

/** Counts a failed attempt against its budget, then waits to retry or fails the node. */
export function recordFailure(
  ctx: RoundContext,
  path: string,
  ns: NodeStatus,
  failure: TaskFailure,
  retries: number,
): void {
  const attempt = ns.attempts ?? 1;
  const kind = failure.kind === 'system' ? 'system' : 'user';
  if (kind === 'user') ns.userFailures = (ns.userFailures ?? 0) + 1;
  else ns.systemFailures = (ns.systemFailures ?? 0) + 1;
  ns.lastFailure = { kind, reason: failure.reason, message: failure.message, attempt };
  ctx.taskEvent(path, attempt, 'Failed', {
    message: failure.message,
    failure: { kind, reason: failure.reason, message: failure.message },
  });
  const used = kind === 'user' ? (ns.userFailures ?? 0) : (ns.systemFailures ?? 0);
  const budget = kind === 'user' ? retries : ctx.options.systemRetries;
  delete ns.pluginState;
  delete ns.nextCheckAt;
  delete ns.taskPhase;
  if (failure.retryable !== false && used <= budget) {
    const at = ctx.now + backoffDelayMs(attempt, ctx.options.backoff);
    ns.nextAttemptAt = iso(at);
    ctx.setPhase(path, ns, 'WaitingForRetry', {
      message: `${kind} failure ${failure.reason}: ${failure.message}; retry ${used}/${budget} at ${iso(at)}`,
      reason: failure.reason,
    });
    ctx.wake(at);
    return;
  }
  const why = failure.retryable === false ? 'not retryable' : `${kind} retries exhausted (${budget})`;
  ctx.setPhase(path, ns, 'Failed', {
    message: `${failure.reason}: ${failure.message} (attempt ${attempt}, ${why})`,
    reason: failure.reason,
  });
}
