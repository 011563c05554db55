import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { executeRound } from './workflow-executor.js';
import { Harness } from '../plugins/testing.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('task nodes', () => {
  test('a chain of 5 echo nodes completes in one driver round', async () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((id, i, ids) => ({
      id,
      kind: 'task' as const,
      task: 'echo',
      inputs: i === 0 ? { v: { fromInput: 'v' } } : { v: { fromNode: ids[i - 1] ?? '', output: 'v' } },
    }));
    const h = new Harness(
      makeWorkflow({
        inputs: { v: 7 },
        tasks: { echo: { plugin: 'echo' } },
        nodes,
        outputs: { v: { fromNode: 'e', output: 'v' } },
      }),
    );
    const result = await h.round();
    assert.equal(h.status.phase, 'Succeeded');
    assert.deepEqual(h.status.outputs, { v: 7 });
    assert.equal(h.rounds, 1);
    assert.ok(result.passes <= 8);
    assert.equal(h.status.progress, '5/5');
  });

  test('user retries exhausted: the node and the workflow fail, failures counted as user', async () => {
    const h = new Harness(
      makeWorkflow({
        tasks: { f: { plugin: 'flaky', config: { failAttempts: 5 }, retries: 2 } },
        nodes: [{ id: 'f', kind: 'task', task: 'f' }],
      }),
    );
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    const ns = h.node('f');
    assert.equal(ns.phase, 'Failed');
    assert.equal(ns.attempts, 3);
    assert.equal(ns.userFailures, 3);
    assert.equal(ns.systemFailures, undefined);
    assert.equal(ns.lastFailure?.reason, 'FlakyFailure');
    assert.match(h.status.message ?? '', /^f: /);
    const taskFailures = h.events.filter((e) => e.scope === 'task' && e.phase === 'Failed').map((e) => e.attempt);
    assert.deepEqual(taskFailures, [1, 2, 3]);
  });

  test('retries use exponential back-off recorded as nextAttemptAt', async () => {
    const h = new Harness(
      makeWorkflow({
        tasks: { f: { plugin: 'flaky', config: { failAttempts: 2 }, retries: 3 } },
        nodes: [{ id: 'f', kind: 'task', task: 'f' }],
      }),
      { engine: { backoff: { baseMs: 1000, factor: 2 } } },
    );
    await h.round();
    assert.equal(h.node('f').phase, 'WaitingForRetry');
    assert.equal(h.node('f').nextAttemptAt, new Date(T0 + 1000).toISOString());
    h.now = T0 + 999;
    await h.round();
    assert.equal(h.node('f').attempts, 1, 'no attempt before the back-off ends');
    h.now = T0 + 1000;
    await h.round();
    assert.equal(h.node('f').attempts, 2);
    assert.equal(h.node('f').nextAttemptAt, new Date(T0 + 1000 + 2000).toISOString());
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(h.node('f').attempts, 3);
  });

  test('system failures have their own budget, apart from user retries', async () => {
    const sys = new Harness(
      makeWorkflow({
        tasks: { f: { plugin: 'flaky', config: { failAttempts: 3, failureKind: 'system' }, retries: 0 } },
        nodes: [{ id: 'f', kind: 'task', task: 'f' }],
      }),
      { engine: { systemRetries: 3 } },
    );
    await sys.run();
    assert.equal(sys.status.phase, 'Succeeded');
    assert.equal(sys.node('f').systemFailures, 3);
    assert.equal(sys.node('f').userFailures, undefined);

    const user = new Harness(
      makeWorkflow({
        tasks: { f: { plugin: 'flaky', config: { failAttempts: 1 }, retries: 0 } },
        nodes: [{ id: 'f', kind: 'task', task: 'f' }],
      }),
      { engine: { systemRetries: 3 } },
    );
    await user.run();
    assert.equal(user.status.phase, 'Failed');
    assert.equal(user.node('f').userFailures, 1);
  });

  test('a non-retryable failure fails at once', async () => {
    const bad = new ScriptedPlugin('bad', () => ({
      phase: 'Failed',
      failure: { kind: 'user', reason: 'Invalid', message: 'no', retryable: false },
    }));
    const h = new Harness(
      makeWorkflow({ tasks: { b: { plugin: 'bad', retries: 5 } }, nodes: [{ id: 'b', kind: 'task', task: 'b' }] }),
      { plugins: [bad] },
    );
    await h.run();
    assert.equal(h.node('b').attempts, 1);
    assert.equal(h.status.phase, 'Failed');
  });

  test('a timed-out attempt is aborted and retried, and the retry succeeds', async () => {
    const slowFirst = new ScriptedPlugin('slowfirst', (ctx) =>
      ctx.attempt === 1
        ? { phase: 'Running', checkAfterMs: 60_000 }
        : { phase: 'Succeeded', outputs: { attempt: ctx.attempt } },
    );
    const h = new Harness(
      makeWorkflow({
        tasks: { s: { plugin: 'slowfirst', timeout: '5m', retries: 1 } },
        nodes: [{ id: 's', kind: 'task', task: 's' }],
      }),
      { plugins: [slowFirst] },
    );
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
    const ns = h.node('s');
    assert.equal(ns.attempts, 2);
    assert.equal(ns.userFailures, 1);
    assert.equal(ns.lastFailure?.reason, 'Timeout');
    assert.deepEqual(ns.outputs, { attempt: 2 });
    assert.deepEqual(
      slowFirst.calls.filter((c) => c.method === 'abort'),
      [{ method: 'abort', nodeId: 's', attempt: 1 }],
    );
  });

  test('a node override of retries wins over the task template', async () => {
    const h = new Harness(
      makeWorkflow({
        tasks: { f: { plugin: 'flaky', config: { failAttempts: 2 }, retries: 0 } },
        nodes: [{ id: 'f', kind: 'task', task: 'f', retries: 2 }],
      }),
    );
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
  });

  test('a plugin that throws costs nothing and the round asks to come back', async () => {
    let fail = true;
    const shaky: ScriptedPlugin = new ScriptedPlugin('shaky', () => {
      if (fail) throw new Error('API down');
      return { phase: 'Succeeded', outputs: {} };
    });
    const h = new Harness(
      makeWorkflow({ tasks: { s: { plugin: 'shaky' } }, nodes: [{ id: 's', kind: 'task', task: 's' }] }),
      { plugins: [shaky] },
    );
    const first = await h.round();
    assert.equal(first.errors.length, 1);
    assert.equal(first.requeueAfterMs, 5000);
    assert.equal(h.node('s').taskPhase, 'Starting');
    assert.equal(h.node('s').userFailures, undefined);
    fail = false;
    await h.round();
    assert.equal(h.status.phase, 'Succeeded');
  });

  test('an unknown plugin is a non-retryable system failure', async () => {
    const h = new Harness(
      makeWorkflow({ tasks: { x: { plugin: 'nope' } }, nodes: [{ id: 'x', kind: 'task', task: 'x' }] }),
    );
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.equal(h.node('x').lastFailure?.reason, 'PluginNotFound');
  });

  test('replaying the same observations from the same status gives identical actions and events', () => {
    const workflow = makeWorkflow({
      tasks: { e: { plugin: 'echo' }, f: { plugin: 'flaky', retries: 2 } },
      nodes: [
        { id: 'a', kind: 'task', task: 'e' },
        { id: 'b', kind: 'task', task: 'f', dependsOn: ['a'] },
      ],
    });
    const first = executeRound({ workflow, now: T0 });
    const observed = { tasks: { 'a#1': { phase: 'Succeeded' as const, outputs: { x: 1 } } } };
    const again = { ...workflow, status: first.status };
    const r1 = executeRound({ workflow: again, observations: observed, now: T0 + 10 });
    const r2 = executeRound({
      workflow: JSON.parse(JSON.stringify(again)) as typeof again,
      observations: observed,
      now: T0 + 10,
    });
    assert.deepEqual(r1.actions, r2.actions);
    assert.deepEqual(r1.events, r2.events);
    assert.deepEqual(r1.status, r2.status);
    assert.deepEqual(
      r1.actions.map((a) => a.type),
      ['startTask'],
    );
    assert.equal(new Set(r1.events.map((e) => e.id)).size, r1.events.length);
  });

  test('a repeated round never starts an attempt twice in the pod plugin', async () => {
    const h = new Harness(
      makeWorkflow({
        tasks: { p: { plugin: 'pod', pod: { image: 'x', annotations: { 'flotilla.io/sim-duration': '10s' } } } },
        nodes: [{ id: 'p', kind: 'task', task: 'p' }],
      }),
    );
    const before = h.workflow;
    await h.round();
    h.workflow = before; // the status write was lost (409): replay from the old status
    await h.round();
    assert.equal(h.pods.created, 1);
    await h.run();
    assert.equal(h.status.phase, 'Succeeded');
  });
});
