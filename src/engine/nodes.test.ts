import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition, WorkflowSpec } from '../api/schema.js';
import { signalAnnotationKey } from '../api/signals.js';
import type { ChildWorkflowGateway } from './driver.js';
import { runLocal } from './local-runner.js';
import { childWorkflowName } from '../api/names.js';
import { localPlugins } from '../plugins/local.js';
import { Harness } from '../plugins/testing.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';
import type { ChildWorkflowManifest, ChildObservation } from './types.js';

const echo = { echo: { plugin: 'echo' } };

function branchSpec(
  when: Condition,
  withElse: 'node' | 'error' | 'none',
  inputs: Record<string, unknown> = {},
): WorkflowSpec {
  return {
    inputs: inputs as WorkflowSpec['inputs'],
    tasks: echo,
    nodes: [
      {
        id: 'decide',
        kind: 'branch',
        branch: {
          cases: [{ when, node: { id: 'yes', kind: 'task', task: 'echo', inputs: { took: { value: 'yes' } } } }],
          ...(withElse === 'node'
            ? { else: { node: { id: 'no', kind: 'task', task: 'echo', inputs: { took: { value: 'no' } } } } }
            : {}),
          ...(withElse === 'error' ? { else: { error: 'not approved' } } : {}),
        },
      },
    ],
    outputs: { took: { fromNode: 'decide', output: 'took' } },
  };
}

describe('branch nodes', () => {
  const cmp = (left: unknown, op: Condition['op'], right: unknown, as?: Condition['as']): Condition => ({
    left: { value: left },
    op,
    right: { value: right },
    ...(as ? { as } : {}),
  });
  const cases: [string, Condition, string][] = [
    ['numbers gt', cmp(3, 'gt', 2), 'yes'],
    ['numbers lte false', cmp(3, 'lte', 2), 'no'],
    ['strings eq', cmp('a', 'eq', 'a'), 'yes'],
    ['booleans neq', cmp(true, 'neq', false), 'yes'],
    ['timestamps', cmp('2026-01-02T00:00:00Z', 'gt', '2026-01-01T23:00:00Z', 'timestamp'), 'yes'],
    ['durations', cmp('90s', 'lt', '1m', 'duration'), 'no'],
    ['and/or/not', { and: [cmp(1, 'eq', 1), { or: [cmp(1, 'eq', 2), { not: cmp(1, 'eq', 2) }] }] }, 'yes'],
  ];
  for (const [name, when, expected] of cases) {
    test(`takes the right case: ${name}`, async () => {
      const run = await runLocal({
        workflow: makeWorkflow(branchSpec(when, 'node')),
        startAt: 0,
        plugins: localPlugins,
      });
      assert.equal(run.workflow.status?.phase, 'Succeeded');
      assert.deepEqual(run.workflow.status?.outputs, { took: expected });
      assert.equal(run.workflow.status?.nodes?.['decide']?.branchTaken, expected === 'no' ? 'else' : expected);
      assert.equal(run.workflow.status?.nodes?.[`decide/${expected}`]?.phase, 'Succeeded');
    });
  }

  test('compares node outputs', async () => {
    const spec = branchSpec({ left: { fromInput: 'n' }, op: 'gte', right: { value: 10 } }, 'node', { n: 12 });
    const run = await runLocal({ workflow: makeWorkflow(spec), startAt: 0, plugins: localPlugins });
    assert.deepEqual(run.workflow.status?.outputs, { took: 'yes' });
  });

  test('no match and no else fails with a clear message', async () => {
    const run = await runLocal({
      workflow: makeWorkflow(branchSpec(cmp(1, 'eq', 2), 'none')),
      startAt: 0,
      plugins: localPlugins,
    });
    assert.equal(run.workflow.status?.phase, 'Failed');
    assert.equal(run.workflow.status?.nodes?.['decide']?.reason, 'NoBranchMatched');
    assert.match(run.workflow.status?.nodes?.['decide']?.message ?? '', /no case matched and there is no else/);
  });

  test('else.error fails with that message', async () => {
    const run = await runLocal({
      workflow: makeWorkflow(branchSpec(cmp(1, 'eq', 2), 'error')),
      startAt: 0,
      plugins: localPlugins,
    });
    assert.equal(run.workflow.status?.nodes?.['decide']?.message, 'not approved');
  });
});

