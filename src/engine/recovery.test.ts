/**
 * Recovery (`spec.recoverFrom`) in the pure engine over the driver: a node the source says
 * succeeded takes its outputs with no attempt (recovered, its downstream sees the outputs); one
 * that did not runs; a source that cannot answer holds the node back and nothing runs; without a
 * source (or without `recoverFrom`) every task runs and nothing is asked.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject, WorkflowSpec } from '../api/schema.js';
import { Harness } from '../plugins/testing.js';
import type { TaskObservation } from './plugins.js';
import type { RecoveryLookup, TaskRecovery } from './recovery.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';

function addOne(): ScriptedPlugin {
  return new ScriptedPlugin('add', (ctx): TaskObservation => ({
    phase: 'Succeeded',
    outputs: { y: Number(ctx.inputs['x']) + 1 },
  }));
}

function spec(extra: Partial<WorkflowSpec> = {}): WorkflowSpec {
  return {
    tasks: { add: { plugin: 'add' } },
    nodes: [
      { id: 'a', kind: 'task', task: 'add', inputs: { x: { value: 1 } } },
      { id: 'b', kind: 'task', task: 'add', inputs: { x: { fromNode: 'a', output: 'y' } } },
    ],
    outputs: { y: { fromNode: 'b', output: 'y' } },
    ...extra,
  };
}

/** A source holding the earlier execution's succeeded nodes; it records what it was asked. */
class Recorded implements TaskRecovery {
  readonly asked: string[] = [];
  failing = false;
  constructor(private readonly succeeded: Record<string, JsonObject>) {}
  recover(task: { nodeId: string }, from: string): Promise<RecoveryLookup> {
    this.asked.push(`${from}:${task.nodeId}`);
    if (this.failing) return Promise.reject(new Error('admin unreachable'));
    const outputs = this.succeeded[task.nodeId];
    return Promise.resolve(
      outputs ? { recovered: true, outputs } : { recovered: false, reason: `${task.nodeId} did not succeed` },
    );
  }
}

describe('recovery', () => {
  test('a node that succeeded before takes its outputs without an attempt; the next one runs on them', async () => {
    const plugin = addOne();
    const recovery = new Recorded({ a: { y: 41 } });
    const h = new Harness(makeWorkflow(spec({ recoverFrom: 'p/d/earlier' }), { uid: 'u1', name: 'w1' }), {
      plugins: [plugin],
      recovery,
    });
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(h.node('a').phase, 'Succeeded');
    assert.equal(h.node('a').recovered, true);
    assert.equal(h.node('a').attempts, undefined, 'no attempt');
    assert.deepEqual(h.node('a').outputs, { y: 41 });
    assert.equal(h.node('b').recovered, false);
    assert.deepEqual(h.status.outputs, { y: 42 }, 'b ran on the recovered output');
    assert.deepEqual(
      plugin.calls.filter((c) => c.method === 'start').map((c) => c.nodeId),
      ['b'],
    );
    assert.deepEqual(recovery.asked, ['p/d/earlier:a', 'p/d/earlier:b'], 'asked once per node');
    const event = h.events.find((e) => e.scope === 'node' && e.nodeId === 'a' && e.phase === 'Succeeded');
    assert.equal(event?.recovered, true);
    assert.match(event?.message ?? '', /recovered from execution p\/d\/earlier/);
  });

  test('a source that cannot answer holds the node back: nothing runs on a guess', async () => {
    const plugin = addOne();
    const recovery = new Recorded({ a: { y: 41 } });
    recovery.failing = true;
    const h = new Harness(makeWorkflow(spec({ recoverFrom: 'p/d/earlier' }), { uid: 'u2', name: 'w2' }), {
      plugins: [plugin],
      recovery,
    });
    await h.round();
    await h.round();
    assert.equal(h.node('a').phase, 'Pending');
    assert.equal(plugin.calls.length, 0);
    recovery.failing = false;
    await h.run();
    assert.equal(h.node('a').recovered, true);
    assert.deepEqual(h.status.outputs, { y: 42 });
  });

  test('without a source, or without recoverFrom, every task runs', async () => {
    const plugin = addOne();
    const h = new Harness(makeWorkflow(spec({ recoverFrom: 'p/d/earlier' }), { uid: 'u3', name: 'w3' }), {
      plugins: [plugin],
    });
    await h.run();
    assert.deepEqual(h.status.outputs, { y: 3 });
    assert.equal(h.node('a').recovered, false);
    const recovery = new Recorded({ a: { y: 41 } });
    const plain = new Harness(makeWorkflow(spec(), { uid: 'u4', name: 'w4' }), { plugins: [addOne()], recovery });
    await plain.run();
    assert.deepEqual(plain.status.outputs, { y: 3 });
    assert.deepEqual(recovery.asked, []);
    assert.equal(plain.node('a').recovered, undefined);
  });
});
