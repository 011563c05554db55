/**
 * Graph checks: dependency cycles per scope (named: `a → b → c → a`), sub-workflows that run
 * themselves (directly or through others), node count and nesting depth (a sub-workflow's nodes
 * count one level below the node that runs them).
 */
import type { CheckContext, Edge } from './context.js';
import type { NodeRef, Scope } from './model.js';
import { isRecord, str } from './model.js';
import { quote } from './wording.js';

/** Cycles in a directed graph, each once, as the list of vertices (first = smallest index). */
export function findCycles<T>(vertices: readonly T[], next: (v: T) => readonly T[]): T[][] {
  const index = new Map(vertices.map((v, i) => [v, i]));
  const cycles: T[][] = [];
  const done = new Set<T>();
  // For each vertex in order, find a cycle through it using only vertices not yet done.
  for (const start of vertices) {
    const parent = new Map<T, T>();
    const queue: T[] = [start];
    const seen = new Set<T>([start]);
    let closing: T | undefined;
    while (queue.length > 0 && closing === undefined) {
      const v = queue.shift() as T;
      for (const w of next(v)) {
        if (!index.has(w) || done.has(w)) continue;
        if (w === start) {
          closing = v;
          break;
        }
        if (!seen.has(w)) {
          seen.add(w);
          parent.set(w, v);
          queue.push(w);
        }
      }
    }
    if (closing !== undefined) {
      const path: T[] = [];
      for (let v: T | undefined = closing; v !== undefined && v !== start; v = parent.get(v)) path.unshift(v);
      const cycle = [start, ...path];
      if (!cycles.some((c) => c.length === cycle.length && cycle.every((v) => c.includes(v)))) cycles.push(cycle);
    }
    done.add(start);
  }
  return cycles;
}

function checkCycles(ctx: CheckContext, scope: Scope, edges: readonly Edge[]): void {
  const out = new Map<NodeRef, Edge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const cycles = findCycles(scope.nodes, (v) => (out.get(v) ?? []).map((e) => e.to));
  for (const cycle of cycles) {
    const first = cycle[0];
    const second = cycle[1] ?? first;
    if (first === undefined || second === undefined) continue;
    const edge = (out.get(first) ?? []).find((e) => e.to === second);
    const names = [...cycle, first].map((n) => n.id ?? '?').join(' → ');
    const message =
      cycle.length === 1
        ? `node ${quote(first.id ?? '?')} depends on itself; remove that dependency`
        : `dependency cycle: ${names}; none of these nodes can ever start. Remove one of the dependencies (dependsOn or fromNode)`;
    ctx.issues.add(edge?.path ?? first.path, 'Cycle', message);
  }
}

function workflowRef(node: NodeRef): string | undefined {
  return node.kind === 'workflow' && isRecord(node.raw['workflow']) ? str(node.raw['workflow']['ref']) : undefined;
}

function checkRecursion(ctx: CheckContext): Set<string> {
  const subs = [...ctx.model.subWorkflows.values()];
  const refs = (name: string): string[] => {
    const sub = ctx.model.subWorkflows.get(name);
    return sub === undefined
      ? []
      : sub.scope.all.map(workflowRef).filter((r): r is string => r !== undefined && ctx.model.subWorkflows.has(r));
  };
  const recursive = new Set<string>();
  for (const cycle of findCycles(
    subs.map((s) => s.name),
    refs,
  )) {
    const [first] = cycle;
    const second = cycle[1] ?? first;
    const sub = first === undefined ? undefined : ctx.model.subWorkflows.get(first);
    if (sub === undefined) continue;
    cycle.forEach((n) => recursive.add(n));
    const at = sub.scope.all.find((n) => workflowRef(n) === second);
    const chain = [...cycle, first].map((n) => quote(n ?? '?')).join(' → ');
    ctx.issues.add(
      at === undefined ? sub.path : `${at.path}.workflow.ref`,
      'RecursiveSubWorkflow',
      `sub-workflow ${quote(first ?? '?')} runs itself (${chain}); sub-workflows cannot recurse: unroll it or launch a separate Workflow`,
    );
  }
  return recursive;
}

function checkLimits(ctx: CheckContext, recursive: ReadonlySet<string>): void {
  const { model, options, issues } = ctx;
  if (model.nodeCount > options.maxNodes) {
    issues.add(
      `${model.base}.nodes`,
      'TooManyNodes',
      `the spec has ${model.nodeCount} nodes (counting nested and sub-workflow nodes); the limit is ${options.maxNodes}. Use an array node to map over many items`,
    );
  }
  const memo = new Map<string, number>();
  const subDepth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const sub = model.subWorkflows.get(name);
    if (sub === undefined || recursive.has(name)) return 0;
    memo.set(name, 0);
    const d = Math.max(
      0,
      ...sub.scope.all.map((n) => n.depth + ((r) => (r === undefined ? 0 : subDepth(r)))(workflowRef(n))),
    );
    memo.set(name, d);
    return d;
  };
  for (const sub of model.subWorkflows.values()) subDepth(sub.name);
  let reported = false;
  for (const node of model.top.all) {
    const ref = workflowRef(node);
    const depth = node.depth + (ref === undefined ? 0 : subDepth(ref));
    if (depth > options.maxDepth && !reported) {
      reported = true;
      const through = ref === undefined ? '' : ` (counting the nodes of sub-workflow ${quote(ref)})`;
      issues.add(
        node.path,
        'TooDeep',
        `nodes are nested ${depth} levels deep here${through}; the limit is ${options.maxDepth}. Flatten branches and arrays, or launch a separate Workflow`,
      );
    }
  }
  for (const sub of model.subWorkflows.values()) {
    if (reported) break;
    for (const node of sub.scope.all) {
      if (node.depth > options.maxDepth) {
        reported = true;
        issues.add(
          node.path,
          'TooDeep',
          `nodes are nested ${node.depth} levels deep here; the limit is ${options.maxDepth}`,
        );
        break;
      }
    }
  }
}

export function checkGraph(ctx: CheckContext): void {
  for (const scope of ctx.model.scopes) checkCycles(ctx, scope, ctx.edges.get(scope) ?? []);
  const recursive = checkRecursion(ctx);
  checkLimits(ctx, recursive);
}
