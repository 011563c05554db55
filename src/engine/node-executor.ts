/**
 * The node executor: runs one node through the handler of its kind, runs a DAG of nodes in
 * topological order (so a chain of instant nodes advances in one pass), and aborts subtrees.
 * Handler contract: a handler is called only for a node whose dependencies succeeded; it moves the
 * node's status forward, emits actions, and asks for a wake-up when it waits on time. Errors a
 * handler throws (`EngineError`) fail that node, never the round.
 */
import type { WorkflowNode } from '../api/schema.js';
import { isTerminalNodePhase, type NodeStatus } from '../api/status.js';
import {
  isFailedPhase,
  type DagResult,
  type NodeRef,
  type NodeRunner,
  type RoundContext,
  type Scope,
} from './context.js';
import { dagOf } from './dag.js';
import { EngineError, OutputsNotLoaded } from './errors.js';
import { runArrayNode } from './handlers/array.js';
import { runBranchNode } from './handlers/branch.js';
import { runGateNode } from './handlers/gate.js';
import { runTaskNode } from './handlers/task.js';
import { runWorkflowNode } from './handlers/workflow.js';

const handlers: Record<WorkflowNode['kind'], (ctx: RoundContext, ref: NodeRef) => void> = {
  task: runTaskNode,
  branch: runBranchNode,
  workflow: runWorkflowNode,
  gate: runGateNode,
  array: runArrayNode,
};

function runNode(ctx: RoundContext, ref: NodeRef): void {
  if (isTerminalNodePhase(ref.ns.phase)) return;
  const handler = handlers[ref.node.kind];
  try {
    if (!handler)
      throw new EngineError('InvalidSpec', `node ${ref.path} has an unknown kind ${JSON.stringify(ref.node.kind)}`);
    handler(ctx, ref);
  } catch (error) {
    if (error instanceof OutputsNotLoaded) {
      ctx.requestLoad(error.ref);
      return;
    }
    if (error instanceof EngineError) {
      runner.abortSubtree(ctx, `${ref.path}/`, error.message);
      if (ref.ns.taskPhase !== undefined) runner.abortNode(ctx, ref.path, ref.ns, error.message);
      ctx.setPhase(ref.path, ref.ns, 'Failed', { message: error.message, reason: error.code });
      return;
    }
    throw error;
  }
}

function runDag(ctx: RoundContext, scope: Scope, nodes: readonly WorkflowNode[]): DagResult {
  const dag = dagOf(nodes);
  if (dag.cycle.length > 0) throw new EngineError('InvalidSpec', `nodes ${dag.cycle.join(', ')} form a cycle`);
  let terminal = 0;
  let succeeded = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const note = (path: string, ns: NodeStatus): void => {
    if (!isTerminalNodePhase(ns.phase)) return;
    terminal++;
    if (ns.phase === 'Succeeded') succeeded++;
    if (isFailedPhase(ns.phase)) {
      failed++;
      firstFailure ??= `${path}: ${ns.message ?? ns.phase}`;
    }
  };
  for (const node of dag.order) {
    const id = node.id ?? '';
    const path = `${scope.prefix}${id}`;
    const ns = ctx.nodeStatus(path, node);
    if (ns.phase === 'Pending') {
      const unknown = (node.dependsOn ?? []).filter((d) => dag.unknown.includes(d));
      if (unknown.length > 0) {
        ctx.setPhase(path, ns, 'Failed', {
          message: `depends on unknown node ${unknown.join(', ')}`,
          reason: 'InvalidSpec',
        });
        note(path, ns);
        continue;
      }
      let ready = true;
      let blocked: string | undefined;
      for (const dep of dag.deps.get(id) ?? []) {
        const phase = ctx.nodes[`${scope.prefix}${dep}`]?.phase;
        if (phase === 'Succeeded') continue;
        ready = false;
        if (isTerminalNodePhase(phase)) blocked ??= dep;
      }
      if (blocked !== undefined) {
        ctx.setPhase(path, ns, 'Skipped', { message: `upstream node ${blocked} did not succeed` });
        note(path, ns);
        continue;
      }
      if (!ready || (scope.failFast && failed > 0)) continue;
    }
    runNode(ctx, { path, node, ns, scope });
    note(path, ns);
  }
  return {
    total: dag.order.length,
    terminal,
    succeeded,
    failed,
    allTerminal: terminal === dag.order.length,
    ...(firstFailure !== undefined ? { firstFailure } : {}),
  };
}

function abortNode(ctx: RoundContext, path: string, ns: NodeStatus, reason: string): void {
  if (isTerminalNodePhase(ns.phase)) return;
  const started = ns.phase !== 'Pending';
  if (ns.taskPhase !== undefined && ns.task !== undefined) {
    const template = ctx.spec.tasks[ns.task];
    if (template) ctx.emit({ type: 'abortTask', task: ctx.taskContext(path, ns, ns.task, template, {}), reason });
  }
  if (ns.childName !== undefined)
    ctx.emit({
      type: 'deleteChildWorkflow',
      nodeId: path,
      namespace: ctx.workflow.metadata.namespace,
      name: ns.childName,
    });
  const nested = ctx.nodes[path]?.array?.items;
  if (nested) {
    for (const [key, item] of Object.entries(nested)) {
      abortSubtree(ctx, `${path}/${key}/`, reason);
      abortNode(ctx, `${path}/${key}`, item, reason);
    }
  }
  ctx.setPhase(path, ns, started ? 'Aborted' : 'Skipped', { message: reason });
}

function abortSubtree(ctx: RoundContext, prefix: string, reason: string): void {
  for (const [path, ns] of Object.entries(ctx.nodes)) {
    if (path.startsWith(prefix) && !isTerminalNodePhase(ns.phase)) abortNode(ctx, path, ns, reason);
  }
}

export const runner: NodeRunner = { runNode, runDag, abortSubtree, abortNode };