describe('workflow nodes', () => {
  test('nested inline sub-workflows: fromInput inside reads the sub-workflow inputs', async () => {
    const spec: WorkflowSpec = {
      inputs: { x: 5 },
      tasks: echo,
      subWorkflows: {
        outer: {
          inputs: { y: 0 },
          nodes: [{ id: 'mid', kind: 'workflow', workflow: { ref: 'inner' }, inputs: { z: { fromInput: 'y' } } }],
          outputs: { z: { fromNode: 'mid', output: 'z' } },
        },
        inner: {
          nodes: [{ id: 'leaf', kind: 'task', task: 'echo', inputs: { z: { fromInput: 'z' } } }],
          outputs: { z: { fromNode: 'leaf', output: 'z' } },
        },
      },
      nodes: [{ id: 'top', kind: 'workflow', workflow: { ref: 'outer' }, inputs: { y: { fromInput: 'x' } } }],
      outputs: { z: { fromNode: 'top', output: 'z' } },
    };
    const run = await runLocal({ workflow: makeWorkflow(spec), startAt: 0, plugins: localPlugins });
    assert.equal(run.workflow.status?.phase, 'Succeeded');
    assert.deepEqual(run.workflow.status?.outputs, { z: 5 });
    assert.equal(run.workflow.status?.nodes?.['top/mid/leaf']?.phase, 'Succeeded');
  });

  test('a failing node inside a sub-workflow fails the workflow node', async () => {
    const spec: WorkflowSpec = {
      tasks: { bad: { plugin: 'flaky', config: { failAttempts: 5 } } },
      subWorkflows: { s: { nodes: [{ id: 'b', kind: 'task', task: 'bad' }] } },
      nodes: [{ id: 'sub', kind: 'workflow', workflow: { ref: 's' } }],
    };
    const run = await runLocal({ workflow: makeWorkflow(spec), startAt: 0, plugins: localPlugins });
    assert.equal(run.workflow.status?.phase, 'Failed');
    assert.equal(run.workflow.status?.nodes?.['sub']?.reason, 'SubWorkflowFailed');
  });

  test('launch: creates a named, owned child Workflow and takes its outputs', async () => {
    const created: ChildWorkflowManifest[] = [];
    let childPhase: ChildObservation = { phase: 'Running' };
    const gateway: ChildWorkflowGateway = {
      async create(child) {
        if (!created.some((c) => c.metadata.name === child.metadata.name)) created.push(child);
      },
      async get(_ns, name) {
        return created.some((c) => c.metadata.name === name) ? childPhase : { phase: 'NotFound' };
      },
      async delete() {},
    };
    const spec: WorkflowSpec = {
      inputs: { v: 1 },
      tasks: echo,
      subWorkflows: {
        pub: {
          nodes: [{ id: 'p', kind: 'task', task: 'echo', inputs: { v: { fromInput: 'v' } } }],
          outputs: { v: { fromNode: 'p', output: 'v' } },
        },
      },
      nodes: [
        { id: 'publish', kind: 'workflow', workflow: { ref: 'pub', launch: true }, inputs: { v: { fromInput: 'v' } } },
      ],
      outputs: { v: { fromNode: 'publish', output: 'v' } },
    };
    const parent = makeWorkflow(spec, { name: 'nightly-etl', uid: 'parent-uid', labels: { 'flotilla.io/shard': '5' } });
    const h = new Harness(parent, { children: gateway });
    await h.round();
    assert.equal(created.length, 1);
    const child = created[0];
    assert.equal(child?.metadata.name, childWorkflowName('nightly-etl', 'publish'));
    assert.ok((child?.metadata.name.length ?? 99) <= 63);
    assert.equal(child?.metadata.ownerReferences?.[0]?.uid, 'parent-uid');
    assert.equal(child?.metadata.labels?.['flotilla.io/parent'], 'nightly-etl');
    // The parent's shard, for the fence; the child's own shard label is set where it is created.
    assert.equal(child?.metadata.labels?.['flotilla.io/parent-shard'], '5');
    assert.equal(child?.metadata.labels?.['flotilla.io/shard'], undefined);
    assert.deepEqual(child?.spec.inputs, { v: 1 });
    assert.equal(h.node('publish').childName, child?.metadata.name);
    assert.equal(h.node('publish').phase, 'Running');
    h.now += 10_000;
    await h.round();
    assert.equal(created.length, 1, 'never created twice');
    childPhase = { phase: 'Succeeded', outputs: { v: 1 } };
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    assert.deepEqual(h.status.outputs, { v: 1 });
  });

  test('launch in flotilla run: the child runs in-process', async () => {
    const spec: WorkflowSpec = {
      tasks: echo,
      subWorkflows: {
        pub: {
          nodes: [{ id: 'p', kind: 'task', task: 'echo', inputs: { v: { value: 42 } } }],
          outputs: { v: { fromNode: 'p', output: 'v' } },
        },
      },
      nodes: [{ id: 'publish', kind: 'workflow', workflow: { ref: 'pub', launch: true } }],
      outputs: { v: { fromNode: 'publish', output: 'v' } },
    };
    const run = await runLocal({ workflow: makeWorkflow(spec), startAt: 0, plugins: localPlugins });
    assert.equal(run.workflow.status?.phase, 'Succeeded');
    assert.deepEqual(run.workflow.status?.outputs, { v: 42 });
    assert.equal(run.children.size, 1);
  });
});

