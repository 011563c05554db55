/**
 * Checks one workflow spec (the primary `spec` or a `subWorkflows` value): nodes and their kind
 * blocks, references (tasks, sub-workflows, branch targets, binding promises), start and end
 * nodes, connections and their acyclicity, the failure node and policy.
 */
import { END_NODE_ID, FlyteFailurePolicies, FlyteGateKinds, FlyteNodeKinds, START_NODE_ID } from '../types.js';
import { at, idx, isRec, kindOf, q, type ProblemList, type Rec } from './problems.js';

/** What a spec's references resolve against. */
export interface SpecContext {
  readonly problems: ProblemList;
  /** Keys of the top-level `tasks`, or undefined when the tasks are offloaded (not checked). */
  readonly taskIds: ReadonlySet<string> | undefined;
  readonly subWorkflowIds: ReadonlySet<string>;
  /** How deep array sub-nodes may nest. */
  readonly maxDepth: number;
}

const KINDS: ReadonlySet<string> = new Set(FlyteNodeKinds);
const GATE_KINDS: ReadonlySet<string> = new Set(FlyteGateKinds);
const POLICIES: ReadonlySet<string> = new Set(FlyteFailurePolicies);

/** Every promise (`{ promise: { nodeId } }`) in a binding's data, with its path; walks collections, maps and unions. */
function promises(data: unknown, path: string, out: { nodeId: unknown; path: string }[], depth = 0): void {
  if (!isRec(data) || depth > 32) return;
  const promise = data['promise'];
  if (isRec(promise)) out.push({ nodeId: promise['nodeId'], path: at(at(path, 'promise'), 'nodeId') });
  const collection = data['collection'];
  if (isRec(collection) && Array.isArray(collection['bindings'])) {
    collection['bindings'].forEach((b, i) =>
      promises(b, idx(at(at(path, 'collection'), 'bindings'), i), out, depth + 1),
    );
  }
  const map = data['map'];
  if (isRec(map) && isRec(map['bindings'])) {
    for (const [k, b] of Object.entries(map['bindings']))
      promises(b, at(at(at(path, 'map'), 'bindings'), k), out, depth + 1);
  }
  const union = data['union'];
  if (isRec(union)) promises(union['value'], at(at(path, 'union'), 'value'), out, depth + 1);
}

/** Checks a list of `{ var, binding }` whose promises must name nodes of the scope. */
function checkBindings(list: unknown, path: string, nodeIds: ReadonlySet<string>, ctx: SpecContext): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    ctx.problems.add(path, 'WrongType', `must be a list of bindings, got ${kindOf(list)}`);
    return;
  }
  list.forEach((b, i) => {
    const p = idx(path, i);
    if (!isRec(b)) return ctx.problems.add(p, 'NotAnObject', `a binding must be an object, got ${kindOf(b)}`);
    if (typeof b['var'] !== 'string')
      ctx.problems.add(at(p, 'var'), 'MissingField', 'a binding needs the variable name it binds');
    const found: { nodeId: unknown; path: string }[] = [];
    promises(b['binding'], at(p, 'binding'), found);
    for (const f of found) {
      if (typeof f.nodeId !== 'string')
        ctx.problems.add(f.path, 'MissingField', 'a promise needs the id of the node it reads');
      else if (!nodeIds.has(f.nodeId))
        ctx.problems.add(
          f.path,
          'UnknownNode',
          `the promise reads node ${q(f.nodeId)}, which is not in this workflow's nodes`,
        );
    }
  });
}

function checkTarget(value: unknown, path: string, nodeIds: ReadonlySet<string>, ctx: SpecContext): void {
  if (typeof value !== 'string')
    ctx.problems.add(path, 'MissingField', `must name the node to run, got ${kindOf(value)}`);
  else if (!nodeIds.has(value))
    ctx.problems.add(path, 'UnknownNode', `names node ${q(value)}, which is not in this workflow's nodes`);
}

