/**
 * One workflow scope (the primary spec or an inline sub-workflow) → the engine's node list and
 * outputs. Flyte node kinds map onto engine node kinds; what the engine cannot compute itself
 * (Flyte's literal semantics) runs as small synthetic task nodes on the pure `flyte-literal`
 * plugin, siblings of the node they serve (ids start with `_`, which Flyte's compiler never writes):
 * - `_cond-<branch>` evaluates a branch's conditions, the engine's branch then matches its index;
 * - `_items-<array>` splits an array node's inputs into per-item literal maps (the engine's list);
 * - `_bind-<node>-<var>` assembles a collection, map or union binding that holds promises.
 */
import type { Binding, JsonObject, SubWorkflow, TaskTemplate, WorkflowNode } from '../../api/schema.js';
import { FlyteError } from '../errors.js';
import { bindingToLiteral, extractPromises, hasPromise, type PromiseJson } from '../literals/bindings.js';
import { isObject } from '../literals/values.js';
import { rulesFor, type StandInRule } from '../container/stand-in.js';
import { END_NODE_ID, START_NODE_ID, type FlyteNodeSpec, type FlyteWorkflowSpec } from '../types.js';
import {
  FlytePluginNames,
  SyntheticPrefix,
  type ContainerPodSettings,
  type ContainerTaskConfig,
  type ExecutionRef,
  type LiteralStepConfig,
} from './contract.js';
import { durationMs, engineDuration } from './durations.js';
import { branchChain, caseParents } from './cases.js';
import {
  cacheOf,
  containerTemplate,
  launchPlanTemplate,
  retriesOf,
  taskNameOf,
  unsupportedReason,
  unsupportedTemplate,
} from './tasks.js';

/** What every scope of one FlyteWorkflow shares. */
export interface TranslationState {
  readonly flyteTasks: Readonly<Record<string, JsonObject>>;
  readonly flyteSubWorkflows: Readonly<Record<string, FlyteWorkflowSpec>>;
  /** Native task templates, filled as nodes are translated. */
  readonly tasks: Record<string, TaskTemplate>;
  /** Native sub-workflows, keyed by the engine path of the node that runs them. */
  readonly subWorkflows: Record<string, SubWorkflow>;
  readonly dataDir: string;
  readonly rawOutputRoot: string;
  readonly namespace: string;
  readonly execution: ExecutionRef;
  readonly standIn: readonly StandInRule[];
  /** Execution-wide Pod settings; each task node adds its resource override. */
  readonly pod: ContainerPodSettings;
  /** `interruptible` default (node-defaults, overridden by executionConfig). */
  readonly interruptible?: boolean;
  readonly maxDepth: number;
}

export interface ScopeResult {
  readonly nodes: WorkflowNode[];
  readonly outputs: Record<string, Binding>;
}

class Scope {
  readonly synthetic: WorkflowNode[] = [];
  /** Case node id → the branch node that runs it. */
  readonly caseParent: Map<string, string>;

  constructor(
    readonly state: TranslationState,
    readonly spec: FlyteWorkflowSpec,
    /** Engine path prefix: `''` at the root, `n0/` inside the sub-workflow node `n0`. */
    readonly prefix: string,
    /** Flyte ids of the enclosing nodes (the data layout nests under them). */
    readonly parents: readonly string[],
    readonly where: string,
    readonly depth: number,
  ) {
    this.caseParent = caseParents(spec);
  }

  fail(path: string, message: string): never {
    throw new FlyteError('Untranslatable', `${this.where}.${path}: ${message}`);
  }

  /** Flyte ids from the scope's root down to `id` (a case node sits under its branch). */
  lineage(id: string): string[] {
    return [...this.parents, ...branchChain(this.caseParent, id)];
  }

  node(id: string): FlyteNodeSpec | undefined {
    return Object.hasOwn(this.spec.nodes, id) ? this.spec.nodes[id] : undefined;
  }

