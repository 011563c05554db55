/**
 * The task plugin contract, shared by every plugin family: in-process (`echo`, `sleep`,
 * `flaky`), `pod`, and `agent` (a remote service over gRPC).
 *
 * Ordering and retry guarantees:
 * - For one attempt (workflow, node, attempt) the caller calls `start` first, then `check`
 *   until the observation is terminal, and `abort` at most when the attempt is abandoned
 *   (timeout, workflow abort or failure). `start` may be called again after a crash or a
 *   repeated round: it must be idempotent (deterministic names, `AlreadyExists` = started), so a
 *   repeated call never launches the task twice.
 * - `abort` is idempotent and may be called for an attempt that never started.
 * - Plugins never throw for task-level failures: those are `Failed` observations. A thrown
 *   error means the plugin could not find out (API down, network): the caller retries the round
 *   later and counts nothing against the task.
 * - `pluginState` is a small JSON object the plugin may return; the engine stores it in the
 *   node's status and hands it back on the next call, so state survives replica restarts.
 */
import type { JsonObject, JsonValue, TaskTemplate } from '../api/schema.js';

export interface WorkflowIdentity {
  readonly namespace: string;
  readonly name: string;
  /** The Workflow's metadata.uid: owner references point at it. */
  readonly uid: string;
  /** The shard label value, copied onto child resources. */
  readonly shard?: string;
}

export interface TaskContext {
  readonly workflow: WorkflowIdentity;
  /** The node's path in the workflow, e.g. `extract`, `decide/publish/load`, `per-part/17`. */
  readonly nodeId: string;
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly taskName: string;
  readonly task: TaskTemplate;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  /** When this attempt started (ISO 8601), as recorded in the node's status. */
  readonly attemptStartedAt: string;
  /** What the plugin returned last for this attempt, if anything. */
  readonly pluginState?: JsonObject;
}

export type FailureKind = 'user' | 'system';

export interface TaskFailure {
  /** User failures (non-zero exit, a task's own error) and system failures (lost pod, plugin or
   * infrastructure error) count against separate budgets, as in Flyte. */
  readonly kind: FailureKind;
  /** Machine-readable, e.g. `NonZeroExit`, `OOMKilled`, `ImagePullBackOff`, `Unavailable`. */
  readonly reason: string;
  readonly message: string;
  /** False when retrying cannot help (e.g. an invalid image name). @defaultValue true */
  readonly retryable?: boolean;
}

export type TaskObservation =
  /**
   * `WaitingForResources` (Flyte's task phase of that name): the cluster refused to start the task
   * for now (a ResourceQuota is used up). The attempt waits visibly, the plugin is asked again after
   * `checkAfterMs`, and the task's timeout still bounds the wait.
   */
  | {
      readonly phase: 'Queued' | 'Running' | 'WaitingForResources';
      readonly message?: string;
      readonly pluginState?: JsonObject;
      readonly checkAfterMs?: number;
    }
  | {
      readonly phase: 'Succeeded';
      readonly outputs: Readonly<Record<string, JsonValue>>;
      readonly pluginState?: JsonObject;
    }
  | { readonly phase: 'Failed'; readonly failure: TaskFailure; readonly pluginState?: JsonObject };

export interface TaskPlugin {
  /** The `plugin` value of task templates this plugin runs. */
  readonly name: string;
  start(ctx: TaskContext, signal?: AbortSignal): Promise<TaskObservation>;
  check(ctx: TaskContext, signal?: AbortSignal): Promise<TaskObservation>;
  abort(ctx: TaskContext, signal?: AbortSignal): Promise<void>;
}
