import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../observability/metrics.js';
import type { WorkflowNode } from '../api/schema.js';
import { observeStatusWrite } from './round-slo.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
const ms = (seconds: number) => Date.UTC(2026, 0, 1, 0, 0, seconds);

async function series(metrics: Metrics, name: string): Promise<number | undefined> {
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const nodes: WorkflowNode[] = [
  { id: 'a', kind: 'task', task: 't' },
  { id: 'b', kind: 'task', task: 't', dependsOn: ['a'] },
  { id: 'c', kind: 'task', task: 't', inputs: { x: { fromNode: 'a', output: 'x' } }, dependsOn: ['b'] },
] as WorkflowNode[];

describe('observeStatusWrite', () => {
  test('the first status write observes acceptance latency, once', async () => {
    const metrics = new Metrics({ processMetrics: false });
    observeStatusWrite(metrics, {
      createdAt: at(0),
      before: undefined,
      after: { phase: 'Running', startedAt: at(3), nodes: { a: { phase: 'Running', startedAt: at(3) } } },
      nodes,
      nowMs: ms(3),
    });
    observeStatusWrite(metrics, {
      createdAt: at(0),
      before: { phase: 'Running' },
      after: { phase: 'Running' },
      nodes,
      nowMs: ms(9),
    });
    assert.equal(await series(metrics, 'flotilla_workflow_acceptance_latency_seconds_count'), 1);
    assert.equal(await series(metrics, 'flotilla_workflow_acceptance_latency_seconds_sum'), 3);
    // Node a has no upstream: ready when the workflow started (3 s), started at 3 s.
    assert.equal(await series(metrics, 'flotilla_node_transition_latency_seconds_count'), 1);
    assert.equal(await series(metrics, 'flotilla_node_transition_latency_seconds_sum'), 0);
  });

  test('a node is ready when its last upstream finished; only newly started nodes count', async () => {
    const metrics = new Metrics({ processMetrics: false });
    observeStatusWrite(metrics, {
      createdAt: at(0),
      before: { phase: 'Running', startedAt: at(1), nodes: { a: { phase: 'Running', startedAt: at(1) } } },
      after: {
        phase: 'Running',
        startedAt: at(1),
        nodes: {
          a: { phase: 'Succeeded', startedAt: at(1), finishedAt: at(4) },
          b: { phase: 'Succeeded', startedAt: at(6), finishedAt: at(7) },
          c: { phase: 'Running', startedAt: at(10) },
        },
      },
      nodes,
      nowMs: ms(10),
    });
    // b: ready at 4 (a finished), started at 6 → 2 s; c: ready at 7 (b, the later of a and b) → 3 s.
    assert.equal(await series(metrics, 'flotilla_node_transition_latency_seconds_count'), 2);
    assert.equal(await series(metrics, 'flotilla_node_transition_latency_seconds_sum'), 5);
    assert.equal(await series(metrics, 'flotilla_workflow_acceptance_latency_seconds_count'), 0);
  });

  test('the write of a terminal phase observes completion latency by phase; an invalid spec counts too', async () => {
    const metrics = new Metrics({ processMetrics: false });
    observeStatusWrite(metrics, {
      createdAt: at(0),
      before: { phase: 'Running' },
      after: { phase: 'Succeeded' },
      nodes,
      nowMs: ms(20),
    });
    observeStatusWrite(metrics, {
      createdAt: at(0),
      before: { phase: 'Succeeded' },
      after: { phase: 'Succeeded' },
      nodes,
      nowMs: ms(30),
    });
    observeStatusWrite(metrics, {
      createdAt: at(5),
      before: undefined,
      after: { phase: 'Failed' },
      nodes: undefined,
      nowMs: ms(6),
    });
    assert.equal(await series(metrics, 'flotilla_workflow_completion_latency_seconds_count{phase="Succeeded"}'), 1);
    assert.equal(await series(metrics, 'flotilla_workflow_completion_latency_seconds_sum{phase="Succeeded"}'), 20);
    assert.equal(await series(metrics, 'flotilla_workflow_completion_latency_seconds_count{phase="Failed"}'), 1);
    assert.equal(await series(metrics, 'flotilla_workflow_acceptance_latency_seconds_count'), 1);
  });
});
