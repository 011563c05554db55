/**
 * The execution events a terminal Workflow's status implies: one per node that reached a terminal
 * phase, then the workflow's own terminal event, last. Their ids are the ones the engine gave the
 * transitions (`src/engine/events.ts`), so re-sending them after a crash is idempotent: the sink
 * keeps what it already had and stores only what was lost between the status write and delivery.
 * Pure: a function of the status alone.
 */
import type { JsonObject } from '../api/schema.js';
import { isTerminalNodePhase, isTerminalWorkflowPhase } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import { nodeEventId, workflowEventId, type ExecutionEvent } from './events.js';

export function terminalEventsOf(workflow: Workflow): ExecutionEvent[] {
  const status = workflow.status;
  if (!status || !isTerminalWorkflowPhase(status.phase) || status.phase === undefined) return [];
  const { namespace, name, uid } = workflow.metadata;
  const identity = { namespace, name, uid };
  const finishedAt = status.finishedAt ?? workflow.metadata.creationTimestamp ?? new Date(0).toISOString();
  const events: ExecutionEvent[] = [];
  for (const [path, node] of Object.entries(status.nodes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!isTerminalNodePhase(node.phase)) continue;
    events.push({
      id: nodeEventId(uid, path, node.phase),
      scope: 'node',
      workflow: identity,
      nodeId: path,
      phase: node.phase,
      occurredAt: node.finishedAt ?? finishedAt,
      ...(node.message !== undefined ? { message: node.message } : {}),
      ...(node.phase === 'Succeeded' && node.outputs !== undefined ? { outputs: node.outputs as JsonObject } : {}),
      ...(node.phase === 'Succeeded' && node.outputRef !== undefined ? { outputRef: node.outputRef } : {}),
    });
  }
  events.push({
    id: workflowEventId(uid, status.phase),
    scope: 'workflow',
    workflow: identity,
    phase: status.phase,
    occurredAt: finishedAt,
    ...(status.message !== undefined ? { message: status.message } : {}),
    ...(status.phase === 'Succeeded' && status.outputs !== undefined ? { outputs: status.outputs as JsonObject } : {}),
    ...(status.phase === 'Succeeded' && status.outputRef !== undefined ? { outputRef: status.outputRef } : {}),
  });
  return events;
}
