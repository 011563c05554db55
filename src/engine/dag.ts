/**
 * The DAG of one node list: each node's upstream ids (`dependsOn` plus every `fromNode` binding
 * it or its nested branch/array nodes use) and a stable topological order. Memoised per list.
 */
import type { Binding, Condition, WorkflowNode } from '../api/schema.js';

export interface Dag {
  /** Nodes in a topological order (ties keep list order). */
  readonly order: readonly WorkflowNode[];
  readonly deps: ReadonlyMap<string, readonly string[]>;
  /** Ids on a cycle, or depended on but not defined; empty when the graph is sound. */
  readonly cycle: readonly string[];
  readonly unknown: readonly string[];
}

const cache = new WeakMap<readonly WorkflowNode[], Dag>();

function bindingRef(binding: Binding | undefined, into: Set<string>): void {
  if (binding?.fromNode !== undefined) into.add(binding.fromNode);
}

function conditionRefs(condition: Condition | undefined, into: Set<string>, depth: number): void {
  if (!condition || depth > 64) return;
  bindingRef(condition.left, into);
  bindingRef(condition.right, into);
  for (const c of condition.and ?? []) conditionRefs(c, into, depth + 1);
  for (const c of condition.or ?? []) conditionRefs(c, into, depth + 1);
  conditionRefs(condition.not, into, depth + 1);
}

/** Sibling ids a node reads from (not those inside sub-workflows: another scope). */
export function nodeRefs(node: WorkflowNode, into: Set<string> = new Set(), depth = 0): Set<string> {
  if (depth > 64) return into;
  for (const id of node.dependsOn ?? []) into.add(id);
  for (const binding of Object.values(node.inputs ?? {})) bindingRef(binding, into);
  if (node.branch) {
    for (const c of node.branch.cases) {
      conditionRefs(c.when, into, 0);
      nodeRefs(c.node, into, depth + 1);
    }
    if (node.branch.else?.node) nodeRefs(node.branch.else.node, into, depth + 1);
  }
  if (node.array) {
    bindingRef(node.array.over, into);
    nodeRefs(node.array.node, into, depth + 1);
  }
  return into;
}

export function dagOf(nodes: readonly WorkflowNode[]): Dag {
  const hit = cache.get(nodes);
  if (hit) return hit;
  const ids = new Set(nodes.map((n) => n.id ?? ''));
  const deps = new Map<string, string[]>();
  const unknown = new Set<string>();
  for (const node of nodes) {
    const refs = [...nodeRefs(node)].filter((r) => r !== node.id);
    for (const r of refs) if (!ids.has(r)) unknown.add(r);
    deps.set(
      node.id ?? '',
      refs.filter((r) => ids.has(r)),
    );
  }
  const remaining = new Map(nodes.map((n) => [n.id ?? '', (deps.get(n.id ?? '') ?? []).length]));
  const dependents = new Map<string, string[]>();
  for (const [id, ds] of deps) for (const d of ds) dependents.set(d, [...(dependents.get(d) ?? []), id]);
  const order: WorkflowNode[] = [];
  const byId = new Map(nodes.map((n) => [n.id ?? '', n]));
  const placed = new Set<string>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const node of nodes) {
      const id = node.id ?? '';
      if (placed.has(id) || (remaining.get(id) ?? 0) > 0) continue;
      placed.add(id);
      order.push(node);
      progress = true;
      for (const next of dependents.get(id) ?? []) remaining.set(next, (remaining.get(next) ?? 0) - 1);
    }
  }
  const cycle = nodes.map((n) => n.id ?? '').filter((id) => !placed.has(id));
  for (const id of cycle) {
    const node = byId.get(id);
    if (node) order.push(node);
  }
  const dag: Dag = { order, deps, cycle, unknown: [...unknown] };
  cache.set(nodes, dag);
  return dag;
}
