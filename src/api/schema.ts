/**
 * The Workflow spec (`flotilla.io/v1alpha1`, kind `Workflow`): the one schema source.
 *
 * TypeBox gives both the TypeScript types (`Static<...>`) and a JSON Schema; `crd.ts` turns the
 * JSON Schema into the CRD's structural OpenAPI v3 schema, and the validator (`validation/`)
 * checks what a schema cannot say (graph shape, references, types across bindings, limits).
 * Field names here are the user-facing contract of DESIGN.md §2: change them only with a new
 * API version.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Any JSON value. In the CRD: `x-kubernetes-preserve-unknown-fields`. */
export const JsonValueSchema = Type.Unknown({
  'x-kubernetes-preserve-unknown-fields': true,
  description: 'Any JSON value.',
});
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A duration such as `150ms`, `90s`, `10m`, `1h30m`, `2d`. */
export const DurationSchema = Type.String({
  pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$',
  maxLength: 32,
  description: 'A duration: a sequence of numbers with units ms, s, m, h, d (e.g. 90s, 1h30m).',
});

/** The value types a task may declare for its outputs and a gate for its signal. */
export const ValueTypes = [
  'string',
  'integer',
  'number',
  'boolean',
  'list',
  'object',
  'timestamp',
  'duration',
  'any',
] as const;
export type ValueType = (typeof ValueTypes)[number];
export const ValueTypeSchema = Type.Union(
  ValueTypes.map((t) => Type.Literal(t)),
  { description: 'A value type.' },
);

/**
 * Where a value comes from. Exactly one of `fromInput`, `fromNode` (with `output`), `fromItem`
 * or `value`. `fromInput` names a workflow input (or, inside a sub-workflow, a sub-workflow
 * input); `fromItem` is only valid inside an array node's `node` and means "the current item".
 */
export const BindingSchema = Type.Object(
  {
    fromInput: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    fromNode: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    output: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    fromItem: Type.Optional(Type.Boolean()),
    value: Type.Optional(JsonValueSchema),
  },
  { additionalProperties: false, description: 'A binding: fromInput, fromNode+output, fromItem or value.' },
);
export type Binding = Static<typeof BindingSchema>;

export const ComparisonOps = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
export type ComparisonOp = (typeof ComparisonOps)[number];
/** How a comparison reads its operands. */
export const ComparisonTypes = ['number', 'string', 'boolean', 'timestamp', 'duration'] as const;
export type ComparisonType = (typeof ComparisonTypes)[number];

/**
 * A branch condition: a comparison (`left op right`), or `and` / `or` of conditions, or `not`.
 * `as` says how to compare when the operands' JSON types do not (timestamps and durations
 * arrive as strings).
 */
export const ConditionSchema = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        left: Type.Optional(BindingSchema),
        op: Type.Optional(Type.Union(ComparisonOps.map((op) => Type.Literal(op)))),
        right: Type.Optional(BindingSchema),
        as: Type.Optional(Type.Union(ComparisonTypes.map((t) => Type.Literal(t)))),
        and: Type.Optional(Type.Array(Self, { minItems: 1 })),
        or: Type.Optional(Type.Array(Self, { minItems: 1 })),
        not: Type.Optional(Self),
      },
      { additionalProperties: false },
    ),
  { $id: 'Condition' },
);
export type Condition = Static<typeof ConditionSchema>;

export const NodeKinds = ['task', 'branch', 'workflow', 'gate', 'array'] as const;
export type NodeKind = (typeof NodeKinds)[number];

export const SignalTypes = ['boolean', 'string', 'number', 'integer', 'json'] as const;
export type SignalType = (typeof SignalTypes)[number];

/**
 * A node of the DAG. `id` is required for nodes in a `nodes` list and for a branch case's node;
 * the node of an array and the `onFailure` node may omit it. Only the block matching `kind`
 * may be set (`task` names a task template; `branch`, `workflow`, `gate`, `array` are blocks).
 */
