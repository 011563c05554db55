/**
 * The pure engine's inputs and outputs. A round is
 * `executeRound({ workflow, observations, now, options }) → { status, actions, events, requeueAfterMs }`:
 * no I/O, no clock of its own, no randomness; the same input always gives the same output.
 */
import type { JsonObject, JsonValue } from '../api/schema.js';
import type { WorkflowStatus } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { ExecutionEvent } from './events.js';
import type { TaskContext, TaskObservation } from './plugins.js';
import type { BackoffOptions } from './backoff.js';
import type { CacheObservation } from './catalog.js';
import type { RecoveryObservation } from './recovery.js';

/** Key of a task observation: `<nodeId>#<attempt>`. */
export function taskKey(nodeId: string, attempt: number): string {
  return `${nodeId}#${attempt}`;
}

/** The manifest of a launched child Workflow (the API server assigns its uid). */
export interface ChildWorkflowManifest extends Omit<Workflow, 'metadata' | 'status'> {
  metadata: Omit<Workflow['metadata'], 'uid'> & { uid?: string };
}

/** What the engine last learned about a launched child Workflow. */
export interface ChildObservation {
  /** The child's `status.phase`; `NotFound` when it does not exist. */
  readonly phase: string;
  readonly outputs?: JsonObject;
  readonly message?: string;
}

/**
 * What the driver learned by applying the previous actions. Everything is optional: a round with
 * no observations re-asks what it needs (checkTask, checkChildWorkflow, loadOutputs).
 */
export interface Observations {
  /** Results of `startTask` / `checkTask`, keyed by {@link taskKey}. */
  readonly tasks?: Readonly<Record<string, TaskObservation>>;
  /** Results of `createChildWorkflow` / `checkChildWorkflow`, keyed by child name. */
  readonly children?: Readonly<Record<string, ChildObservation>>;
  /** Offloaded outputs the driver has in hand, keyed by ref. */
  readonly outputs?: Readonly<Record<string, JsonObject>>;
  /** Results of `lookupCache` / `putCache`, keyed by node path. */
  readonly cache?: Readonly<Record<string, CacheObservation>>;
  /** Results of `recoverTask`, keyed by node path. */
  readonly recovery?: Readonly<Record<string, RecoveryObservation>>;
}

/**
 * Side effects for the driver. All are idempotent: applying one twice is the same as once.
 * Order inside one round's list matters only for `offloadOutputs`, which must be applied
 * before the status that references it is written.
 */
export type EngineAction =
  | { readonly type: 'startTask'; readonly task: TaskContext }
  | { readonly type: 'checkTask'; readonly task: TaskContext }
  | { readonly type: 'abortTask'; readonly task: TaskContext; readonly reason: string }
  | { readonly type: 'createChildWorkflow'; readonly nodeId: string; readonly child: ChildWorkflowManifest }
  | { readonly type: 'checkChildWorkflow'; readonly nodeId: string; readonly namespace: string; readonly name: string }
  | { readonly type: 'deleteChildWorkflow'; readonly nodeId: string; readonly namespace: string; readonly name: string }
  | { readonly type: 'offloadOutputs'; readonly nodeId: string; readonly ref: string; readonly outputs: JsonObject }
  | { readonly type: 'loadOutputs'; readonly ref: string }
  /** Look the task up in the catalog; on a miss take the reservation when `reserve`. */
  | {
      readonly type: 'lookupCache';
      readonly task: TaskContext;
      readonly owner: string;
      readonly reserve: boolean;
      readonly heartbeatMs: number;
    }
  /** Heartbeat: extend the reservation (no observation; a lost reservation only costs a duplicate run). */
  | { readonly type: 'extendCache'; readonly task: TaskContext; readonly owner: string; readonly heartbeatMs: number }
  /** Store the outputs (replace them when `overwrite`), then release the reservation when `release`. */
  | {
      readonly type: 'putCache';
      readonly task: TaskContext;
      readonly outputs: JsonObject;
      readonly overwrite: boolean;
      readonly owner: string;
      readonly release: boolean;
    }
  | { readonly type: 'releaseCache'; readonly task: TaskContext; readonly owner: string }
  /** Ask whether the task node succeeded in the earlier execution `from` (`spec.recoverFrom`), and its outputs. */
  | { readonly type: 'recoverTask'; readonly task: TaskContext; readonly from: string };

export interface EngineOptions {
  /** Outputs whose JSON is larger than this go to the output store. @defaultValue 16384 */
  readonly maxInlineOutputBytes?: number;
  /**
   * Largest outputs (JSON bytes) a task may return: the output store's limit. A task returning
   * more fails, not retryable (`OutputTooLarge`), naming the limit. @defaultValue no limit
   */
  readonly maxOutputBytes?: number;
  /** Retries of system failures (lost pod, plugin error), apart from the task's `retries`. @defaultValue 3 */
  readonly systemRetries?: number;
  /** Back-off between attempts. */
  readonly backoff?: BackoffOptions;
  /** How long to wait before asking a plugin again when it gave no `checkAfterMs`. @defaultValue 1000 */
  readonly checkIntervalMs?: number;
  /** How often to look at a launched child Workflow. @defaultValue 2000 */
  readonly childCheckIntervalMs?: number;
  /** Nesting limit of sub-workflows (a guard against runaway recursion). @defaultValue 32 */
  readonly maxDepth?: number;
  /**
   * When an interruptible task stops being interruptible (FlytePropeller's
   * `interruptible-failure-threshold`): a positive N drops it once N system failures were counted; a
   * negative -N keeps the last N attempts of the system-failure budget (`systemRetries` + 1) off
   * interruptible nodes. The plugins see `task.interruptible: false` for such an attempt.
   * @defaultValue -1 (the last attempt runs on a non-interruptible node)
   */
  readonly interruptibleFailureThreshold?: number;
  /**
   * How often a node holding a cache reservation extends it (the catalog expires a reservation a
   * few heartbeats after the last one), and how often a node waiting on another's reservation
   * looks again. @defaultValue 10000
   */
  readonly cacheHeartbeatMs?: number;
}

export interface RoundInput {
  readonly workflow: Workflow;
  readonly observations?: Observations;
  /** The clock, in ms since the epoch. */
  readonly now: number;
  readonly options?: EngineOptions;
}

export interface RoundResult {
  readonly status: WorkflowStatus;
  readonly actions: EngineAction[];
  readonly events: ExecutionEvent[];
  /** Come back after this long (time-based wake-up: back-off, sleep, deadline, polling). */
  readonly requeueAfterMs?: number;
  /** Whether `status` differs from the input's. */
  readonly changed: boolean;
}

export type { JsonObject, JsonValue };