function checkBranch(branch: Rec, path: string, nodeIds: ReadonlySet<string>, ctx: SpecContext): void {
  const checkIf = (block: unknown, p: string): void => {
    if (!isRec(block))
      return ctx.problems.add(
        p,
        block === undefined ? 'MissingField' : 'NotAnObject',
        'a case needs { condition, then }',
      );
    if (!isRec(block['condition']))
      ctx.problems.add(at(p, 'condition'), 'MissingField', 'a case needs a condition (a flyteidl BooleanExpression)');
    checkTarget(block['then'], at(p, 'then'), nodeIds, ctx);
  };
  checkIf(branch['if'], at(path, 'if'));
  const elseIf = branch['elseIf'];
  if (Array.isArray(elseIf)) elseIf.forEach((b, i) => checkIf(b, idx(at(path, 'elseIf'), i)));
  else if (elseIf !== undefined && elseIf !== null)
    ctx.problems.add(at(path, 'elseIf'), 'WrongType', `must be a list of cases, got ${kindOf(elseIf)}`);
  if (branch['else'] !== undefined && branch['else'] !== null)
    checkTarget(branch['else'], at(path, 'else'), nodeIds, ctx);
  const elseFail = branch['elseFail'];
  if (elseFail !== undefined && elseFail !== null && !isRec(elseFail))
    ctx.problems.add(at(path, 'elseFail'), 'NotAnObject', 'must be a flyteidl Error object');
}

function checkCount(value: unknown, path: string, ctx: SpecContext, max?: number): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value))
    ctx.problems.add(path, 'WrongType', `must be an integer, got ${kindOf(value)}`);
  else if (value < 0 || (max !== undefined && value > max))
    ctx.problems.add(path, 'OutOfRange', `must be in [0, ${max ?? '∞'}], got ${value}`);
}

function checkArray(array: Rec, path: string, nodeIds: ReadonlySet<string>, ctx: SpecContext, depth: number): void {
  const sub = array['SubNodeSpec'];
  if (!isRec(sub))
    ctx.problems.add(
      at(path, 'SubNodeSpec'),
      'MissingKindBlock',
      'an array node needs SubNodeSpec, the node to run per item',
    );
  else checkNode(sub, at(path, 'SubNodeSpec'), undefined, nodeIds, ctx, depth + 1);
  checkCount(array['Parallelism'], at(path, 'Parallelism'), ctx, 0xffffffff);
  checkCount(array['MinSuccesses'], at(path, 'MinSuccesses'), ctx, 0xffffffff);
  const ratio = array['MinSuccessRatio'];
  if (ratio !== undefined && ratio !== null) {
    if (typeof ratio !== 'number')
      ctx.problems.add(at(path, 'MinSuccessRatio'), 'WrongType', `must be a number, got ${kindOf(ratio)}`);
    else if (ratio < 0 || ratio > 1)
      ctx.problems.add(at(path, 'MinSuccessRatio'), 'OutOfRange', `must be in [0, 1], got ${ratio}`);
  }
}

/**
 * Checks one node. `key` is its key in `nodes` (undefined for an array's sub-node and the failure
 * node, which are not in `nodes`); `nodeIds` are the ids its references may name.
 */