  /** The engine binding of a promise, following Flyte's output rules per producer kind. */
  promise(p: PromiseJson, where: string, depth = 0): Binding {
    if (p.attrPath !== undefined && p.attrPath.length > 0)
      this.fail(where, `promise attribute paths (attrPath) are not supported yet`);
    if (p.nodeId === START_NODE_ID) return { fromInput: p.var };
    const producer = this.node(p.nodeId);
    if (!producer) this.fail(where, `promise names unknown node ${JSON.stringify(p.nodeId)}`);
    if (this.caseParent.has(p.nodeId))
      this.fail(
        where,
        `promise names ${p.nodeId}, a branch case; bind to the branch node ${this.caseParent.get(p.nodeId)} instead`,
      );
    const alias = producer.outputAlias?.find((a) => a.alias === p.var);
    const name = alias?.var ?? p.var;
    if (producer.kind === 'gate') {
      const gate = producer.gate;
      if (gate?.kind === 'signal') return { fromNode: p.nodeId, output: 'value' };
      if (gate?.kind === 'approve') {
        // An approved gate passes its inputs on as its outputs (FlytePropeller copies them).
        const input = producer.inputBindings?.find((b) => b['var'] === name);
        if (!input || !isObject(input['binding']) || depth > 32)
          this.fail(where, `approve gate ${p.nodeId} has no input ${JSON.stringify(name)} to pass on`);
        return this.binding(input['binding'], p.nodeId, name, where, depth + 1);
      }
      this.fail(where, `sleep gate ${p.nodeId} has no outputs`);
    }
    return { fromNode: p.nodeId, output: name };
  }