describe('gate nodes', () => {
  const gateSpec = (gate: NonNullable<WorkflowSpec['nodes'][number]['gate']>): WorkflowSpec => ({
    tasks: echo,
    nodes: [
      { id: 'g', kind: 'gate', gate },
      { id: 'after', kind: 'task', task: 'echo', inputs: { v: { fromNode: 'g', output: 'value' } } },
    ],
    outputs: { v: { fromNode: 'after', output: 'v' } },
  });

  test('a gate gets its signal after a restart', async () => {
    const h = new Harness(makeWorkflow(gateSpec({ signal: { name: 'go', type: 'integer' } })));
    await h.round();
    assert.equal(h.node('g').phase, 'Running');
    assert.equal(h.node('g').waitingFor, 'go');
    // A new replica (fresh driver) picks the workflow up from its JSON status, with the signal set.
    const annotations = {
      [signalAnnotationKey('go')]: JSON.stringify({ value: 3, setAt: '2026-01-01T00:00:01Z', setBy: 'alice' }),
    };
    const restarted = new Harness(
      { ...h.workflow, metadata: { ...h.workflow.metadata, annotations } },
      { startAt: h.now + 1000 },
    );
    await restarted.run();
    assert.equal(restarted.status.phase, 'Succeeded');
    assert.deepEqual(restarted.status.outputs, { v: 3 });
    assert.equal(restarted.node('g').signal?.setBy, 'alice');
  });

  test('a signal of the wrong type is reported and the gate keeps waiting', async () => {
    const annotations = { [signalAnnotationKey('go')]: JSON.stringify({ value: 'three', setAt: 'x' }) };
    const h = new Harness(makeWorkflow(gateSpec({ signal: { name: 'go', type: 'integer' } }), { annotations }));
    await h.round();
    assert.equal(h.node('g').phase, 'Running');
    assert.match(h.node('g').message ?? '', /wrong type/);
  });

  test('sleep passes on the clock', async () => {
    const h = new Harness(makeWorkflow({ tasks: echo, nodes: [{ id: 'g', kind: 'gate', gate: { sleep: '1h' } }] }));
    const start = h.now;
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(h.now, start + 3_600_000);
  });

  test('approve false fails as rejected; true succeeds', async () => {
    for (const value of [false, true]) {
      const annotations = { [signalAnnotationKey('ok')]: JSON.stringify({ value, setAt: 'x', setBy: 'bob' }) };
      const run = await runLocal({
        workflow: makeWorkflow(
          { tasks: echo, nodes: [{ id: 'g', kind: 'gate', gate: { approve: { name: 'ok' } } }] },
          { annotations },
        ),
        startAt: 0,
        plugins: localPlugins,
      });
      assert.equal(run.workflow.status?.phase, value ? 'Succeeded' : 'Failed');
      if (!value) {
        assert.equal(run.workflow.status?.nodes?.['g']?.reason, 'Rejected');
        assert.match(run.workflow.status?.nodes?.['g']?.message ?? '', /rejected by bob/);
      }
    }
  });

  test('a gate timeout fails the gate', async () => {
    const h = new Harness(makeWorkflow(gateSpec({ signal: { name: 'go', type: 'boolean' }, timeout: '1h' })));
    const start = h.now;
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(h.node('g').phase, 'TimedOut');
    assert.equal(h.now, start + 3_600_000);
    assert.match(h.node('g').message ?? '', /timed out after 1h waiting for signal go/);
  });
});

