/**
 * The driver: one controller round for one workflow. It loops
 *   executeRound → apply actions (plugins, child gateway, output store) → feed observations back
 * while the engine keeps asking for things that answer now, up to `maxStreak` passes (Flyte's
 * round streak), so a chain of instant nodes costs one round. All I/O goes through the injected
 * interfaces; the driver never writes the Workflow itself (the caller writes `status`).
 *
 * Guarantees: every action of every pass is applied before `runRound` resolves (so `status` may be
 * written after it: offloaded outputs are stored, aborts sent). A plugin or gateway error costs
 * nothing against the task: the observation is left out, the engine asks again, and the round
 * asks to be re-queued after `errorRetryMs`. A terminal error (a `FlotillaError` that is not
 * retryable) from a task's start or check is that attempt's non-retryable system failure; from
 * storing outputs it is thrown out of `runRound` (the round fails the Workflow with it).
 *
 * `started` lists the task attempts whose plugin `start` returned an observation that the engine
 * then took in (so the status it returns records them as started). A start of the last pass, whose
 * observation no pass took in (the streak ran out, the signal aborted), is left out: the status
 * still says `Starting`, and the next round starts that attempt again.
 */
import type { JsonObject } from '../api/schema.js';
import type { WorkflowStatus } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { ExecutionEvent } from './events.js';
import type { PluginRegistry } from './plugin-registry.js';
import type { TaskContext, TaskObservation } from './plugins.js';
import type { CacheObservation, TaskCatalog } from './catalog.js';
import type { RecoveryObservation, TaskRecovery } from './recovery.js';
import { describeError, isTerminal } from '../api/errors.js';
import { DriverError } from './errors.js';
import type { OutputOwner, OutputStore } from './outputs.js';
import {
  taskKey,
  type ChildObservation,
  type ChildWorkflowManifest,
  type EngineAction,
  type EngineOptions,
  type Observations,
} from './types.js';
import { executeRound } from './workflow-executor.js';

/** Launched child Workflows: create (AlreadyExists is success), read, delete (NotFound is success). */
export interface ChildWorkflowGateway {
  create(child: ChildWorkflowManifest, signal?: AbortSignal): Promise<void>;
  /** The child's phase and outputs; `{ phase: 'NotFound' }` when it does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<ChildObservation>;
  delete(namespace: string, name: string, signal?: AbortSignal): Promise<void>;
}

export interface DriverOptions {
  readonly plugins: PluginRegistry;
  readonly outputs: OutputStore;
  /** Without it, launching a child Workflow fails that node. */
  readonly children?: ChildWorkflowGateway;
  /** Cached task outputs. Without it, cacheable tasks run uncached (their lookups answer `disabled`). */
  readonly catalog?: TaskCatalog;
  /** Where `spec.recoverFrom`'s earlier execution is read. Without it such workflows run every task. */
  readonly recovery?: TaskRecovery;
  /** The clock, ms since the epoch. @defaultValue Date.now */
  readonly clock?: () => number;
  readonly engine?: EngineOptions;
  /** Most engine passes per round. @defaultValue 8 */
  readonly maxStreak?: number;
  /** Re-queue delay after a plugin or gateway error. @defaultValue 5000 */
  readonly errorRetryMs?: number;
  /** Most actions applied at once. @defaultValue 64 */
  readonly concurrency?: number;
}

/** A task attempt whose `start` was called and answered, and the engine took in the answer. */
export interface StartedTask {
  /** The node's path (`TaskContext.nodeId`). */
  readonly nodeId: string;
  readonly attempt: number;
  /** The plugin's name. */
  readonly plugin: string;
}

export interface DriverRoundResult {
  readonly status: WorkflowStatus;
  readonly events: ExecutionEvent[];
  /** Run the next round after this long; 0 = at once (the streak ran out with work left). */
  readonly requeueAfterMs?: number;
  /** Engine passes used. */
  readonly passes: number;
  readonly changed: boolean;
  /** Plugin and gateway errors met (already accounted for in `requeueAfterMs`). */
  readonly errors: DriverError[];
  /** Task attempts started in this round whose answer is in `status` (see the module comment). */
  readonly started: StartedTask[];
}

interface Applied {
  tasks: Record<string, TaskObservation>;
  children: Record<string, ChildObservation>;
  cache: Record<string, CacheObservation>;
  recovery: Record<string, RecoveryObservation>;
  started: StartedTask[];
  fed: boolean;
}

export class EngineDriver {
  private readonly clock: () => number;
  private readonly maxStreak: number;

