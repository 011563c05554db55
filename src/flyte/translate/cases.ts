/** Branch cases of a Flyte workflow scope: which branch node runs each case node. Pure. */
import type { FlyteWorkflowSpec } from '../types.js';

/** Case node id → the id of the branch node whose `then`/`else` names it. */
export function caseParents(spec: FlyteWorkflowSpec): Map<string, string> {
  const parents = new Map<string, string>();
  for (const [id, node] of Object.entries(spec.nodes)) {
    const b = node.branch;
    if (!b) continue;
    for (const target of [b.if?.then, ...(b.elseIf ?? []).map((c) => c.then), b.else])
      if (typeof target === 'string') parents.set(target, id);
  }
  return parents;
}

/** The chain of branch ids above a node, outermost first (empty for a top-level node). */
export function branchChain(parents: ReadonlyMap<string, string>, id: string): string[] {
  const chain: string[] = [];
  let cur = parents.get(id);
  while (cur !== undefined && chain.length < 64) {
    chain.unshift(cur);
    cur = parents.get(cur);
  }
  return chain;
}