describe('array nodes', () => {
  const failing = new ScriptedPlugin('maybe', (ctx) =>
    ctx.inputs['item'] !== null &&
    typeof ctx.inputs['item'] === 'object' &&
    (ctx.inputs['item'] as Record<string, unknown>)['fail'] === true
      ? { phase: 'Failed', failure: { kind: 'user', reason: 'Boom', message: `item failed`, retryable: false } }
      : { phase: 'Succeeded', outputs: { x: ctx.inputs['item'] ?? null } },
  );

  const arraySpec = (items: unknown[], ratio: number, parallelism: number): WorkflowSpec => ({
    inputs: { items: items as never },
    tasks: { maybe: { plugin: 'maybe' } },
    nodes: [
      {
        id: 'map',
        kind: 'array',
        array: {
          over: { fromInput: 'items' },
          parallelism,
          minSuccessRatio: ratio,
          node: { kind: 'task', task: 'maybe', inputs: { item: { fromItem: true } } },
        },
      },
    ],
    outputs: { xs: { fromNode: 'map', output: 'x' } },
  });

  test('minSuccessRatio 0.5 with 40% of items failing succeeds; outputs in order with null for failures', async () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ i, fail: i % 5 === 1 || i % 5 === 3 }));
    const h = new Harness(makeWorkflow(arraySpec(items, 0.5, 3)), { plugins: [failing] });
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    const arr = h.node('map').array;
    assert.equal(arr?.phases, 'SFSFSSFSFS');
    assert.equal(arr?.succeeded, 6);
    assert.equal(arr?.failed, 4);
    assert.equal(Object.keys(arr?.failures ?? {}).length, 4);
    const xs = (h.status.outputs as Record<string, unknown[]>)['xs'] ?? [];
    assert.equal(xs.length, 10);
    assert.equal(xs[1], null);
    assert.deepEqual(xs[0], { i: 0, fail: false });
  });

  test('minSuccessRatio 1.0 fails on the first failure and aborts active items', async () => {
    const slowOrFail = new ScriptedPlugin('maybe', (ctx) =>
      (ctx.inputs['item'] as number) === 0
        ? { phase: 'Failed', failure: { kind: 'user', reason: 'Boom', message: 'x', retryable: false } }
        : { phase: 'Running', checkAfterMs: 60_000 },
    );
    const h = new Harness(makeWorkflow(arraySpec([0, 1, 2, 3, 4], 1, 3)), { plugins: [slowOrFail] });
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(h.node('map').reason, 'TooManyItemsFailed');
    assert.equal(slowOrFail.count('abort'), 2);
    assert.equal(h.node('map').array?.phases, 'FAA..');
  });

  test('minSuccesses counts items and wins over minSuccessRatio', async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ i, fail: i < 2 }));
    const ok = arraySpec(items, 1, 0);
    const okArray = ok.nodes[0]?.array;
    if (okArray) okArray.minSuccesses = 3;
    const h = new Harness(makeWorkflow(ok), { plugins: [failing] });
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    const tooMany = arraySpec(items, 0, 0);
    const badArray = tooMany.nodes[0]?.array;
    if (badArray) badArray.minSuccesses = 4;
    const h2 = new Harness(makeWorkflow(tooMany), { plugins: [failing] });
    await h2.run();
    assert.equal(h2.status.phase, 'Failed');
    assert.match(h2.node('map').message ?? '', /minSuccesses 4 needs 4/);
  });

  test('parallelism bounds active items', async () => {
    const slow = new ScriptedPlugin('maybe', () => ({ phase: 'Running', checkAfterMs: 1000 }));
    const h = new Harness(makeWorkflow(arraySpec([1, 2, 3, 4, 5, 6, 7], 1, 2)), { plugins: [slow] });
    await h.round();
    assert.equal(Object.keys(h.node('map').array?.items ?? {}).length, 2);
    assert.equal(h.node('map').array?.phases, 'RR.....');
  });

  test("an array of workflow items prunes finished items' nested nodes", async () => {
    const spec: WorkflowSpec = {
      inputs: { xs: [1, 2, 3] },
      tasks: echo,
      subWorkflows: {
        one: {
          inputs: { v: 0 },
          nodes: [{ id: 'e', kind: 'task', task: 'echo', inputs: { v: { fromInput: 'v' } } }],
          outputs: { v: { fromNode: 'e', output: 'v' } },
        },
      },
      nodes: [
        {
          id: 'map',
          kind: 'array',
          array: {
            over: { fromInput: 'xs' },
            node: { kind: 'workflow', workflow: { ref: 'one' }, inputs: { v: { fromItem: true } } },
          },
        },
      ],
      outputs: { vs: { fromNode: 'map', output: 'v' } },
    };
    const run = await runLocal({ workflow: makeWorkflow(spec), startAt: 0, plugins: localPlugins });
    assert.equal(run.workflow.status?.phase, 'Succeeded');
    assert.deepEqual(run.workflow.status?.outputs, { vs: [1, 2, 3] });
    assert.deepEqual(Object.keys(run.workflow.status?.nodes ?? {}), ['map']);
  });

  test('a 10,000-item array keeps its status under 256 KiB', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const spec: WorkflowSpec = {
      inputs: { items },
      tasks: { slow: { plugin: 'sleep', config: { duration: '1s' } } },
      nodes: [
        {
          id: 'map',
          kind: 'array',
          array: {
            over: { fromInput: 'items' },
            parallelism: 100,
            node: { kind: 'task', task: 'slow', inputs: { item: { fromItem: true } } },
          },
        },
      ],
    };
    const h = new Harness(makeWorkflow(spec));
    let largest = 0;
    await h.run((x) => {
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(x.status)));
      return false;
    }, 1000);
    assert.equal(h.status.phase, 'Succeeded');
    const statusBytes = Buffer.byteLength(JSON.stringify(h.status));
    assert.ok(largest < 256 * 1024, `largest status ${largest} bytes`);
    assert.ok(statusBytes < 256 * 1024, `final status ${statusBytes} bytes`);
  });
});