  constructor(private readonly options: DriverOptions) {
    this.clock = options.clock ?? Date.now;
    this.maxStreak = Math.max(1, options.maxStreak ?? 8);
  }

  async runRound(workflow: Workflow, signal?: AbortSignal): Promise<DriverRoundResult> {
    let status = workflow.status ?? {};
    const events: ExecutionEvent[] = [];
    const errors: DriverError[] = [];
    const loaded: Record<string, JsonObject> = {};
    let observations: Observations = {};
    let requeueAfterMs: number | undefined;
    let changed = false;
    let passes = 0;
    let pending = false;
    const started: StartedTask[] = [];
    const answered: StartedTask[] = [];
    // Never before a time the status already records: replicas' clocks agree only to within their
    // estimates of the API server's (src/kube/server-clock.ts), and a workflow's times and events
    // must not run backwards when a round of it moves to another replica.
    const floorMs = latestRecordedMs(status);
    while (passes < this.maxStreak) {
      passes++;
      const result = executeRound({
        workflow: { ...workflow, status },
        observations,
        now: Math.max(this.clock(), floorMs),
        ...(this.options.engine ? { options: this.options.engine } : {}),
      });
      // This pass took in the previous pass's answers: those starts are in `status` now.
      started.push(...answered.splice(0));
      status = result.status;
      events.push(...result.events);
      changed ||= result.changed;
      requeueAfterMs = result.requeueAfterMs;
      pending = false;
      if (result.actions.length === 0) break;
      const applied = await this.apply(workflow, result.actions, loaded, errors, signal);
      observations = {
        tasks: applied.tasks,
        children: applied.children,
        outputs: loaded,
        cache: applied.cache,
        recovery: applied.recovery,
      };
      answered.push(...applied.started);
      pending = applied.fed;
      if (!applied.fed || signal?.aborted) break;
    }
    if (pending) requeueAfterMs = 0;
    if (errors.length > 0)
      requeueAfterMs = Math.min(requeueAfterMs ?? Number.POSITIVE_INFINITY, this.options.errorRetryMs ?? 5000);
    return {
      status,
      events,
      ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
      passes,
      changed,
      errors,
      started,
    };
  }

  private async apply(
    owner: OutputOwner,
    actions: readonly EngineAction[],
    loaded: Record<string, JsonObject>,
    errors: DriverError[],
    signal?: AbortSignal,
  ): Promise<Applied> {
    const out: Applied = { tasks: {}, children: {}, cache: {}, recovery: {}, started: [], fed: false };
    // Offloads first: a status referencing a ref must never be written before the ref exists.
    const ordered = [
      ...actions.filter((a) => a.type === 'offloadOutputs'),
      ...actions.filter((a) => a.type !== 'offloadOutputs'),
    ];
    const run = async (action: EngineAction): Promise<void> => {
      try {
        await this.applyOne(owner, action, out, loaded, signal);
      } catch (error) {
        if ((action.type === 'startTask' || action.type === 'checkTask') && isTerminal(error)) {
          // Asking again cannot help: the attempt fails (not retryable) with the cause, instead of
          // the round coming back to the same error forever.
          out.tasks[taskKey(action.task.nodeId, action.task.attempt)] = {
            phase: 'Failed',
            failure: { kind: 'system', reason: error.code, message: describeError(error), retryable: false },
          };
          out.fed = true;
          return;
        }
        errors.push(
          error instanceof DriverError
            ? error
            : new DriverError(
                'PluginError',
                `${action.type}: ${error instanceof Error ? error.message : String(error)}`,
                { cause: error },
              ),
        );
        if (action.type === 'offloadOutputs') throw error;
      }
    };
    const offloads = ordered.filter((a) => a.type === 'offloadOutputs');
    await pool(offloads, this.options.concurrency ?? 64, run);
    await pool(ordered.slice(offloads.length), this.options.concurrency ?? 64, run);
    return out;
  }

