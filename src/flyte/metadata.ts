/**
 * The labels, annotations and finalizer FlyteAdmin and FlytePropeller v1.16.8 put on a
 * FlyteWorkflow. Their keys are bare (no domain prefix); the fleet reads them and sets its own
 * under `flotilla.io/`.
 */

/** Labels Flyte sets. */
export const FlyteLabels = {
  /** `fnv32a(execution name) % 32` as a decimal string (`"0"`–`"31"`), set by the compiler when FlyteAdmin builds the object. */
  shardKey: 'shard-key',
  /** The execution name (or, without an execution id, the workflow-derived name). */
  executionId: 'execution-id',
  /** The workflow's name (the last part of `spec.id`), sanitised to a label value. */
  workflowName: 'workflow-name',
  project: 'project',
  domain: 'domain',
  /** `terminated` once FlytePropeller finished the workflow; its informer filters these out. */
  terminationStatus: 'termination-status',
  /** The hour it finished, `YYYY-MM-DD.HH` (UTC), with `termination-status`; garbage collection selects on it. */
  completedTime: 'completed-time',
  /** Deprecated (older garbage collection): the hour of day it finished. */
  hourOfDay: 'hour-of-day',
} as const;

/** The value of `termination-status` on a finished workflow. */
export const TERMINATED = 'terminated';

/** The finalizer FlyteAdmin adds at creation; FlytePropeller removes it after aborting or finishing. */
export const FLYTE_FINALIZER = 'flyte.org/finalizer';

/** How many `shard-key` values exist (FlytePropeller's `ShardKeyspaceSize`). */
export const SHARD_KEYSPACE_SIZE = 32;

/** The `completed-time` label value for a moment: `YYYY-MM-DD.HH` in UTC (Go layout `2006-01-02.15`). */
export function completedTimeLabel(at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}.${p(at.getUTCHours())}`;
}
