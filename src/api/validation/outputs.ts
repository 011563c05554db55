/**
 * What the validator can know about values before anything runs: the outputs each node will
 * produce (when knowable) and the type of each binding (when knowable). "Unknown" is always an
 * acceptable answer: checks only fire on what is certain.
 *
 * - task: the template's declared `outputs`; for `echo`, `sleep`, `flaky`, its own inputs.
 * - gate: `signal` gives `value` (typed by the signal), `approve` a boolean `value`; `sleep` nothing.
 * - workflow: the sub-workflow's `outputs`.
 * - branch: the outputs every case's node (and the else node) has in common.
 * - array: its item node's outputs, each a list.
 */
import type { Model, NodeRef, Rec, Scope } from './model.js';
import { entries, isRecord, str } from './model.js';

/** The type of a value as far as checks care. `unknown` = could be anything. */
export type VType = 'string' | 'number' | 'boolean' | 'list' | 'object' | 'null' | 'timestamp' | 'duration' | 'unknown';

/** Output names and types; undefined when not knowable. */
export type Outputs = Map<string, VType> | undefined;

export const ECHO_LIKE_PLUGINS: ReadonlySet<string> = new Set(['echo', 'sleep', 'flaky']);

export function typeOfJson(value: unknown): VType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    default:
      return 'unknown';
  }
}

const DECLARED: Record<string, VType> = {
  string: 'string',
  integer: 'number',
  number: 'number',
  boolean: 'boolean',
  list: 'list',
  object: 'object',
  timestamp: 'timestamp',
  duration: 'duration',
  any: 'unknown',
};

const SIGNAL: Record<string, VType> = {
  boolean: 'boolean',
  string: 'string',
  number: 'number',
  integer: 'number',
  json: 'unknown',
};

/** Memoised output and type inference over one model. */
export class Inference {
  readonly #memo = new Map<NodeRef, Outputs>();
  readonly #inProgress = new Set<NodeRef | string>();
  readonly #subOutputs = new Map<string, Outputs>();

  constructor(private readonly model: Model) {}

  outputsOf(node: NodeRef): Outputs {
    if (this.#memo.has(node)) return this.#memo.get(node);
    if (this.#inProgress.has(node)) return undefined;
    this.#inProgress.add(node);
    const out = this.#compute(node);
    this.#inProgress.delete(node);
    this.#memo.set(node, out);
    return out;
  }

  /** The type a binding yields in `scope`. */
  typeOf(binding: unknown, scope: Scope): VType {
    if (!isRecord(binding)) return 'unknown';
    if ('value' in binding) return typeOfJson(binding['value']);
    const fromInput = str(binding['fromInput']);
    if (fromInput !== undefined) {
      if (scope.subWorkflow !== undefined || this.model.inputs === undefined) return 'unknown';
      return Object.hasOwn(this.model.inputs, fromInput) ? typeOfJson(this.model.inputs[fromInput]) : 'unknown';
    }
    const fromNode = str(binding['fromNode']);
    const output = str(binding['output']);
    if (fromNode !== undefined && output === undefined) return 'object';
    if (fromNode !== undefined && output !== undefined) {
      const target = scope.ids.get(fromNode);
      if (target === undefined) return 'unknown';
      return this.outputsOf(target)?.get(output) ?? 'unknown';
    }
    return 'unknown';
  }

  /** A sub-workflow's outputs, by name. */
  subWorkflowOutputs(name: string): Outputs {
    if (this.#subOutputs.has(name)) return this.#subOutputs.get(name);
    const sub = this.model.subWorkflows.get(name);
    if (sub === undefined || this.#inProgress.has(`sub:${name}`)) return undefined;
    this.#inProgress.add(`sub:${name}`);
    const out = new Map<string, VType>();
    for (const [key, binding] of entries(sub.raw['outputs'])) out.set(key, this.typeOf(binding, sub.scope));
    this.#inProgress.delete(`sub:${name}`);
    this.#subOutputs.set(name, out);
    return out;
  }

  #compute(node: NodeRef): Outputs {
    const raw = node.raw;
    switch (node.kind) {
      case 'task':
        return this.#taskOutputs(raw, node.scope);
      case 'gate': {
        const gate = raw['gate'];
        if (!isRecord(gate)) return undefined;
        if (isRecord(gate['signal']))
          return new Map([['value', SIGNAL[str(gate['signal']['type']) ?? ''] ?? 'unknown']]);
        if (isRecord(gate['approve'])) return new Map([['value', 'boolean']]);
        if (gate['sleep'] !== undefined) return new Map();
        return undefined;
      }
      case 'workflow': {
        const wf = raw['workflow'];
        const ref = isRecord(wf) ? str(wf['ref']) : undefined;
        return ref === undefined ? undefined : this.subWorkflowOutputs(ref);
      }
      case 'branch': {
        let common: Map<string, VType> | undefined;
        for (const child of node.children) {
          const out = this.outputsOf(child);
          if (out === undefined) return undefined;
          if (common === undefined) common = new Map(out);
          else {
            for (const [k, t] of common) {
              const other = out.get(k);
              if (other === undefined) common.delete(k);
              else if (other !== t) common.set(k, 'unknown');
            }
          }
        }
        return common;
      }
      case 'array': {
        const item = node.children[0];
        const out = item === undefined ? undefined : this.outputsOf(item);
        return out === undefined ? undefined : new Map([...out.keys()].map((k) => [k, 'list' as VType]));
      }
      default:
        return undefined;
    }
  }

  #taskOutputs(raw: Rec, scope: Scope): Outputs {
    const name = str(raw['task']);
    const template = name === undefined ? undefined : this.model.tasks[name];
    if (!isRecord(template)) return undefined;
    if (isRecord(template['outputs'])) {
      return new Map(entries(template['outputs']).map(([k, t]) => [k, DECLARED[str(t) ?? ''] ?? 'unknown']));
    }
    if (ECHO_LIKE_PLUGINS.has(str(template['plugin']) ?? '')) {
      return new Map(entries(raw['inputs']).map(([k, b]) => [k, this.typeOf(b, scope)]));
    }
    return undefined;
  }
}