  private async applyOne(
    owner: OutputOwner,
    action: EngineAction,
    out: Applied,
    loaded: Record<string, JsonObject>,
    signal?: AbortSignal,
  ): Promise<void> {
    switch (action.type) {
      case 'startTask':
      case 'checkTask': {
        const plugin = this.options.plugins.get(action.task.task.plugin);
        const key = taskKey(action.task.nodeId, action.task.attempt);
        if (!plugin) {
          out.tasks[key] = {
            phase: 'Failed',
            failure: {
              kind: 'system',
              reason: 'PluginNotFound',
              message: `no plugin named ${action.task.task.plugin}`,
              retryable: false,
            },
          };
        } else if (action.type === 'startTask') {
          out.tasks[key] = await plugin.start(action.task, signal);
          out.started.push({
            nodeId: action.task.nodeId,
            attempt: action.task.attempt,
            plugin: action.task.task.plugin,
          });
        } else {
          out.tasks[key] = await plugin.check(action.task, signal);
        }
        out.fed = true;
        return;
      }
      case 'abortTask': {
        const plugin = this.options.plugins.get(action.task.task.plugin);
        if (plugin) await plugin.abort(action.task, signal);
        return;
      }
      case 'createChildWorkflow':
      case 'checkChildWorkflow': {
        const name = action.type === 'createChildWorkflow' ? action.child.metadata.name : action.name;
        const namespace = action.type === 'createChildWorkflow' ? action.child.metadata.namespace : action.namespace;
        const gateway = this.options.children;
        if (!gateway) {
          out.children[name] = { phase: 'Failed', message: 'launching child workflows is not available here' };
        } else {
          if (action.type === 'createChildWorkflow') await gateway.create(action.child, signal);
          out.children[name] = await gateway.get(namespace, name, signal);
        }
        out.fed = true;
        return;
      }
      case 'deleteChildWorkflow':
        await this.options.children?.delete(action.namespace, action.name, signal);
        return;
      case 'offloadOutputs':
        try {
          await this.options.outputs.put(action.ref, action.outputs, owner);
        } catch (error) {
          throw new DriverError(
            'OutputStoreError',
            `storing outputs ${action.ref}: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
        loaded[action.ref] = action.outputs;
        return;
      case 'lookupCache': {
        const catalog = this.options.catalog;
        out.cache[action.task.nodeId] = catalog
          ? {
              action: 'lookup',
              lookup: await catalog.lookup(
                action.task,
                { reserve: action.reserve, owner: action.owner, heartbeatMs: action.heartbeatMs },
                signal,
              ),
            }
          : { action: 'lookup', disabled: true };
        out.fed = true;
        return;
      }
      case 'extendCache':
        await this.options.catalog?.extend(action.task, action.owner, action.heartbeatMs, signal);
        return;
      case 'putCache': {
        const catalog = this.options.catalog;
        try {
          if (!catalog) throw new Error('no catalog is configured');
          await catalog.put(action.task, action.outputs, { overwrite: action.overwrite }, signal);
          out.cache[action.task.nodeId] = { action: 'put', stored: true };
        } catch (error) {
          // As FlytePropeller: a failed put is the node's CACHE_PUT_FAILURE, never its failure.
          out.cache[action.task.nodeId] = { action: 'put', stored: false, message: describeError(error) };
        }
        out.fed = true;
        if (action.release) await this.releaseQuietly(action.task, action.owner, signal);
        return;
      }
      case 'releaseCache':
        await this.releaseQuietly(action.task, action.owner, signal);
        return;
      case 'recoverTask': {
        const recovery = this.options.recovery;
        out.recovery[action.task.nodeId] = recovery
          ? await recovery.recover(action.task, action.from, signal)
          : { disabled: true };
        out.fed = true;
        return;
      }
      case 'loadOutputs': {
        const value = await this.options.outputs.get(action.ref, owner);
        if (value === undefined)
          throw new DriverError('OutputStoreError', `outputs ${action.ref} are missing from the store`);
        loaded[action.ref] = value;
        out.fed = true;
        return;
      }
    }
  }

  /** A release that fails is left to the reservation's expiry: nothing else waits on it. */
  private async releaseQuietly(task: TaskContext, owner: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.options.catalog?.release(task, owner, signal);
    } catch {
      // expiry covers it
    }
  }
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await fn(item);
    }
  });
  await Promise.all(workers);
}

/** The latest time a status records as past (starts, ends, condition changes); -Infinity if none. */
export function latestRecordedMs(status: WorkflowStatus): number {
  let latest = -Infinity;
  const take = (time: string | undefined) => {
    if (time === undefined) return;
    const ms = Date.parse(time);
    if (ms > latest) latest = ms;
  };
  take(status.startedAt);
  take(status.finishedAt);
  for (const condition of status.conditions ?? []) take(condition.lastTransitionTime);
  for (const node of Object.values(status.nodes ?? {})) {
    take(node.startedAt);
    take(node.finishedAt);
    take(node.attemptStartedAt);
  }
  return latest;
}
