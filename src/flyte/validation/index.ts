/**
 * FlyteWorkflow validation: turns a raw object (from the API server or a file) into a typed
 * `FlyteWorkflow`, or lists every problem with its path (up to `maxProblems`). Never throws,
 * whatever the input; hostile depth is bounded.
 *
 * Checked: the envelope (apiVersion, kind, metadata, executionId), the inline/offloaded rules
 * (spec and tasks, inputs and offloadedInputs), task templates (an object with a `type`; with
 * `taskTypes`, only those types), the primary spec and every sub-workflow (`spec.ts`), and the
 * status's phase numbers. Not checked: flyteidl payloads beyond the fields the fleet needs to
 * route work (binding promises, conditions present, gate blocks present); the flyteidl types,
 * once generated, check the rest.
 */
import { InvalidFlyteWorkflowError } from '../errors.js';
import { NodePhase, WorkflowPhase } from '../status.js';
import { FLYTE_API_VERSION, FLYTE_KIND, FLYTE_KIND_GO, type FlyteWorkflow } from '../types.js';
import { at, isRec, kindOf, ProblemList, q, type FlyteProblem, type Rec } from './problems.js';
import { checkSpec, type SpecContext } from './spec.js';

export type { FlyteProblem, FlyteProblemCode } from './problems.js';

export interface ValidateFlyteOptions {
  /**
   * Task types the fleet can run (`tasks[id].type`, e.g. `python-task`, `container`, `raw-container`).
   * When given, a task of any other type is an `UnsupportedTaskType` problem.
   * @defaultValue undefined (every type accepted)
   */
  readonly taskTypes?: ReadonlySet<string>;
  /** @defaultValue 100 */
  readonly maxProblems?: number;
  /** How deep array sub-nodes and node statuses may nest. @defaultValue 16 */
  readonly maxDepth?: number;
}

export type FlyteValidationResult =
  | {
      ok: true;
      workflow: FlyteWorkflow;
      /** `inline`: spec and tasks are in the object; `offloaded`: they are at `workflowClosureReference` and were not checked. */
      closure: 'inline' | 'offloaded';
    }
  | { ok: false; problems: FlyteProblem[] };

const WORKFLOW_PHASES = Object.values(WorkflowPhase).length;
const NODE_PHASES = Object.values(NodePhase).length;

function checkPhase(value: unknown, path: string, count: number, problems: ProblemList): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= count) {
    problems.add(
      path,
      'BadPhase',
      `must be a phase number in [0, ${count - 1}], got ${typeof value === 'number' ? value : kindOf(value)}`,
    );
  }
}

function checkStatus(status: unknown, problems: ProblemList, maxDepth: number): void {
  if (status === undefined || status === null) return;
  if (!isRec(status)) return problems.add('status', 'NotAnObject', `must be an object, got ${kindOf(status)}`);
  checkPhase(status['phase'], 'status.phase', WORKFLOW_PHASES, problems);
  const stack: { map: unknown; path: string; depth: number }[] = [
    { map: status['nodeStatus'], path: 'status.nodeStatus', depth: 0 },
  ];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined || item.map === undefined || item.map === null) continue;
    if (!isRec(item.map)) {
      problems.add(item.path, 'NotAnObject', `must map node ids to node statuses, got ${kindOf(item.map)}`);
      continue;
    }
    if (item.depth > maxDepth) {
      problems.add(item.path, 'TooDeep', `node statuses nested more than ${maxDepth} deep`);
      continue;
    }
    for (const [id, s] of Object.entries(item.map)) {
      const p = at(item.path, id);
      if (!isRec(s)) {
        problems.add(p, 'NotAnObject', `a node status must be an object, got ${kindOf(s)}`);
        continue;
      }
      checkPhase(s['phase'], at(p, 'phase'), NODE_PHASES, problems);
      stack.push({ map: s['subNodeStatus'], path: at(p, 'subNodeStatus'), depth: item.depth + 1 });
    }
  }
}

/** Task templates: objects with a string `type` (and, with `taskTypes`, a supported one). Returns their ids. */
function checkTasks(tasks: Rec, options: ValidateFlyteOptions, problems: ProblemList): Set<string> {
  for (const [id, task] of Object.entries(tasks)) {
    const p = at('tasks', id);
    if (!isRec(task)) {
      problems.add(p, 'NotAnObject', `a task template must be an object, got ${kindOf(task)}`);
      continue;
    }
    const type = task['type'];
    if (typeof type !== 'string')
      problems.add(at(p, 'type'), 'MissingField', 'a task template needs its type (the plugin that runs it)');
    else if (options.taskTypes !== undefined && !options.taskTypes.has(type)) {
      problems.add(
        at(p, 'type'),
        'UnsupportedTaskType',
        `no plugin in this fleet runs task type ${q(type)} (supported: ${[...options.taskTypes].sort().join(', ')})`,
      );
    }
  }
  return new Set(Object.keys(tasks));
}