export const NodeSchema = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        id: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
        kind: Type.Union(NodeKinds.map((k) => Type.Literal(k))),
        dependsOn: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 63 }))),
        inputs: Type.Optional(Type.Record(Type.String(), BindingSchema)),
        task: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
        retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
        timeout: Type.Optional(DurationSchema),
        interruptible: Type.Optional(Type.Boolean()),
        branch: Type.Optional(
          Type.Object(
            {
              cases: Type.Array(Type.Object({ when: ConditionSchema, node: Self }, { additionalProperties: false })),
              else: Type.Optional(
                Type.Object(
                  { node: Type.Optional(Self), error: Type.Optional(Type.String({ maxLength: 4096 })) },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        workflow: Type.Optional(
          Type.Object(
            {
              ref: Type.String({ minLength: 1, maxLength: 253, description: 'A key of spec.subWorkflows.' }),
              launch: Type.Optional(
                Type.Boolean({ description: 'Run as a child Workflow resource instead of inline.' }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        gate: Type.Optional(
          Type.Object(
            {
              signal: Type.Optional(
                Type.Object(
                  {
                    name: Type.String({ minLength: 1, maxLength: 63 }),
                    type: Type.Union(SignalTypes.map((t) => Type.Literal(t))),
                  },
                  { additionalProperties: false },
                ),
              ),
              sleep: Type.Optional(DurationSchema),
              approve: Type.Optional(
                Type.Object(
                  {
                    name: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
                    message: Type.Optional(Type.String({ maxLength: 4096 })),
                  },
                  { additionalProperties: false },
                ),
              ),
              timeout: Type.Optional(DurationSchema),
            },
            { additionalProperties: false },
          ),
        ),
        array: Type.Optional(
          Type.Object(
            {
              over: BindingSchema,
              parallelism: Type.Optional(Type.Integer({ minimum: 0, description: '0 means unbounded.' })),
              minSuccessRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
              minSuccesses: Type.Optional(
                Type.Integer({
                  minimum: 0,
                  description:
                    'Items that must succeed (capped at the list size); takes precedence over minSuccessRatio.',
                }),
              ),
              node: Self,
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  { $id: 'Node' },
);
export type WorkflowNode = Static<typeof NodeSchema>;

/** Mount requirements of a secret (flyteidl `Secret.MountType`): ANY mounts a file, as Flyte does. */
export const SecretMountRequirements = ['ANY', 'ENV_VAR', 'FILE'] as const;

/**
 * A Kubernetes Secret key a task asks for (flyteidl `core.Secret`): `group` is the Secret's name in
 * the Pod's namespace, `key` one of its keys. The admission webhook injects it (src/webhook).
 */
export const SecretRequestSchema = Type.Object(
  {
    group: Type.String({ minLength: 1, maxLength: 253 }),
    key: Type.String({ minLength: 1, maxLength: 253 }),
    mountRequirement: Type.Optional(Type.Union(SecretMountRequirements.map((m) => Type.Literal(m)))),
    envVar: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: 'Also expose it under this environment variable.' }),
    ),
  },
  { additionalProperties: false },
);
export type SecretRequest = Static<typeof SecretRequestSchema>;

/** Settings of the `pod` plugin. */
export const PodTaskSchema = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 512 }),
    command: Type.Optional(Type.Array(Type.String())),
    args: Type.Optional(Type.Array(Type.String())),
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    resources: Type.Optional(
      Type.Object(
        {
          requests: Type.Optional(Type.Record(Type.String(), Type.String())),
          limits: Type.Optional(Type.Record(Type.String(), Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    podTemplateName: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: 'A PodTemplate in the workflow namespace (else the controller namespace) the Pod is built on.',
      }),
    ),
    secrets: Type.Optional(Type.Array(SecretRequestSchema, { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type PodTask = Static<typeof PodTaskSchema>;

/** Settings of the `agent` plugin: which remote agent service runs the task. */
export const AgentTaskSchema = Type.Object(
  {
    service: Type.String({ minLength: 1, maxLength: 253 }),
    config: Type.Optional(Type.Record(Type.String(), JsonValueSchema)),
  },
  { additionalProperties: false },
);
export type AgentTask = Static<typeof AgentTaskSchema>;

/**
 * A cacheable task (docs/flyte.md, "Cached tasks"): its outputs are stored in the catalog under
 * (task identity, `version`, hash of the inputs), and a later node with the same key takes them
 * instead of running. Bump `version` when the task's code changes.
 */
export const TaskCacheSchema = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 128, description: 'The cache version: part of the key.' }),
    serialize: Type.Optional(
      Type.Boolean({
        description:
          'Concurrent nodes with the same key run once: one holds a reservation, the others wait for its outputs. Default true.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TaskCache = Static<typeof TaskCacheSchema>;

/** A task template: which plugin runs it and how. */
export const TaskTemplateSchema = Type.Object(
  {
    plugin: Type.String({ minLength: 1, maxLength: 63, description: 'echo, sleep, flaky, pod, agent, ...' }),
    config: Type.Optional(Type.Record(Type.String(), JsonValueSchema)),
    pod: Type.Optional(PodTaskSchema),
    agent: Type.Optional(AgentTaskSchema),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    timeout: Type.Optional(DurationSchema),
    interruptible: Type.Optional(Type.Boolean()),
    outputs: Type.Optional(
      Type.Record(Type.String(), ValueTypeSchema, { description: 'Declared outputs, checked at validation.' }),
    ),
    cache: Type.Optional(TaskCacheSchema),
  },
  { additionalProperties: false },
);
export type TaskTemplate = Static<typeof TaskTemplateSchema>;

/** An inline sub-workflow; it shares the parent's task templates. */
export const SubWorkflowSchema = Type.Object(
  {
    inputs: Type.Optional(
      Type.Record(Type.String(), JsonValueSchema, { description: 'Declared inputs with default values.' }),
    ),
    nodes: Type.Array(NodeSchema, { minItems: 1 }),
    outputs: Type.Optional(Type.Record(Type.String(), BindingSchema)),
  },
  { additionalProperties: false },
);
export type SubWorkflow = Static<typeof SubWorkflowSchema>;

export const FailurePolicies = ['FailImmediately', 'FailAfterExecutableNodesComplete'] as const;
export type FailurePolicy = (typeof FailurePolicies)[number];

export const WorkflowSpecSchema = Type.Object(
  {
    inputs: Type.Optional(Type.Record(Type.String(), JsonValueSchema)),
    tasks: Type.Record(Type.String(), TaskTemplateSchema),
    nodes: Type.Array(NodeSchema, { minItems: 1 }),
    subWorkflows: Type.Optional(Type.Record(Type.String(), SubWorkflowSchema)),
    outputs: Type.Optional(Type.Record(Type.String(), BindingSchema)),
    failurePolicy: Type.Optional(Type.Union(FailurePolicies.map((p) => Type.Literal(p)))),
    onFailure: Type.Optional(NodeSchema),
    activeDeadline: Type.Optional(DurationSchema),
    maxParallelism: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Task and array nodes running at once (Flyte MaxParallelism); 0 or absent: unbounded.',
      }),
    ),
    overwriteCache: Type.Optional(
      Type.Boolean({
        description: 'Cacheable tasks run without looking up the catalog, and their outputs replace the stored ones.',
      }),
    ),
    recoverFrom: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description:
          "An earlier execution whose succeeded task nodes are taken instead of run (a FlyteWorkflow's executionConfig.RecoveryExecution, `project/domain/name`); only a driver with a recovery source answers it, elsewhere tasks run.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type WorkflowSpec = Static<typeof WorkflowSpecSchema>;

export const API_GROUP = 'flotilla.io';
export const API_VERSION = 'v1alpha1';
export const WORKFLOW_KIND = 'Workflow';
export const WORKFLOW_PLURAL = 'workflows';