export function checkNode(
  node: Rec,
  path: string,
  key: string | undefined,
  nodeIds: ReadonlySet<string>,
  ctx: SpecContext,
  depth = 0,
): void {
  const { problems } = ctx;
  if (depth > ctx.maxDepth) return problems.add(path, 'TooDeep', `array nodes nested more than ${ctx.maxDepth} deep`);
  const id = node['id'];
  if (typeof id !== 'string') problems.add(at(path, 'id'), 'MissingField', `a node needs its id, got ${kindOf(id)}`);
  else if (key !== undefined && id !== key)
    problems.add(at(path, 'id'), 'NodeIdMismatch', `the id ${q(id)} differs from the node's key ${q(key)}`);
  const kind = node['kind'];
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    problems.add(
      at(path, 'kind'),
      'UnknownNodeKind',
      `kind ${typeof kind === 'string' ? q(kind) : kindOf(kind)} is none of ${FlyteNodeKinds.join(', ')}`,
    );
  } else {
    const block = node[kind];
    const missing = (what: string): void =>
      problems.add(at(path, kind), 'MissingKindBlock', `a ${kind} node needs ${what}`);
    switch (kind) {
      case 'task':
        if (typeof block !== 'string') missing('task, the key of its task template in tasks');
        else if (ctx.taskIds !== undefined && !ctx.taskIds.has(block))
          problems.add(at(path, 'task'), 'UnknownTask', `task ${q(block)} is not a key of tasks`);
        break;
      case 'branch':
        if (!isRec(block)) missing('a branch block with if (and elseIf, else or elseFail)');
        else checkBranch(block, at(path, 'branch'), nodeIds, ctx);
        break;
      case 'workflow':
        if (!isRec(block) || (block['subWorkflowRef'] === undefined && block['launchPlanRefId'] === undefined))
          missing('workflow.subWorkflowRef or workflow.launchPlanRefId');
        else if (block['subWorkflowRef'] !== undefined) {
          const ref = block['subWorkflowRef'];
          const p = at(at(path, 'workflow'), 'subWorkflowRef');
          if (typeof ref !== 'string')
            problems.add(p, 'WrongType', `must be a key of subWorkflows, got ${kindOf(ref)}`);
          else if (!ctx.subWorkflowIds.has(ref))
            problems.add(p, 'UnknownSubWorkflow', `sub-workflow ${q(ref)} is not a key of subWorkflows`);
        } else if (!isRec(block['launchPlanRefId']))
          problems.add(at(at(path, 'workflow'), 'launchPlanRefId'), 'NotAnObject', 'must be a flyteidl Identifier');
        break;
      case 'gate': {
        if (!isRec(block)) {
          missing('a gate block with kind and its condition');
          break;
        }
        const gateKind = block['kind'];
        if (typeof gateKind !== 'string' || !GATE_KINDS.has(gateKind)) {
          problems.add(
            at(at(path, 'gate'), 'kind'),
            'BadGateKind',
            `gate kind ${typeof gateKind === 'string' ? q(gateKind) : kindOf(gateKind)} is none of ${FlyteGateKinds.join(', ')}`,
          );
        } else if (!isRec(block[gateKind])) {
          problems.add(at(at(path, 'gate'), gateKind), 'MissingKindBlock', `a ${gateKind} gate needs gate.${gateKind}`);
        }
        break;
      }
      case 'array':
        if (!isRec(block)) missing('an array block with SubNodeSpec');
        else checkArray(block, at(path, 'array'), nodeIds, ctx, depth);
        break;
      default:
        break;
    }
  }
  checkBindings(node['inputBindings'], at(path, 'inputBindings'), nodeIds, ctx);
  const retry = node['retry'];
  if (isRec(retry)) checkCount(retry['minAttempts'], at(at(path, 'retry'), 'minAttempts'), ctx);
  else if (retry !== undefined && retry !== null)
    problems.add(at(path, 'retry'), 'NotAnObject', 'must be { minAttempts }');
}

/** A `node id → ids` map; every key and id must be a node. Returns the map's string lists. */
function checkEdgeMap(
  value: unknown,
  path: string,
  nodeIds: ReadonlySet<string>,
  ctx: SpecContext,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (value === undefined || value === null) return out;
  if (!isRec(value)) {
    ctx.problems.add(path, 'NotAnObject', `must map node ids to lists of node ids, got ${kindOf(value)}`);
    return out;
  }
  for (const [from, list] of Object.entries(value)) {
    const p = at(path, from);
    if (!nodeIds.has(from))
      ctx.problems.add(p, 'UnknownNode', `connects node ${q(from)}, which is not in this workflow's nodes`);
    if (!Array.isArray(list)) {
      if (list !== null) ctx.problems.add(p, 'WrongType', `must be a list of node ids, got ${kindOf(list)}`);
      continue;
    }
    const ids: string[] = [];
    list.forEach((to, i) => {
      if (typeof to !== 'string') ctx.problems.add(idx(p, i), 'WrongType', `must be a node id, got ${kindOf(to)}`);
      else if (!nodeIds.has(to))
        ctx.problems.add(idx(p, i), 'UnknownNode', `connects to node ${q(to)}, which is not in this workflow's nodes`);
      else ids.push(to);
    });
    out.set(from, ids);
  }
  return out;
}

