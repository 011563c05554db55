/**
 * The task node: attempts, the plugin's observations, per-attempt timeout, retries with back-off,
 * user and system failures counted against separate budgets.
 *
 * Per attempt: `startTask` until the plugin acknowledges (taskPhase Starting), then `checkTask`
 * whenever `nextCheckAt` has passed; a terminal observation ends the attempt. A timeout aborts the
 * attempt (`abortTask`) and counts as a user failure (`Timeout`).
 *
 * A cacheable task (template `cache`) first looks itself up (`lookupCache`), as FlytePropeller's
 * node executor does: a hit takes the stored outputs and succeeds without an attempt (CACHE_HIT);
 * a miss runs it (CACHE_MISS), holding the catalog's reservation when `serialize` (a reservation
 * held by another node waits, taskPhase WaitingForCache, and looks again); success stores the
 * outputs (`putCache`, taskPhase WritingCache) before the node succeeds (CACHE_POPULATED, or
 * CACHE_PUT_FAILURE: the node still succeeds). The holder extends its reservation every
 * `cacheHeartbeatMs` and releases it when the node ends. `spec.overwriteCache` skips the lookup
 * (CACHE_SKIPPED) and replaces the stored outputs.
 *
 * With `spec.recoverFrom` the node first asks (`recoverTask`) whether it succeeded in that earlier
 * execution: if so it takes those outputs and succeeds (`recovered: true`) without an attempt.
 */
import type { JsonObject, TaskTemplate } from '../../api/schema.js';
import { isTerminalNodePhase, type NodeStatus } from '../../api/status.js';
import type { TaskFailure, TaskObservation } from '../plugins.js';
import { cacheOwnerId, type CacheLookup } from '../catalog.js';
import { backoffDelayMs } from '../backoff.js';
import { resolveInputs } from '../bindings.js';
import { effectiveTask, isJsonObject, type NodeRef, type RoundContext } from '../context.js';
import { formatDuration, iso, msOf, parseDuration } from '../../api/duration.js';
import { EngineError } from '../errors.js';
import { taskKey } from '../types.js';

/** How a cacheable task uses the catalog in this workflow. */
interface CachePlan {
  readonly serialize: boolean;
  readonly overwrite: boolean;
  readonly owner: string;
}

export function runTaskNode(ctx: RoundContext, ref: NodeRef): void {
  const { path, node, ns } = ref;
  const taskName = node.task;
  const template = taskName !== undefined ? ctx.spec.tasks[taskName] : undefined;
  if (taskName === undefined || template === undefined) {
    throw new EngineError('InvalidSpec', `task node ${path} names an unknown task ${JSON.stringify(taskName)}`);
  }
  const task = effectiveTask(template, node);
  const cache: CachePlan | undefined =
    task.cache !== undefined
      ? {
          serialize: task.cache.serialize ?? true,
          overwrite: ctx.spec.overwriteCache === true,
          owner: cacheOwnerId(ctx.identity.uid, path),
        }
      : undefined;
  ns.task = taskName;
  const inputs = resolveInputs(ctx, ref.scope, node.inputs);
  advanceTask(ctx, ref, taskName, task, inputs, cache);
  // A node that ended without storing its outputs gives its reservation back (a success releases
  // it with the put); a lost release only makes the next holder wait for the expiry.
  if (cache && ns.cacheHeartbeatAt !== undefined && isTerminalNodePhase(ns.phase)) {
    ctx.emit({ type: 'releaseCache', task: ctx.taskContext(path, ns, taskName, task, inputs), owner: cache.owner });
    delete ns.cacheHeartbeatAt;
  }
}

/**
 * The task node one pass advances: what its actions name and how an attempt starts. A class rather
 * than closures made per node per pass (what a round spends its time on).
 */
class TaskStep {
  constructor(
    private readonly ctx: RoundContext,
    private readonly path: string,
    private readonly ns: NodeStatus,
    private readonly taskName: string,
    private readonly task: TaskTemplate,
    private readonly inputs: JsonObject,
    private readonly timeoutMs: number | undefined,
  ) {}

  context(): ReturnType<RoundContext['taskContext']> {
    return this.ctx.taskContext(this.path, this.ns, this.taskName, this.task, this.inputs);
  }

