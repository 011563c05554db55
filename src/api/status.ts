/**
 * The Workflow **status** (`flotilla.io/v1alpha1`, kind `Workflow`, the `status` subresource).
 *
 * Written only by the replica that owns the Workflow's shard (resourceVersion-guarded) and by
 * `flotilla run`. TypeBox gives both the TypeScript types and the JSON Schema that `crd.ts` puts
 * in the CRD, so the schema stays CRD-friendly: no `$ref`, no unions of object shapes, JSON values
 * as `Type.Unknown` with `x-kubernetes-preserve-unknown-fields`.
 *
 * Size: a node's outputs above the engine's inline limit (16 KiB by default) live in an output
 * store and the node keeps only `outputRef`; an array node keeps its items' progress compactly
 * (one character per item, sparse maps for active and failed items, columnar outputs), so a
 * 10,000-item array serialises well under 256 KiB.
 */
import { Type, type Static } from '@sinclair/typebox';

const Json = (description: string) => Type.Unknown({ 'x-kubernetes-preserve-unknown-fields': true, description });
const Time = (description: string) => Type.String({ format: 'date-time', description });

export const WorkflowPhases = [
  'Pending',
  'Running',
  'Succeeding',
  'Failing',
  'Succeeded',
  'Failed',
  'Aborted',
  'TimedOut',
] as const;
export type WorkflowPhase = (typeof WorkflowPhases)[number];
export const TerminalWorkflowPhases: readonly WorkflowPhase[] = ['Succeeded', 'Failed', 'Aborted', 'TimedOut'];
export function isTerminalWorkflowPhase(phase: string | undefined): boolean {
  return phase !== undefined && (TerminalWorkflowPhases as readonly string[]).includes(phase);
}

/**
 * A node's phase. `WaitingForRetry`: an attempt failed and the next starts at `nextAttemptAt`.
 * `Skipped`: never ran because an upstream node did not succeed (or the workflow was failing).
 */
export const NodePhases = [
  'Pending',
  'Running',
  'WaitingForRetry',
  'Succeeded',
  'Failed',
  'Skipped',
  'Aborted',
  'TimedOut',
] as const;
export type NodePhase = (typeof NodePhases)[number];
export const TerminalNodePhases: readonly NodePhase[] = ['Succeeded', 'Failed', 'Skipped', 'Aborted', 'TimedOut'];
export function isTerminalNodePhase(phase: string | undefined): boolean {
  return phase !== undefined && (TerminalNodePhases as readonly string[]).includes(phase);
}

/**
 * One character per array item, in `ArrayStatus.phases`:
 * `.` pending · `R` running · `W` waiting for retry · `S` succeeded · `F` failed · `A` aborted · `K` skipped.
 */
export const ArrayItemCodes = {
  Pending: '.',
  Running: 'R',
  WaitingForRetry: 'W',
  Succeeded: 'S',
  Failed: 'F',
  Aborted: 'A',
  Skipped: 'K',
  TimedOut: 'F',
} as const;

export const ConditionTypes = ['Valid', 'Progressing', 'Succeeded'] as const;
export type ConditionType = (typeof ConditionTypes)[number];

export const WorkflowConditionSchema = Type.Object(
  {
    type: Type.Union(ConditionTypes.map((t) => Type.Literal(t))),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
    reason: Type.String({ maxLength: 1024, description: 'CamelCase machine-readable reason.' }),
    message: Type.Optional(Type.String({ maxLength: 32768 })),
    lastTransitionTime: Time('When status last changed.'),
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type WorkflowCondition = Static<typeof WorkflowConditionSchema>;

/** The last failure of a task attempt (user and system failures are counted apart). */
export const FailureRecordSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('system')]),
    reason: Type.String({ maxLength: 1024 }),
    message: Type.String({ maxLength: 32768 }),
    attempt: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type FailureRecord = Static<typeof FailureRecordSchema>;

/** A gate's consumed signal. */
export const SignalConsumedSchema = Type.Object(
  {
    name: Type.String({ maxLength: 63 }),
    setAt: Type.Optional(Type.String({ maxLength: 64 })),
    setBy: Type.Optional(Type.String({ maxLength: 253 })),
    consumedAt: Time('When the engine consumed the signal.'),
  },
  { additionalProperties: false },
);

/**
 * A cacheable task's catalog outcome, with flyteidl's `CatalogCacheStatus` names: CACHE_HIT (outputs
 * taken from the catalog, nothing ran), CACHE_MISS (ran; the status while it runs), CACHE_POPULATED
 * (ran, outputs stored), CACHE_PUT_FAILURE (ran, storing failed), CACHE_SKIPPED (the execution
 * overwrites the cache: ran without a lookup).
 */
export const CacheStatuses = [
  'CACHE_HIT',
  'CACHE_MISS',
  'CACHE_POPULATED',
  'CACHE_PUT_FAILURE',
  'CACHE_SKIPPED',
] as const;
export type CacheStatus = (typeof CacheStatuses)[number];

/**
 * The state of one node, or of one active array item. Task fields (`attempts`, `taskPhase`,
 * `attemptStartedAt`, `nextAttemptAt`, `nextCheckAt`, `pluginState`) apply to task nodes.
 */
