import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowSpec } from '../api/schema.js';
import { Harness } from '../plugins/testing.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';
import { executeRound } from './workflow-executor.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A fails fast; B is a long independent sleep; C depends on A. */
function policySpec(policy: WorkflowSpec['failurePolicy']): WorkflowSpec {
  return {
    tasks: {
      bad: { plugin: 'flaky', config: { failAttempts: 9 } },
      slow: { plugin: 'sleep', config: { duration: '10m' } },
      echo: { plugin: 'echo' },
    },
    nodes: [
      { id: 'a', kind: 'task', task: 'bad' },
      { id: 'b', kind: 'task', task: 'slow' },
      { id: 'c', kind: 'task', task: 'echo', dependsOn: ['a'] },
    ],
    ...(policy ? { failurePolicy: policy } : {}),
  };
}

describe('workflow execution', () => {
  test('FailImmediately aborts running nodes and fails', async () => {
    const h = new Harness(makeWorkflow(policySpec('FailImmediately')));
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(h.node('a').phase, 'Failed');
    assert.equal(h.node('b').phase, 'Aborted');
    assert.equal(h.node('c').phase, 'Skipped');
    assert.equal(h.now, T0, 'failed without waiting for b');
    const phases = h.events.filter((e) => e.scope === 'workflow').map((e) => e.phase);
    assert.deepEqual(phases, ['Running', 'Failing', 'Failed']);
    const cond = h.status.conditions?.find((c) => c.type === 'Succeeded');
    assert.equal(cond?.status, 'False');
  });

  test('FailAfterExecutableNodesComplete lets independent nodes finish', async () => {
    const h = new Harness(makeWorkflow(policySpec('FailAfterExecutableNodesComplete')));
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(h.node('b').phase, 'Succeeded');
    assert.equal(h.node('c').phase, 'Skipped');
    assert.ok(h.now >= T0 + 600_000);
  });

  test('the onFailure node runs once before Failed', async () => {
    const notify = new ScriptedPlugin('notify', () => ({ phase: 'Succeeded', outputs: {} }));
    const h = new Harness(
      makeWorkflow({
        ...policySpec('FailImmediately'),
        tasks: { ...policySpec(undefined).tasks, notify: { plugin: 'notify' } },
        onFailure: { kind: 'task', task: 'notify' },
      }),
      { plugins: [notify] },
    );
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(notify.count('start'), 1);
    assert.equal(h.node('_onFailure').phase, 'Succeeded');
    const order = h.events
      .filter((e) => e.scope === 'workflow' || e.nodeId === '_onFailure')
      .map((e) => `${e.nodeId ?? 'wf'}:${e.phase}`);
    assert.ok(order.indexOf('_onFailure:Succeeded') < order.indexOf('wf:Failed'));
  });

  test('the onFailure node does not run when the workflow succeeds', async () => {
    const notify = new ScriptedPlugin('notify', () => ({ phase: 'Succeeded', outputs: {} }));
    const h = new Harness(
      makeWorkflow({
        tasks: { e: { plugin: 'echo' }, notify: { plugin: 'notify' } },
        nodes: [{ id: 'e', kind: 'task', task: 'e' }],
        onFailure: { kind: 'task', task: 'notify' },
      }),
      { plugins: [notify] },
    );
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(notify.count('start'), 0);
  });

  test('activeDeadline times the workflow out and aborts running tasks', async () => {
    const never = new ScriptedPlugin('never', () => ({ phase: 'Running', checkAfterMs: 30_000 }));
    const h = new Harness(
      makeWorkflow({
        tasks: { n: { plugin: 'never' } },
        nodes: [{ id: 'n', kind: 'task', task: 'n' }],
        activeDeadline: '2m',
      }),
      { plugins: [never] },
    );
    await h.run();
    assert.equal(h.status.phase, 'TimedOut');
    assert.equal(h.now, T0 + 120_000);
    assert.equal(h.node('n').phase, 'Aborted');
    assert.equal(never.count('abort'), 1);
    assert.equal(h.status.conditions?.find((c) => c.type === 'Succeeded')?.reason, 'ActiveDeadlineExceeded');
  });

  test('abort mid-run: a deletionTimestamp aborts running tasks and ends Aborted', async () => {
    const h = new Harness(
      makeWorkflow({
        tasks: {
          p: { plugin: 'pod', pod: { image: 'x', annotations: { 'flotilla.io/sim-duration': '1h' } } },
          e: { plugin: 'echo' },
        },
        nodes: [
          { id: 'p', kind: 'task', task: 'p' },
          { id: 'after', kind: 'task', task: 'e', dependsOn: ['p'] },
        ],
      }),
    );
    await h.round();
    assert.equal(h.node('p').phase, 'Running');
    assert.equal(h.pods.names().length, 1);
    h.now += 5000;
    h.workflow = {
      ...h.workflow,
      metadata: { ...h.workflow.metadata, deletionTimestamp: new Date(h.now).toISOString() },
    };
    await h.round();
    assert.equal(h.status.phase, 'Aborted');
    assert.equal(h.node('p').phase, 'Aborted');
    assert.equal(h.node('after').phase, 'Skipped');
    assert.equal(h.pods.names().length, 0, 'the pod was deleted');
    const again = await h.round();
    assert.equal(again.changed, false, 'a terminal workflow does nothing');
  });

  test('an odd spec fails the workflow with a reason instead of throwing', () => {
    const workflow = makeWorkflow({
      tasks: {},
      nodes: [
        { id: 'x', kind: 'task', task: 'missing' },
        { id: 'y', kind: 'gate', gate: {} },
      ],
      activeDeadline: 'soon',
    });
    const result = executeRound({ workflow, now: T0 });
    assert.equal(result.status.phase, 'Failed');
    assert.equal(result.status.conditions?.find((c) => c.type === 'Succeeded')?.reason, 'InvalidDuration');
    const cyclic = makeWorkflow({
      tasks: { e: { plugin: 'echo' } },
      nodes: [
        { id: 'a', kind: 'task', task: 'e', dependsOn: ['b'] },
        { id: 'b', kind: 'task', task: 'e', dependsOn: ['a'] },
      ],
    });
    const r2 = executeRound({ workflow: cyclic, now: T0 });
    assert.equal(r2.status.phase, 'Failed');
    assert.match(r2.status.message ?? '', /cycle/);
    const unknownTask = executeRound({
      workflow: makeWorkflow({ tasks: {}, nodes: [{ id: 'x', kind: 'task', task: 'missing' }] }),
      now: T0,
    });
    assert.equal(unknownTask.status.phase, 'Failed');
    assert.equal(unknownTask.status.nodes?.['x']?.reason, 'InvalidSpec');
  });

  test('large outputs are offloaded to the output store and read back downstream', async () => {
    const big = 'x'.repeat(40_000);
    const h = new Harness(
      makeWorkflow({
        inputs: { big },
        tasks: { e: { plugin: 'echo' } },
        nodes: [
          { id: 'a', kind: 'task', task: 'e', inputs: { big: { fromInput: 'big' } } },
          { id: 'b', kind: 'task', task: 'e', inputs: { len: { fromNode: 'a', output: 'big' } }, dependsOn: ['a'] },
        ],
        outputs: { same: { fromNode: 'b', output: 'len' } },
      }),
    );
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(h.node('a').outputs, undefined);
    assert.equal(h.node('a').outputRef, 'uid-1/a');
    assert.deepEqual(await h.outputs.get('uid-1/a'), { big });
    assert.ok(h.status.outputRef !== undefined);
    assert.ok(JSON.stringify(h.status).length < 20_000);
  });

  test('outputs over maxOutputBytes fail the node at once, naming the limit', async () => {
    const h = new Harness(
      makeWorkflow({
        inputs: { big: 'x'.repeat(5_000) },
        tasks: { e: { plugin: 'echo', retries: 3 } },
        nodes: [{ id: 'a', kind: 'task', task: 'e', inputs: { big: { fromInput: 'big' } } }],
      }),
      { engine: { maxOutputBytes: 4_096 } },
    );
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(h.node('a').phase, 'Failed');
    assert.equal(h.node('a').attempts, 1);
    assert.equal(h.node('a').reason, 'OutputTooLarge');
    assert.match(h.node('a').message ?? '', /more than the limit of 4096 bytes/);
  });

  test('offloaded outputs are loaded again after a restart (fresh driver, empty cache)', async () => {
    const big = 'y'.repeat(40_000);
    const spec: WorkflowSpec = {
      inputs: { big },
      tasks: { e: { plugin: 'echo' }, g: { plugin: 'echo' } },
      nodes: [
        { id: 'a', kind: 'task', task: 'e', inputs: { big: { fromInput: 'big' } } },
        { id: 'gate', kind: 'gate', gate: { sleep: '1m' } },
        { id: 'b', kind: 'task', task: 'g', inputs: { v: { fromNode: 'a', output: 'big' } }, dependsOn: ['gate'] },
      ],
    };
    const h = new Harness(makeWorkflow(spec));
    await h.round();
    const restarted = new Harness(h.workflow, { startAt: h.now + 60_000 });
    for (const [ref, value] of [['uid-1/a', await h.outputs.get('uid-1/a')]] as const)
      if (value) await restarted.outputs.put(ref, value);
    await restarted.run();
    assert.equal(restarted.status.phase, 'Succeeded');
    assert.deepEqual(await restarted.outputs.get('uid-1/b'), { v: big });
  });
});
