/**
 * What is wrong with a FlyteWorkflow: codes, the problem shape, the collector and how paths are
 * written. Paths are Flyte's JSON names from the object's root: `spec.nodes.n2.task`,
 * `spec.edges.downstream["start-node"][0]`, `tasks["resource_type:TASK name:\"t\""].type`
 * (keys that are not plain identifiers are JSON-quoted, never cut).
 */

/** Why a FlyteWorkflow cannot run. Callers branch on this, never on the message. */
export type FlyteProblemCode =
  /** A value that must be an object is not (or the input is no object at all). */
  | 'NotAnObject'
  /** `apiVersion` is not `flyte.lyft.com/v1alpha1`. */
  | 'BadApiVersion'
  /** `kind` is not `FlyteWorkflow`. */
  | 'BadKind'
  /** A required field is absent. */
  | 'MissingField'
  /** A field has the wrong JSON type. */
  | 'WrongType'
  /** A node's `kind` is none of start, end, task, branch, workflow, gate, array. */
  | 'UnknownNodeKind'
  /** A node's `id` differs from its key in `nodes`. */
  | 'NodeIdMismatch'
  /** No `start-node` of kind start. */
  | 'MissingStartNode'
  /** No `end-node` of kind end. */
  | 'MissingEndNode'
  /** The block a node's kind needs (`task`, `branch`, `workflow`, `gate`'s condition, `array.SubNodeSpec`) is absent. */
  | 'MissingKindBlock'
  /** `gate.kind` is none of approve, signal, sleep. */
  | 'BadGateKind'
  /** A node's `task` is not a key of `tasks`. */
  | 'UnknownTask'
  /** A connection, edge, binding promise or branch target names a node that does not exist. */
  | 'UnknownNode'
  /** `workflow.subWorkflowRef` is not a key of `subWorkflows`. */
  | 'UnknownSubWorkflow'
  /** Neither `edges` nor `connections` holds any connection. */
  | 'MissingConnections'
  /** The connections form a cycle. */
  | 'Cycle'
  /** `onFailurePolicy` is not an OnFailurePolicy name. */
  | 'BadFailurePolicy'
  /** Both `inputs` and `offloadedInputs` are set. */
  | 'ConflictingInputs'
  /** `spec` is absent and no `workflowClosureReference` says where it is. */
  | 'MissingSpec'
  /** A task's `type` has no plugin in this fleet (only with `ValidateFlyteOptions.taskTypes`). */
  | 'UnsupportedTaskType'
  /** A phase number outside its enum. */
  | 'BadPhase'
  /** A number outside its range (`MinSuccessRatio`, `Parallelism`, `minAttempts`). */
  | 'OutOfRange'
  /** Nested deeper than the validator follows. */
  | 'TooDeep';

export interface FlyteProblem {
  /** Where, in Flyte's JSON names from the root: `spec.nodes.n0.branch.if.then`. */
  readonly path: string;
  readonly code: FlyteProblemCode;
  /** What is wrong, for a person (and for the Failed workflow's message). */
  readonly message: string;
}

/** Collects problems in order, once each, up to a cap. */
export class ProblemList {
  readonly #items: FlyteProblem[] = [];
  readonly #seen = new Set<string>();
  constructor(private readonly max: number) {}

  add(path: string, code: FlyteProblemCode, message: string): void {
    const key = `${path}\u0000${code}`;
    if (this.#seen.has(key) || this.#items.length >= this.max) return;
    this.#seen.add(key);
    this.#items.push({ path, code, message });
  }

  get items(): readonly FlyteProblem[] {
    return this.#items;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `base.key`, or `base["odd key"]` (JSON-quoted, non-ASCII escaped) for any other key. */
export function at(base: string, key: string): string {
  const step = IDENTIFIER.test(key)
    ? `.${key}`
    : `[${JSON.stringify(key).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}]`;
  return base === '' ? step.replace(/^\./, '') : `${base}${step}`;
}

/** `base[index]`. */
export function idx(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** A short, safe rendering of a user's string for messages. */
export function q(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export type Rec = Record<string, unknown>;

export function isRec(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `null`, `a list`, `a string`, ... for "got ..." in messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
