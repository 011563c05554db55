import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filterWorkflows,
  roundsRate,
  workflowDetail,
  workflowRow,
  type AnyWorkflowObject,
  type WorkflowRow,
} from './model.js';

const nested: AnyWorkflowObject = {
  kind: 'Workflow',
  metadata: {
    name: 'nested',
    namespace: 'team',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { 'flotilla.io/shard': '3' },
  },
  spec: {
    tasks: { step: { plugin: 'echo' } },
    nodes: [
      { id: 'prepare', kind: 'task', task: 'step' },
      {
        id: 'report',
        kind: 'workflow',
        workflow: { ref: 'publish' },
        inputs: { doc: { fromNode: 'prepare', output: 'x' } },
      },
      {
        id: 'decide',
        kind: 'branch',
        dependsOn: ['report'],
        branch: {
          cases: [
            {
              when: { left: { value: 1 }, op: 'eq', right: { value: 1 } },
              node: { id: 'ship', kind: 'task', task: 'step' },
            },
          ],
          else: { node: { id: 'hold', kind: 'task', task: 'step' } },
        },
      },
      { id: 'ok', kind: 'gate', dependsOn: ['decide'], gate: { approve: { message: 'Ship?' } } },
      { id: 'each', kind: 'array', array: { over: { value: [1, 2, 3] }, node: { kind: 'task', task: 'step' } } },
    ],
    subWorkflows: {
      publish: {
        nodes: [
          { id: 'upload', kind: 'task', task: 'step' },
          { id: 'announce', kind: 'task', task: 'step', dependsOn: ['upload'] },
        ],
      },
    },
  },
  status: {
    phase: 'Running',
    progress: '2/5',
    nodes: {
      prepare: {
        phase: 'Succeeded',
        startedAt: '2026-01-01T00:00:01Z',
        finishedAt: '2026-01-01T00:00:03Z',
        attempts: 1,
      },
      'report/upload': { phase: 'Running', startedAt: '2026-01-01T00:00:04Z' },
      each: { phase: 'Running', array: { size: 3, phases: 'SRF', succeeded: 1, failed: 1 } },
    },
  },
};