export const NodeStatusFields = {
  phase: Type.Union(NodePhases.map((p) => Type.Literal(p))),
  kind: Type.Optional(
    Type.String({ maxLength: 16, description: 'The node kind (task, branch, workflow, gate, array).' }),
  ),
  task: Type.Optional(Type.String({ maxLength: 253, description: 'The task template a task node runs.' })),
  startedAt: Type.Optional(Time('When the node started (first attempt).')),
  finishedAt: Type.Optional(Time('When the node reached a terminal phase.')),
  message: Type.Optional(Type.String({ maxLength: 32768 })),
  reason: Type.Optional(Type.String({ maxLength: 1024 })),
  /** Attempts started so far (1-based number of the current attempt). */
  attempts: Type.Optional(Type.Integer({ minimum: 0 })),
  userFailures: Type.Optional(Type.Integer({ minimum: 0 })),
  systemFailures: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * Starting: start not yet acknowledged by the plugin; Queued/WaitingForResources/Running: the plugin's last word;
   * WaitingForCache: another node holds the cache reservation; WritingCache: outputs going into the catalog.
   */
  taskPhase: Type.Optional(
    Type.Union([
      Type.Literal('Starting'),
      Type.Literal('Queued'),
      Type.Literal('WaitingForResources'),
      Type.Literal('Running'),
      Type.Literal('WaitingForCache'),
      Type.Literal('WritingCache'),
    ]),
  ),
  attemptStartedAt: Type.Optional(Time('When the current attempt started.')),
  nextAttemptAt: Type.Optional(Time('When the next attempt may start (back-off).')),
  nextCheckAt: Type.Optional(Time('When to ask the plugin again.')),
  pluginState: Type.Optional(Json("The plugin's small JSON state for the current attempt.")),
  cacheStatus: Type.Optional(
    Type.Union(
      CacheStatuses.map((s) => Type.Literal(s)),
      {
        description: "A cacheable task's catalog outcome (flyteidl CatalogCacheStatus names).",
      },
    ),
  ),
  cacheHeartbeatAt: Type.Optional(Time('When the cache reservation was last extended.')),
  recovered: Type.Optional(
    Type.Boolean({
      description:
        "With `spec.recoverFrom`: true when the task node took the earlier execution's outputs instead of running, false when it had to run.",
    }),
  ),
  lastFailure: Type.Optional(FailureRecordSchema),
  outputs: Type.Optional(Json("The node's outputs (a JSON object) when small.")),
  outputRef: Type.Optional(
    Type.String({ maxLength: 1024, description: 'Reference into the output store when outputs were offloaded.' }),
  ),
  branchTaken: Type.Optional(Type.String({ maxLength: 253, description: 'Id of the node a branch took, or `else`.' })),
  childName: Type.Optional(Type.String({ maxLength: 63, description: 'Name of the launched child Workflow.' })),
  childPhase: Type.Optional(
    Type.String({ maxLength: 32, description: 'Last observed phase of the launched child Workflow.' }),
  ),
  signal: Type.Optional(SignalConsumedSchema),
  waitingFor: Type.Optional(Type.String({ maxLength: 63, description: 'The signal a gate is waiting for.' })),
};
export const NodeStatusSchema = Type.Object(NodeStatusFields, { additionalProperties: false });
export type NodeStatus = Static<typeof NodeStatusSchema>;

/** Compact progress of an array node's items. */
export const ArrayStatusSchema = Type.Object(
  {
    size: Type.Integer({ minimum: 0 }),
    /** One character per item, see {@link ArrayItemCodes}. */
    phases: Type.String({ description: 'One character per item: . R W S F A K' }),
    succeeded: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    /** Active (started, not terminal) items only, keyed by item index. */
    items: Type.Optional(Type.Record(Type.String(), NodeStatusSchema)),
    /** Failed items' messages, keyed by item index. */
    failures: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 4096 }))),
    /** Columnar outputs while running: output name → list in item order (`null` = not done or failed). */
    outputs: Type.Optional(Json('Columnar item outputs: {name: [v0, v1, ...]}.')),
  },
  { additionalProperties: false },
);
export type ArrayStatus = Static<typeof ArrayStatusSchema>;

export const WorkflowNodeStatusSchema = Type.Object(
  { ...NodeStatusFields, array: Type.Optional(ArrayStatusSchema) },
  { additionalProperties: false },
);
/** A node's status in `status.nodes`, keyed by node path (`extract`, `sub/load`, `decide/publish`, `per-part/17/x`). */
export type WorkflowNodeStatus = Static<typeof WorkflowNodeStatusSchema>;

export const WorkflowStatusSchema = Type.Object(
  {
    phase: Type.Optional(Type.Union(WorkflowPhases.map((p) => Type.Literal(p)))),
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
    shard: Type.Optional(Type.String({ maxLength: 63 })),
    shardEpoch: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'The epoch of the shard lease the writing replica held (its leaseTransitions): the fencing token an admission check compares with the lease.',
      }),
    ),
    /** `<terminal top-level nodes>/<top-level nodes>`, e.g. `3/7` (printer column). */
    progress: Type.Optional(Type.String({ maxLength: 32 })),
    startedAt: Type.Optional(Time('When the workflow started running.')),
    finishedAt: Type.Optional(Time('When the workflow reached a terminal phase.')),
    message: Type.Optional(Type.String({ maxLength: 32768 })),
    conditions: Type.Optional(Type.Array(WorkflowConditionSchema, { maxItems: 8 })),
    nodes: Type.Optional(Type.Record(Type.String(), WorkflowNodeStatusSchema)),
    outputs: Type.Optional(Json('The workflow outputs (spec.outputs resolved), when small.')),
    outputRef: Type.Optional(Type.String({ maxLength: 1024 })),
    eventsDelivered: Type.Optional(
      Type.Boolean({
        description:
          'The event sink confirmed the terminal execution events; until then the owning replica re-sends them.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WorkflowStatus = Static<typeof WorkflowStatusSchema>;