  start(attempt: number): void {
    const { ctx, ns, path, timeoutMs } = this;
    ns.attempts = attempt;
    ns.attemptStartedAt = ctx.nowIso;
    ns.taskPhase = 'Starting';
    delete ns.pluginState;
    delete ns.nextAttemptAt;
    delete ns.nextCheckAt;
    ctx.setPhase(path, ns, 'Running', { message: `attempt ${attempt} starting` });
    ctx.emit({ type: 'startTask', task: this.context() });
    if (timeoutMs !== undefined) ctx.wake(ctx.now + timeoutMs);
  }
}

function advanceTask(
  ctx: RoundContext,
  ref: NodeRef,
  taskName: string,
  task: TaskTemplate,
  inputs: JsonObject,
  cache: CachePlan | undefined,
): void {
  const { path, ns } = ref;
  const timeoutMs = parseDuration(task.timeout);
  const step = new TaskStep(ctx, path, ns, taskName, task, inputs, timeoutMs);

  // Recovery comes before the catalog, as in FlytePropeller's node executor: a node that succeeded
  // in the earlier execution takes its outputs, no attempt at all. Asked once per node.
  const recoverFrom = ctx.spec.recoverFrom;
  if (recoverFrom !== undefined && ns.phase === 'Pending' && ns.recovered === undefined) {
    const observed = ctx.observations.recovery?.[path];
    if (observed === undefined) {
      ctx.emit({ type: 'recoverTask', task: step.context(), from: recoverFrom });
      return;
    }
    if ('disabled' in observed || !observed.recovered) {
      ns.recovered = false;
    } else {
      ns.recovered = true;
      ns.startedAt ??= ctx.nowIso;
      ctx.recordOutputs(path, ns, isJsonObject(observed.outputs) ? { ...observed.outputs } : {});
      ctx.setPhase(path, ns, 'Succeeded', { message: `outputs recovered from execution ${recoverFrom}` });
      return;
    }
  }

  // The catalog comes before the first attempt: a hit means no attempt at all.
  if (cache && (ns.phase === 'Pending' || ns.taskPhase === 'WaitingForCache')) {
    if (ns.phase === 'Pending' && cache.overwrite) {
      ns.cacheStatus = 'CACHE_SKIPPED';
      step.start(1);
      return;
    }
    const observed = ctx.observations.cache?.[path];
    if (observed?.action === 'lookup') {
      if ('disabled' in observed) step.start(1);
      else if (takeLookup(ctx, path, ns, observed.lookup)) step.start(1);
      return;
    }
    const at = msOf(ns.nextCheckAt) ?? ctx.now;
    if (ns.phase === 'Pending' || ctx.now >= at)
      ctx.emit({
        type: 'lookupCache',
        task: step.context(),
        owner: cache.owner,
        reserve: cache.serialize,
        heartbeatMs: ctx.options.cacheHeartbeatMs,
      });
    else ctx.wake(at);
    return;
  }

  if (ns.phase === 'Pending') {
    if (ctx.mayStart(path, ns)) step.start(1);
    return;
  }
  if (cache) heartbeat(ctx, ns, cache, step);
  if (ns.phase === 'WaitingForRetry') {
    const at = msOf(ns.nextAttemptAt) ?? ctx.now;
    if (ctx.now >= at) step.start((ns.attempts ?? 0) + 1);
    else ctx.wake(at);
    return;
  }
  if (ns.phase !== 'Running') return;

  const attempt = ns.attempts ?? 1;
  if (ns.taskPhase === 'WritingCache' && cache) {
    finishCachePut(ctx, path, ns, cache, step);
    return;
  }
  const observation = ctx.observations.tasks?.[taskKey(path, attempt)];
  if (observation) {
    applyObservation(ctx, path, ns, observation, task.retries ?? 0);
    if (ns.phase === 'Running' && ns.taskPhase === 'WritingCache' && cache) {
      ctx.emit({
        type: 'putCache',
        task: step.context(),
        outputs: ctx.readOutputs(ns),
        overwrite: cache.overwrite,
        owner: cache.owner,
        release: ns.cacheHeartbeatAt !== undefined,
      });
    }
    if (ns.phase !== 'Running' || ns.taskPhase === 'WritingCache') return;
  }
  const startedAt = msOf(ns.attemptStartedAt) ?? ctx.now;
  if (timeoutMs !== undefined && ctx.now >= startedAt + timeoutMs) {
    ctx.emit({ type: 'abortTask', task: step.context(), reason: 'Timeout' });
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
    ctx.emit({ type: 'startTask', task: step.context() });
    return;
  }
  const checkAt = msOf(ns.nextCheckAt) ?? ctx.now;
  if (ctx.now >= checkAt) ctx.emit({ type: 'checkTask', task: step.context() });
  else ctx.wake(checkAt);
}