describe('console model', () => {
  test('the graph nests sub-workflows and branches by status path, with edges per level', () => {
    const detail = workflowDetail(nested, Date.parse('2026-01-01T00:00:10Z'));
    const byId = new Map(detail.graph.nodes.map((n) => [n.id, n]));
    assert.deepEqual(
      [...byId.keys()],
      ['prepare', 'report', 'report/upload', 'report/announce', 'decide', 'decide/ship', 'decide/hold', 'ok', 'each'],
    );
    assert.equal(byId.get('report/upload')?.parent, 'report');
    assert.equal(byId.get('decide/hold')?.parent, 'decide');
    assert.equal(byId.get('report/upload')?.phase, 'Running');
    assert.equal(byId.get('ok')?.phase, 'Pending');
    assert.deepEqual(detail.graph.edges, [
      { from: 'prepare', to: 'report' },
      { from: 'report/upload', to: 'report/announce' },
      { from: 'report', to: 'decide' },
      { from: 'decide', to: 'ok' },
    ]);
    // An approve gate without a name is approved through its node id.
    assert.deepEqual(byId.get('ok')?.gate, { signal: 'ok', type: 'boolean', approve: true, message: 'Ship?' });
    assert.deepEqual(byId.get('each')?.arrayCounts, { Succeeded: 1, Running: 1, Failed: 1 });
    assert.equal(detail.nodes['prepare']?.durationMs, 2000);
    assert.equal(detail.nodes['report/upload']?.durationMs, 6000, 'a running node counts until now');
    assert.deepEqual(detail.nodes['report']?.inputs, { doc: { fromNode: 'prepare', output: 'x' } });
  });

  test("a FlyteWorkflow's graph comes from spec.nodes and edges, phases from status.flotilla.engine", () => {
    const detail = workflowDetail(
      {
        kind: 'FlyteWorkflow',
        metadata: { name: 'f', namespace: 'ns' },
        spec: {
          nodes: { 'start-node': {}, 'end-node': {}, n0: { name: 'first' }, n1: {} },
          edges: { upstream: { n0: ['start-node'], n1: ['n0'], 'end-node': ['n1'] } },
        },
        status: {
          phase: 2,
          flotilla: { version: 1, engine: { phase: 'Running', nodes: { n0: { phase: 'Succeeded' } } } },
        },
      },
      0,
    );
    assert.deepEqual(
      detail.graph.nodes.map((n) => [n.id, n.label, n.phase]),
      [
        ['n0', 'first', 'Succeeded'],
        ['n1', 'n1', 'Pending'],
      ],
    );
    assert.deepEqual(detail.graph.edges, [{ from: 'n0', to: 'n1' }]);
    assert.equal(detail.row.kind, 'FlyteWorkflow');
    assert.equal(detail.row.phase, 'Running');
  });

  test('the list filters by namespace, phase, shard, label and kind, newest first, paged', () => {
    const rows: WorkflowRow[] = Array.from({ length: 7 }, (_, i) =>
      workflowRow({
        kind: i === 6 ? 'FlyteWorkflow' : 'Workflow',
        metadata: {
          name: `wf-${i}`,
          namespace: i % 2 === 0 ? 'a' : 'b',
          creationTimestamp: `2026-01-01T00:00:0${i}Z`,
          labels: { 'flotilla.io/shard': String(i % 3), team: i < 3 ? 'red' : 'blue' },
        },
        status: { phase: i < 4 ? 'Succeeded' : 'Running' },
      }),
    );
    const names = (page: { rows: WorkflowRow[] }) => page.rows.map((r) => r.name);
    assert.deepEqual(names(filterWorkflows(rows, {})), ['wf-6', 'wf-5', 'wf-4', 'wf-3', 'wf-2', 'wf-1', 'wf-0']);
    assert.deepEqual(names(filterWorkflows(rows, { namespace: 'a', phase: 'Succeeded' })), ['wf-2', 'wf-0']);
    assert.deepEqual(names(filterWorkflows(rows, { shard: '0' })), ['wf-6', 'wf-3', 'wf-0']);
    assert.deepEqual(names(filterWorkflows(rows, { label: 'team=red' })), ['wf-2', 'wf-1', 'wf-0']);
    assert.deepEqual(names(filterWorkflows(rows, { label: 'team' })).length, 7);
    assert.deepEqual(names(filterWorkflows(rows, { kind: 'FlyteWorkflow' })), ['wf-6']);
    const second = filterWorkflows(rows, {}, 2, 3);
    assert.deepEqual([names(second), second.total, second.page], [['wf-3', 'wf-2', 'wf-1'], 7, 2]);
    assert.equal(filterWorkflows(rows, {}, 99, 3).page, 3, 'a page past the end is the last page');
  });
});

describe('rounds/s from the member lease renewals', () => {
  test("a replica's rate is its shards' counters' rise over the time between two renewals", () => {
    const rate = roundsRate(
      { atMs: 10_000, rounds: { '0': 100, '1': 40 } },
      { atMs: 12_000, rounds: { '0': 130, '1': 50 } },
    );
    assert.deepEqual(rate, { perSecond: 20, byShard: { '0': 15, '1': 5 } });
  });

  test('a shard new on the replica, or whose counter went back (it moved away and back), counts from 0', () => {
    const rate = roundsRate({ atMs: 0, rounds: { '0': 500 } }, { atMs: 4_000, rounds: { '0': 8, '2': 12 } });
    assert.deepEqual(rate, { perSecond: 5, byShard: { '0': 2, '2': 3 } });
  });

  test('a shard gone from the replica no longer counts; no rate before two renewals apart', () => {
    assert.deepEqual(roundsRate({ atMs: 0, rounds: { '0': 1, '1': 9 } }, { atMs: 1_000, rounds: { '1': 10 } }), {
      perSecond: 1,
      byShard: { '1': 1 },
    });
    assert.equal(roundsRate(undefined, { atMs: 1_000, rounds: { '0': 3 } }), null);
    assert.equal(roundsRate({ atMs: 1_000, rounds: {} }, { atMs: 1_000, rounds: { '0': 3 } }), null);
  });
});