  /** The engine binding of a Flyte BindingData for input `varName` of `consumer`. */
  binding(data: JsonObject, consumer: string, varName: string, where: string, depth = 0): Binding {
    const promise = data['promise'];
    if (isObject(promise) && !isObject(data['union'])) {
      if (typeof promise['nodeId'] !== 'string' || typeof promise['var'] !== 'string')
        this.fail(where, 'a promise needs nodeId and var');
      return this.promise(
        {
          nodeId: promise['nodeId'],
          var: promise['var'],
          ...(Array.isArray(promise['attrPath']) ? { attrPath: promise['attrPath'] } : {}),
        },
        where,
        depth,
      );
    }
    if (!hasPromise(data)) {
      try {
        return { value: bindingToLiteral(data) };
      } catch (error) {
        this.fail(where, error instanceof Error ? error.message : String(error));
      }
    }
    const leaves: PromiseJson[] = [];
    const shaped = extractPromises(data, leaves);
    const id = `${SyntheticPrefix.bind}${consumer}-${varName}`.replace(/\//g, '_');
    const inputs: Record<string, Binding> = {};
    leaves.forEach((leaf, i) => (inputs[`l${i}`] = this.promise(leaf, `${where}.leaf[${i}]`, depth)));
    this.addLiteralStep(id, { op: 'assemble', binding: shaped }, inputs);
    return { fromNode: id, output: 'value' };
  }

  inputs(bindings: readonly JsonObject[] | undefined, consumer: string, where: string): Record<string, Binding> {
    const out: Record<string, Binding> = {};
    (bindings ?? []).forEach((b, i) => {
      const name = b['var'];
      if (typeof name !== 'string' || !isObject(b['binding']))
        this.fail(`${where}[${i}]`, 'a binding needs var and binding');
      out[name] = this.binding(b['binding'], consumer, name, `${where}[${i}]`);
    });
    return out;
  }

  addLiteralStep(id: string, config: LiteralStepConfig, inputs: Record<string, Binding>): void {
    if (this.synthetic.some((n) => n.id === id)) return;
    const key = `flyte:${this.prefix}${id}`;
    this.state.tasks[key] = {
      plugin: FlytePluginNames.literal,
      config: config as unknown as TaskTemplate['config'],
      retries: 0,
    };
    this.synthetic.push({ id, kind: 'task', task: key, inputs });
  }

  /** Engine ids of this scope's top-level siblings (not start, end or branch cases). */
  siblings(): string[] {
    return Object.values(this.spec.nodes)
      .filter((n) => n.kind !== 'start' && n.kind !== 'end' && !this.caseParent.has(n.id))
      .map((n) => n.id);
  }

  dependsOn(id: string): string[] {
    const upstream = this.spec.edges?.upstream?.[id] ?? [];
    const siblings = new Set(this.siblings());
    const fromConnections = Object.entries(this.spec.connections ?? {})
      .filter(([, ds]) => ds.includes(id))
      .map(([u]) => u);
    const all =
      upstream.length > 0 || Object.keys(this.spec.edges?.upstream ?? {}).length > 0 ? upstream : fromConnections;
    return [...new Set(all)].filter((u) => u !== id && siblings.has(u));
  }

  translateNode(node: FlyteNodeSpec, where: string, engineId: string = node.id): WorkflowNode {
    const base = { id: engineId, dependsOn: this.caseParent.has(node.id) ? [] : this.dependsOn(node.id) };
    switch (node.kind) {
      case 'task':
        return { ...base, ...this.taskNode(node, where) };
      case 'branch':
        return { ...base, ...this.branchNode(node, where) };
      case 'workflow':
        return { ...base, ...this.workflowNode(node, where) };
      case 'gate':
        return { ...base, ...this.gateNode(node, where) };
      case 'array':
        return { ...base, ...this.arrayNode(node, where) };
      default:
        return this.fail(where, `a ${node.kind} node cannot appear here`);
    }
  }

  taskNode(node: FlyteNodeSpec, where: string, arrayItem = false): Omit<WorkflowNode, 'id'> {
    const key = node.task ?? '';
    const template = Object.hasOwn(this.state.flyteTasks, key) ? this.state.flyteTasks[key] : undefined;
    if (!template) this.fail(`${where}.task`, `names unknown task ${JSON.stringify(key)}`);
    const nativeKey = `flyte:${this.prefix}${node.id}${arrayItem ? '[]' : ''}`;
    const inputs: Record<string, Binding> = arrayItem
      ? { item: { fromItem: true } }
      : this.inputs(node.inputBindings, node.id, `${where}.inputBindings`);
    const unsupported = unsupportedReason(template);
    if (unsupported) {
      this.state.tasks[nativeKey] = unsupportedTemplate(unsupported.what, unsupported.message);
      return { kind: 'task', task: nativeKey, inputs };
    }
    const metadata = isObject(template['metadata']) ? template['metadata'] : {};
    const timeoutMs =
      durationMs(node.executionDeadline, `${where}.executionDeadline`) ??
      durationMs(
        typeof metadata['timeout'] === 'string' ? metadata['timeout'] : undefined,
        `tasks[${key}].metadata.timeout`,
      );
    const interruptible =
      node.interruptible ??
      (typeof metadata['interruptible'] === 'boolean' ? metadata['interruptible'] : this.state.interruptible);
    const lineage = this.lineage(node.id);
    const taskName = taskNameOf(template, key);
    const path = [...lineage, node.id].join('/');
    const standIn = rulesFor(this.state.standIn, path, node.id, taskName);
    const config: ContainerTaskConfig = {
      op: 'container',
      taskKey: key,
      taskName,
      template,
      nodeId: node.id,
      parents: lineage,
      ...(arrayItem ? { arrayItem: true } : {}),
      dataDir: this.state.dataDir,
      rawOutputRoot: this.state.rawOutputRoot,
      namespace: this.state.namespace,
      execution: this.state.execution,
      ...(node.containerImage !== undefined && node.containerImage !== '' ? { image: node.containerImage } : {}),
      ...(standIn.length > 0 ? { standIn } : {}),
      pod: { ...this.state.pod, ...(nodeResources(node) ?? {}) },
    };
    const cache = cacheOf(metadata);
    this.state.tasks[nativeKey] = containerTemplate(config, {
      ...(cache ? { cache } : {}),
      retries: retriesOf(node.retry?.minAttempts, template),
      ...(timeoutMs !== undefined ? { timeout: engineDuration(timeoutMs) } : {}),
      ...(interruptible !== undefined ? { interruptible } : {}),
    });
    return { kind: 'task', task: nativeKey, inputs };
  }

  branchNode(node: FlyteNodeSpec, where: string): Omit<WorkflowNode, 'id'> {
    const b = node.branch;
    if (!b?.if) this.fail(`${where}.branch`, 'a branch needs an if case');
    const cases = [b.if, ...(b.elseIf ?? [])];
    const condId = `${SyntheticPrefix.cond}${node.id}`;
    this.addLiteralStep(
      condId,
      { op: 'branch', conditions: cases.map((c) => c.condition) },
      this.inputs(node.inputBindings, condId, `${where}.inputBindings`),
    );
    const caseNode = (id: string, at: string): WorkflowNode => {
      const target = this.node(id);
      if (!target) this.fail(at, `names unknown node ${JSON.stringify(id)}`);
      return this.translateNode(target, `nodes.${id}`);
    };
    const elseFail = b.elseFail;
    const failMessage = isObject(elseFail) && typeof elseFail['message'] === 'string' ? elseFail['message'] : undefined;
    return {
      kind: 'branch',
      branch: {
        cases: cases.map((c, i) => ({
          when: { left: { fromNode: condId, output: 'case' }, op: 'eq', right: { value: i } },
          node: caseNode(c.then, `${where}.branch.${i === 0 ? 'if' : `elseIf[${i - 1}]`}.then`),
        })),
        ...(b.else !== undefined
          ? { else: { node: caseNode(b.else, `${where}.branch.else`) } }
          : elseFail !== undefined
            ? { else: { error: failMessage ?? `branch ${node.id}: no case matched` } }
            : {}),
      },
    };
  }

  workflowNode(node: FlyteNodeSpec, where: string): Omit<WorkflowNode, 'id'> {
    const w = node.workflow;
    const inputs = this.inputs(node.inputBindings, node.id, `${where}.inputBindings`);
    if (isObject(w?.launchPlanRefId)) {
      // A child execution (through FlyteAdmin, or the documented local resolution): one task node.
      const key = `flyte:${this.prefix}${node.id}`;
      this.state.tasks[key] = launchPlanTemplate({
        op: 'launchplan',
        launchPlan: w.launchPlanRefId,
        nodeId: node.id,
        parents: this.lineage(node.id),
        execution: this.state.execution,
        namespace: this.state.namespace,
      });
      return { kind: 'task', task: key, inputs };
    }
    if (w?.subWorkflowRef === undefined) this.fail(`${where}.workflow`, 'needs subWorkflowRef or launchPlanRefId');
    const sub = Object.hasOwn(this.state.flyteSubWorkflows, w.subWorkflowRef)
      ? this.state.flyteSubWorkflows[w.subWorkflowRef]
      : undefined;
    if (!sub)
      this.fail(`${where}.workflow.subWorkflowRef`, `names unknown sub-workflow ${JSON.stringify(w.subWorkflowRef)}`);
    if (this.depth + 1 > this.state.maxDepth)
      this.fail(where, `sub-workflows nested deeper than ${this.state.maxDepth}`);
    // Translated once per place it runs: the data layout of its tasks nests under this node.
    const enginePath = `${this.prefix}${node.id}`;
    const inner = translateScope(
      this.state,
      sub,
      `${enginePath}/`,
      [...this.lineage(node.id), node.id],
      `subWorkflows[${JSON.stringify(w.subWorkflowRef)}]`,
      this.depth + 1,
    );
    this.state.subWorkflows[enginePath] = { nodes: inner.nodes, outputs: inner.outputs };
    return { kind: 'workflow', workflow: { ref: enginePath }, inputs };
  }

  gateNode(node: FlyteNodeSpec, where: string): Omit<WorkflowNode, 'id'> {
    const g = node.gate;
    if (g?.kind === 'sleep') {
      const ms =
        durationMs(
          typeof g.sleep?.['duration'] === 'string' ? g.sleep['duration'] : '0s',
          `${where}.gate.sleep.duration`,
        ) ?? 0;
      return { kind: 'gate', gate: { sleep: engineDuration(ms) } };
    }
    if (g?.kind === 'approve') {
      const name = g.approve?.['signalId'];
      return { kind: 'gate', gate: { approve: { ...(typeof name === 'string' ? { name } : {}) } } };
    }
    if (g?.kind === 'signal') {
      const name = g.signal?.['signalId'];
      if (typeof name !== 'string') this.fail(`${where}.gate.signal.signalId`, 'a signal gate needs a signalId');
      const type = isObject(g.signal?.['type']) ? g.signal['type'] : {};
      const simple = type['simple'];
      const kind =
        simple === 'BOOLEAN'
          ? 'boolean'
          : simple === 'INTEGER'
            ? 'integer'
            : simple === 'FLOAT'
              ? 'number'
              : simple === 'STRING'
                ? 'string'
                : 'json';
      return { kind: 'gate', gate: { signal: { name, type: kind } } };
    }
    return this.fail(`${where}.gate.kind`, `unknown gate kind ${JSON.stringify(g?.kind)}`);
  }

  arrayNode(node: FlyteNodeSpec, where: string): Omit<WorkflowNode, 'id'> {
    const a = node.array;
    const sub = a?.SubNodeSpec;
    if (!a || !sub) this.fail(`${where}.array.SubNodeSpec`, 'an array node needs SubNodeSpec');
    const itemsId = `${SyntheticPrefix.items}${node.id}`;
    const bindings = node.inputBindings && node.inputBindings.length > 0 ? node.inputBindings : sub.inputBindings;
    this.addLiteralStep(
      itemsId,
      { op: 'split', bound: a.BoundInputs ?? [] },
      this.inputs(bindings, itemsId, `${where}.inputBindings`),
    );
    let item: WorkflowNode;
    if (sub.kind === 'task') {
      // The item's data lives under the array node (its id, then the item index), as in FlytePropeller.
      item = this.taskNode({ ...sub, id: node.id }, `${where}.array.SubNodeSpec`, true);
    } else {
      const key = `flyte:${this.prefix}${node.id}[]`;
      this.state.tasks[key] = unsupportedTemplate(
        `array of ${sub.kind}`,
        `array node items of kind ${sub.kind} are not supported yet: only task items run`,
      );
      item = { kind: 'task', task: key, inputs: { item: { fromItem: true } } };
    }
    return {
      kind: 'array',
      array: {
        over: { fromNode: itemsId, output: 'items' },
        parallelism: typeof a.Parallelism === 'number' && a.Parallelism > 0 ? a.Parallelism : 0,
        ...(typeof a.MinSuccessRatio === 'number'
          ? { minSuccessRatio: Math.min(1, Math.max(0, a.MinSuccessRatio)) }
          : {}),
        ...(typeof a.MinSuccesses === 'number' ? { minSuccesses: Math.max(0, Math.floor(a.MinSuccesses)) } : {}),
        node: item,
      },
    };
  }
}

/** Translates one scope: its top-level nodes (branch cases nest inside their branch), synthetic steps, and outputs. */
export function translateScope(
  state: TranslationState,
  spec: FlyteWorkflowSpec,
  prefix: string,
  parents: readonly string[],
  where: string,
  depth: number,
): ScopeResult {
  const scope = new Scope(state, spec, prefix, parents, where, depth);
  const nodes: WorkflowNode[] = [];
  for (const id of scope.siblings()) {
    const node = scope.node(id);
    if (node) nodes.push(scope.translateNode(node, `${where}.nodes.${id}`));
  }
  const endBindings = spec.outputBindings ?? spec.nodes[END_NODE_ID]?.inputBindings;
  const outputs = scope.inputs(endBindings, 'end-node', `${where}.outputBindings`);
  return { nodes: [...scope.synthetic, ...nodes], outputs };
}

/** Translates the `onFailure` node of the primary workflow (its data lives under its own id). */
export function translateOnFailure(
  state: TranslationState,
  spec: FlyteWorkflowSpec,
  node: FlyteNodeSpec,
): WorkflowNode {
  const scope = new Scope(state, spec, '', [], 'spec', 0);
  const translated = scope.translateNode(node, 'spec.onFailure');
  if (scope.synthetic.length > 0)
    scope.fail(
      'onFailure',
      'the failure node may bind only workflow inputs, upstream outputs and literals (not collections of promises)',
    );
  return { ...translated, dependsOn: [] };
}

/** The node's `resources` override as `{ resources }`, or `undefined` when it sets none. */
function nodeResources(node: FlyteNodeSpec): Pick<ContainerPodSettings, 'resources'> | undefined {
  const requests = node.resources?.requests;
  const limits = node.resources?.limits;
  const has = (q: Record<string, string> | undefined): q is Record<string, string> =>
    q !== undefined && Object.keys(q).length > 0;
  if (!has(requests) && !has(limits)) return undefined;
  return {
    resources: {
      ...(has(requests) ? { requests: { ...requests } } : {}),
      ...(has(limits) ? { limits: { ...limits } } : {}),
    },
  };
}