/** The first cycle in a downstream map (a list of ids, first = last), or undefined. Iterative. */
export function findCycle(downstream: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  for (const root of downstream.keys()) {
    if (state.has(root)) continue;
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const children = downstream.get(top.id) ?? [];
      const child = children[top.next++];
      if (child === undefined) {
        state.set(top.id, 2);
        stack.pop();
      } else if (state.get(child) === 1) {
        const from = stack.findIndex((s) => s.id === child);
        return [...stack.slice(from).map((s) => s.id), child];
      } else if (!state.has(child)) {
        state.set(child, 1);
        stack.push({ id: child, next: 0 });
      }
    }
  }
  return undefined;
}

/** Checks a workflow spec at `path`. */
export function checkSpec(spec: Rec, path: string, ctx: SpecContext): void {
  const { problems } = ctx;
  if (typeof spec['id'] !== 'string')
    problems.add(at(path, 'id'), 'MissingField', 'a workflow spec needs its id (project:domain:name)');
  const nodes = spec['nodes'];
  if (!isRec(nodes)) {
    problems.add(
      at(path, 'nodes'),
      nodes === undefined ? 'MissingField' : 'NotAnObject',
      `must map node ids to nodes, got ${kindOf(nodes)}`,
    );
    return;
  }
  const nodeIds = new Set(Object.keys(nodes));
  const nodesPath = at(path, 'nodes');
  for (const [key, node] of Object.entries(nodes)) {
    if (!isRec(node)) problems.add(at(nodesPath, key), 'NotAnObject', `a node must be an object, got ${kindOf(node)}`);
    else checkNode(node, at(nodesPath, key), key, nodeIds, ctx);
  }
  const kindOfNode = (id: string): unknown => (isRec(nodes[id]) ? (nodes[id] as Rec)['kind'] : undefined);
  if (kindOfNode(START_NODE_ID) !== 'start')
    problems.add(nodesPath, 'MissingStartNode', `no node ${q(START_NODE_ID)} of kind start`);
  if (kindOfNode(END_NODE_ID) !== 'end')
    problems.add(nodesPath, 'MissingEndNode', `no node ${q(END_NODE_ID)} of kind end`);

  const edges = spec['edges'];
  let downstream = new Map<string, string[]>();
  let useEdges = false;
  if (edges !== undefined && edges !== null && !isRec(edges))
    problems.add(at(path, 'edges'), 'NotAnObject', 'must be { downstream, upstream }');
  else if (isRec(edges)) {
    downstream = checkEdgeMap(edges['downstream'], at(at(path, 'edges'), 'downstream'), nodeIds, ctx);
    const upstream = checkEdgeMap(edges['upstream'], at(at(path, 'edges'), 'upstream'), nodeIds, ctx);
    // FlytePropeller reads edges unless both of its maps are empty, then the deprecated connections.
    useEdges = downstream.size > 0 || upstream.size > 0;
  }
  const deprecated = checkEdgeMap(spec['connections'], at(path, 'connections'), nodeIds, ctx);
  if (!useEdges) downstream = deprecated;
  if (downstream.size === 0)
    problems.add(
      at(path, 'edges'),
      'MissingConnections',
      'neither edges nor connections connect any node (not even start-node)',
    );
  const cycle = findCycle(downstream);
  if (cycle !== undefined)
    problems.add(at(path, 'edges'), 'Cycle', `the nodes form a cycle: ${cycle.map(q).join(' -> ')}`);

  checkBindings(spec['outputBindings'], at(path, 'outputBindings'), nodeIds, ctx);
  const onFailure = spec['onFailure'];
  if (isRec(onFailure)) checkNode(onFailure, at(path, 'onFailure'), undefined, nodeIds, ctx);
  else if (onFailure !== undefined && onFailure !== null)
    problems.add(at(path, 'onFailure'), 'NotAnObject', 'must be a node');
  const policy = spec['onFailurePolicy'];
  if (policy !== undefined && (typeof policy !== 'string' || !POLICIES.has(policy))) {
    problems.add(
      at(path, 'onFailurePolicy'),
      'BadFailurePolicy',
      `must be one of ${FlyteFailurePolicies.join(', ')}, got ${typeof policy === 'string' ? q(policy) : kindOf(policy)}`,
    );
  }
}