/** Takes in a lookup's answer; true when the task should run now. */
function takeLookup(ctx: RoundContext, path: string, ns: NodeStatus, lookup: CacheLookup): boolean {
  if (lookup.result === 'hit') {
    ns.cacheStatus = 'CACHE_HIT';
    ns.startedAt ??= ctx.nowIso;
    ctx.recordOutputs(path, ns, isJsonObject(lookup.outputs) ? { ...lookup.outputs } : {});
    ctx.setPhase(path, ns, 'Succeeded', { message: 'outputs taken from the cache' });
    return false;
  }
  const reservation = lookup.reservation;
  if (reservation && !reservation.acquired) {
    // Another node runs the same task with the same inputs: wait for its outputs, look again.
    ns.taskPhase = 'WaitingForCache';
    const next = ctx.now + ctx.options.checkIntervalMs;
    ns.nextCheckAt = iso(next);
    const until = reservation.expiresAt !== undefined ? ` until ${reservation.expiresAt}` : '';
    ctx.setPhase(path, ns, 'Running', {
      message: `waiting on serialized cache: ${reservation.owner} holds the reservation${until}`,
    });
    ctx.wake(next);
    return false;
  }
  ns.cacheStatus = 'CACHE_MISS';
  if (reservation) ns.cacheHeartbeatAt = ctx.nowIso;
  return true;
}

/** Extends the reservation the node holds, every `cacheHeartbeatMs`. */
function heartbeat(ctx: RoundContext, ns: NodeStatus, cache: CachePlan, step: TaskStep): void {
  if (ns.cacheHeartbeatAt === undefined || isTerminalNodePhase(ns.phase)) return;
  const due = (msOf(ns.cacheHeartbeatAt) ?? ctx.now) + ctx.options.cacheHeartbeatMs;
  if (ctx.now < due) {
    ctx.wake(due);
    return;
  }
  ctx.emit({
    type: 'extendCache',
    task: step.context(),
    owner: cache.owner,
    heartbeatMs: ctx.options.cacheHeartbeatMs,
  });
  ns.cacheHeartbeatAt = ctx.nowIso;
  ctx.wake(ctx.now + ctx.options.cacheHeartbeatMs);
}

/** The put's answer ends the node; without one (a crash, the streak ran out) the put is asked again. */
function finishCachePut(ctx: RoundContext, path: string, ns: NodeStatus, cache: CachePlan, step: TaskStep): void {
  const attempt = ns.attempts ?? 1;
  const observed = ctx.observations.cache?.[path];
  if (observed?.action === 'put') {
    // The put released the reservation (or it expires): nothing left to give back.
    delete ns.cacheHeartbeatAt;
    if (observed.stored) {
      ns.cacheStatus = 'CACHE_POPULATED';
      ctx.setPhase(path, ns, 'Succeeded', { message: `attempt ${attempt} succeeded; outputs cached` });
    } else {
      ns.cacheStatus = 'CACHE_PUT_FAILURE';
      ctx.setPhase(path, ns, 'Succeeded', {
        message: `attempt ${attempt} succeeded; caching its outputs failed: ${observed.message}`,
      });
    }
    return;
  }
  ctx.emit({
    type: 'putCache',
    task: step.context(),
    outputs: ctx.readOutputs(ns),
    overwrite: cache.overwrite,
    owner: cache.owner,
    release: ns.cacheHeartbeatAt !== undefined,
  });
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
      if (ns.cacheStatus === 'CACHE_MISS' || ns.cacheStatus === 'CACHE_SKIPPED') {
        // A cacheable task: the node succeeds once its outputs are in the catalog (the caller puts them).
        ns.taskPhase = 'WritingCache';
        delete ns.nextCheckAt;
        ns.message = `attempt ${attempt} succeeded; storing its outputs in the cache`;
        return;
      }
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
