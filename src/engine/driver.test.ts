/**
 * `DriverRoundResult.started`: the task attempts whose `start` answered and whose answer the
 * engine took in (the status the round writes records them as started), and only those.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowSpec } from '../api/schema.js';
import { inProcessPlugins } from '../plugins/inprocess/index.js';
import { PluginRegistry } from './plugin-registry.js';
import { EngineDriver } from './driver.js';
import { MemoryOutputStore } from './outputs.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';

const chain: WorkflowSpec = {
  tasks: { say: { plugin: 'echo' } },
  nodes: [
    { id: 'a', kind: 'task', task: 'say', inputs: { x: { value: 1 } } },
    { id: 'b', kind: 'task', task: 'say', dependsOn: ['a'], inputs: { x: { value: 2 } } },
  ],
};

function driver(maxStreak?: number, extra: ScriptedPlugin[] = []): EngineDriver {
  return new EngineDriver({
    plugins: new PluginRegistry([...inProcessPlugins(), ...extra]),
    outputs: new MemoryOutputStore(),
    ...(maxStreak !== undefined ? { maxStreak } : {}),
    clock: () => Date.parse('2026-11-25T00:00:00Z'),
  });
}

describe('EngineDriver started', () => {
  test('a streak of instant tasks lists every attempt it started, with its plugin', async () => {
    const result = await driver().runRound(makeWorkflow(chain));
    assert.equal(result.status.phase, 'Succeeded');
    assert.deepEqual(result.started, [
      { nodeId: 'a', attempt: 1, plugin: 'echo' },
      { nodeId: 'b', attempt: 1, plugin: 'echo' },
    ]);
  });

  test('a start whose answer no pass took in (the streak ran out) is left out, and started again next round', async () => {
    const d = driver(1);
    const first = await d.runRound(makeWorkflow(chain));
    assert.deepEqual(first.started, []);
    assert.equal(first.status.nodes?.a?.taskPhase, 'Starting', 'the status does not record the answer');
    assert.equal(first.requeueAfterMs, 0);
    const second = await d.runRound({ ...makeWorkflow(chain), status: first.status });
    assert.deepEqual(second.started, [], 'again the streak of one pass ends before the answer is taken in');
    const again = await driver(2).runRound({ ...makeWorkflow(chain), status: first.status });
    assert.deepEqual(
      again.started,
      [{ nodeId: 'a', attempt: 1, plugin: 'echo' }],
      'the same attempt is started again: the first start was never recorded',
    );
    assert.equal(again.status.nodes?.a?.phase, 'Succeeded');
  });

  test('a start that failed is not listed; a later attempt is, with its attempt number', async () => {
    let calls = 0;
    const shaky = new ScriptedPlugin('shaky', (_ctx, method) => {
      if (method === 'start' && calls++ === 0) throw new Error('unavailable');
      return { phase: 'Failed', failure: { kind: 'user', reason: 'Boom', message: 'no' } };
    });
    const spec: WorkflowSpec = {
      tasks: { t: { plugin: 'shaky', retries: 1 } },
      nodes: [{ id: 'n', kind: 'task', task: 't' }],
    };
    const d = driver(8, [shaky]);
    const first = await d.runRound(makeWorkflow(spec));
    assert.deepEqual(first.started, [], 'start threw: nothing answered');
    assert.equal(first.errors.length, 1);
    const second = await d.runRound({ ...makeWorkflow(spec), status: first.status });
    assert.deepEqual(second.started, [{ nodeId: 'n', attempt: 1, plugin: 'shaky' }]);
    assert.equal(second.status.nodes?.n?.phase, 'WaitingForRetry');
  });
});

describe('EngineDriver time', () => {
  test('a round never stamps before a time the status already records (another replica, its clock ahead)', async () => {
    const clock = Date.parse('2026-11-25T00:00:00Z');
    const driverWith = (maxStreak: number) =>
      new EngineDriver({
        plugins: new PluginRegistry(inProcessPlugins()),
        outputs: new MemoryOutputStore(),
        maxStreak,
        clock: () => clock,
      });
    const first = await driverWith(1).runRound(makeWorkflow(chain));
    // The previous owner's clock read 0.8 s later than this replica's reads now.
    const ahead = '2026-11-25T00:00:00.800Z';
    const status = { ...first.status, startedAt: ahead };
    const next = await driverWith(8).runRound({ ...makeWorkflow(chain), status });
    assert.equal(next.status.phase, 'Succeeded');
    assert.ok(next.events.length > 0, 'the round emitted events');
    for (const event of next.events)
      assert.ok(
        Date.parse(event.occurredAt) >= Date.parse(ahead),
        `${event.id} at ${event.occurredAt}, before ${ahead}`,
      );
  });
});
