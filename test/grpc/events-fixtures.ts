/** Execution events for the gRPC tests, with the engine's deterministic ids. */
import { nodeEventId, taskEventId, workflowEventId, type ExecutionEvent } from '../../src/engine/events.js';

export function workflowRef(name: string, namespace = 'team-a'): ExecutionEvent['workflow'] {
  return { namespace, name, uid: `uid-${namespace}-${name}` };
}

/** A plausible run of one workflow: workflow Running, then per node Queued/Running/Succeeded with a task attempt, then workflow Succeeded. */
export function runEvents(name: string, nodes: readonly string[], namespace = 'team-a'): ExecutionEvent[] {
  const workflow = workflowRef(name, namespace);
  const at = (i: number) => new Date(Date.UTC(2026, 10, 24, 0, 0, i)).toISOString();
  let i = 0;
  const events: ExecutionEvent[] = [
    {
      id: workflowEventId(workflow.uid, 'Running'),
      scope: 'workflow',
      workflow,
      phase: 'Running',
      occurredAt: at(i++),
    },
  ];
  for (const node of nodes) {
    events.push({
      id: nodeEventId(workflow.uid, node, 'Running'),
      scope: 'node',
      workflow,
      nodeId: node,
      phase: 'Running',
      occurredAt: at(i++),
    });
    events.push({
      id: taskEventId(workflow.uid, node, 1, 'Running'),
      scope: 'task',
      workflow,
      nodeId: node,
      attempt: 1,
      phase: 'Running',
      occurredAt: at(i++),
    });
    events.push({
      id: taskEventId(workflow.uid, node, 1, 'Succeeded'),
      scope: 'task',
      workflow,
      nodeId: node,
      attempt: 1,
      phase: 'Succeeded',
      occurredAt: at(i++),
      outputs: { rows: 42, big: 9007199254740991, ok: true, nested: { list: [1, 'a', null] } },
    });
    events.push({
      id: nodeEventId(workflow.uid, node, 'Succeeded'),
      scope: 'node',
      workflow,
      nodeId: node,
      phase: 'Succeeded',
      occurredAt: at(i++),
    });
  }
  events.push({
    id: workflowEventId(workflow.uid, 'Succeeded'),
    scope: 'workflow',
    workflow,
    phase: 'Succeeded',
    occurredAt: at(i),
  });
  return events;
}
