/**
 * The branch node: evaluates its cases in order once its inputs are ready, records the case taken
 * (`branchTaken`), then runs that case's node at `<branch>/<case node id>`. Its outputs are the
 * taken node's. No case matching and no `else` fails the node; `else.error` fails it with that
 * message.
 */
import type { WorkflowNode } from '../../api/schema.js';
import { isFailedPhase, type NodeRef, type RoundContext } from '../context.js';
import { evaluateCondition } from '../conditions.js';
import { EngineError } from '../errors.js';

const ELSE = 'else';

function takenNode(ref: NodeRef, taken: string): WorkflowNode | undefined {
  const branch = ref.node.branch;
  if (!branch) return undefined;
  if (taken === ELSE) return branch.else?.node;
  return branch.cases.find((c, i) => (c.node.id ?? `case-${i}`) === taken)?.node;
}

export function runBranchNode(ctx: RoundContext, ref: NodeRef): void {
  const { path, node, ns, scope } = ref;
  const branch = node.branch;
  if (!branch) throw new EngineError('InvalidSpec', `branch node ${path} has no branch block`);
  if (ns.phase === 'Pending') {
    let taken: string | undefined;
    for (const [i, c] of branch.cases.entries()) {
      if (evaluateCondition(ctx, scope, c.when)) {
        taken = c.node.id ?? `case-${i}`;
        break;
      }
    }
    if (taken === undefined) {
      if (branch.else?.node) taken = ELSE;
      else if (branch.else?.error !== undefined) {
        ctx.setPhase(path, ns, 'Failed', { message: branch.else.error, reason: 'BranchElseError' });
        return;
      } else {
        ctx.setPhase(path, ns, 'Failed', {
          message: `branch ${path}: no case matched and there is no else`,
          reason: 'NoBranchMatched',
        });
        return;
      }
    }
    ns.branchTaken = taken;
    ctx.setPhase(path, ns, 'Running', { message: `took ${taken}` });
  }
  if (ns.phase !== 'Running' || ns.branchTaken === undefined) return;
  const child = takenNode(ref, ns.branchTaken);
  if (!child) throw new EngineError('InvalidSpec', `branch ${path}: case ${ns.branchTaken} not found`);
  const childPath = `${path}/${child.id ?? ns.branchTaken}`;
  const childNs = ctx.nodeStatus(childPath, child);
  ctx.runner.runNode(ctx, { path: childPath, node: child, ns: childNs, scope });
  if (childNs.phase === 'Succeeded') {
    if (childNs.outputRef !== undefined) {
      ns.outputRef = childNs.outputRef;
      delete ns.outputs;
    } else ns.outputs = childNs.outputs ?? {};
    ctx.setPhase(path, ns, 'Succeeded', { message: `took ${ns.branchTaken}` });
  } else if (isFailedPhase(childNs.phase) || childNs.phase === 'Skipped') {
    ctx.setPhase(path, ns, 'Failed', {
      message: `branch ${path}: ${ns.branchTaken} ${childNs.phase.toLowerCase()}: ${childNs.message ?? ''}`.trim(),
      reason: 'BranchNodeFailed',
    });
  }
}