function checkEnvelope(input: Rec, problems: ProblemList): void {
  if (input['apiVersion'] !== FLYTE_API_VERSION)
    problems.add(
      'apiVersion',
      'BadApiVersion',
      `must be ${FLYTE_API_VERSION}, got ${typeof input['apiVersion'] === 'string' ? q(input['apiVersion']) : kindOf(input['apiVersion'])}`,
    );
  if (input['kind'] !== FLYTE_KIND && input['kind'] !== FLYTE_KIND_GO)
    problems.add(
      'kind',
      'BadKind',
      `must be ${FLYTE_KIND}, got ${typeof input['kind'] === 'string' ? q(input['kind']) : kindOf(input['kind'])}`,
    );
  const metadata = input['metadata'];
  if (!isRec(metadata))
    problems.add(
      'metadata',
      metadata === undefined ? 'MissingField' : 'NotAnObject',
      `must be object metadata with a name, got ${kindOf(metadata)}`,
    );
  else if (typeof metadata['name'] !== 'string' && typeof metadata['generateName'] !== 'string')
    problems.add('metadata.name', 'MissingField', 'a FlyteWorkflow needs a name');
  const executionId = input['executionId'];
  if (!isRec(executionId))
    problems.add(
      'executionId',
      executionId === undefined ? 'MissingField' : 'NotAnObject',
      `must be { project, domain, name }, got ${kindOf(executionId)}`,
    );
  if (
    input['inputs'] !== undefined &&
    input['inputs'] !== null &&
    typeof input['offloadedInputs'] === 'string' &&
    input['offloadedInputs'] !== ''
  ) {
    problems.add(
      'offloadedInputs',
      'ConflictingInputs',
      'inputs and offloadedInputs are both set; FlyteAdmin sets one',
    );
  }
  if (input['inputs'] !== undefined && input['inputs'] !== null && !isRec(input['inputs']))
    problems.add('inputs', 'NotAnObject', 'must be a flyteidl LiteralMap');
}

/** Checks a raw object; on success returns it typed (no copy, no defaults). */
export function validateFlyteWorkflow(input: unknown, options: ValidateFlyteOptions = {}): FlyteValidationResult {
  const problems = new ProblemList(options.maxProblems ?? 100);
  const maxDepth = options.maxDepth ?? 16;
  if (!isRec(input)) {
    problems.add('(root)', 'NotAnObject', `a FlyteWorkflow must be an object, got ${kindOf(input)}`);
    return { ok: false, problems: [...problems.items] };
  }
  let closure: 'inline' | 'offloaded' = 'inline';
  try {
    checkEnvelope(input, problems);
    const spec = input['spec'];
    const tasks = input['tasks'];
    const subWorkflows = input['subWorkflows'];
    const reference = input['workflowClosureReference'];
    if ((spec === undefined || spec === null) && typeof reference === 'string' && reference !== '') {
      closure = 'offloaded';
    } else {
      let taskIds: Set<string> | undefined;
      if (isRec(tasks)) taskIds = checkTasks(tasks, options, problems);
      else
        problems.add(
          'tasks',
          tasks === undefined || tasks === null ? 'MissingField' : 'NotAnObject',
          `must map task ids to task templates, got ${kindOf(tasks)}`,
        );
      const subs = isRec(subWorkflows) ? subWorkflows : {};
      if (subWorkflows !== undefined && subWorkflows !== null && !isRec(subWorkflows))
        problems.add('subWorkflows', 'NotAnObject', 'must map workflow ids to workflow specs');
      const ctx: SpecContext = { problems, taskIds, subWorkflowIds: new Set(Object.keys(subs)), maxDepth };
      if (!isRec(spec))
        problems.add(
          'spec',
          spec === undefined || spec === null ? 'MissingSpec' : 'NotAnObject',
          'a FlyteWorkflow needs spec (or workflowClosureReference when the closure is offloaded)',
        );
      else checkSpec(spec, 'spec', ctx);
      for (const [id, sub] of Object.entries(subs)) {
        if (isRec(sub)) checkSpec(sub, at('subWorkflows', id), ctx);
        else
          problems.add(
            at('subWorkflows', id),
            'NotAnObject',
            `a sub-workflow must be a workflow spec, got ${kindOf(sub)}`,
          );
      }
    }
    checkStatus(input['status'], problems, maxDepth);
  } catch (error) {
    // Only reachable with exotic objects (proxies, throwing getters); parsed JSON or YAML never gets here.
    problems.add(
      '(root)',
      'NotAnObject',
      `could not be read as plain JSON (${error instanceof Error ? error.name : typeof error})`,
    );
  }
  if (problems.items.length > 0) return { ok: false, problems: [...problems.items] };
  return { ok: true, workflow: input as unknown as FlyteWorkflow, closure };
}

/** Like `validateFlyteWorkflow`, but returns the typed workflow or throws `InvalidFlyteWorkflowError`. */
export function parseFlyteWorkflow(input: unknown, options?: ValidateFlyteOptions): FlyteWorkflow {
  const result = validateFlyteWorkflow(input, options);
  if (result.ok) return result.workflow;
  throw new InvalidFlyteWorkflowError(result.problems);
}
