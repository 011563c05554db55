import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../plugins/testing.js';
import type { TaskContext, TaskObservation } from './plugins.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';

/** A plugin whose attempts run for `runMs` and record how many run at once. */
class TimedPlugin extends ScriptedPlugin {
  running = new Set<string>();
  maxRunning = 0;
  constructor(clock: () => number, runMs: number) {
    const startedAt = new Map<string, number>();
    super('timed', (ctx: TaskContext, method): TaskObservation => {
      const key = `${ctx.nodeId}#${ctx.attempt}`;
      if (method === 'start') startedAt.set(key, clock());
      if (clock() - (startedAt.get(key) ?? clock()) >= runMs) {
        this.running.delete(key);
        return { phase: 'Succeeded', outputs: {} };
      }
      this.running.add(key);
      this.maxRunning = Math.max(this.maxRunning, this.running.size);
      return { phase: 'Running', checkAfterMs: 100 };
    });
  }
}

describe('maxParallelism', () => {
  const nodes = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, kind: 'task' as const, task: 't' }));

  test('bounds the task nodes running at once; the others wait Pending and all finish', async () => {
    let now = 0;
    const plugin = new TimedPlugin(() => now, 1000);
    const h = new Harness(makeWorkflow({ tasks: { t: { plugin: 'timed' } }, nodes, maxParallelism: 2 }), {
      plugins: [plugin],
    });
    now = h.now;
    const seen: number[] = [];
    await h.run((x) => {
      now = x.now;
      seen.push(Object.values(x.status.nodes ?? {}).filter((n) => n.phase === 'Running').length);
      return false;
    });
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(plugin.maxRunning, 2);
    assert.ok(Math.max(...seen) <= 2, `at most 2 nodes Running, saw ${Math.max(...seen)}`);
    assert.equal(plugin.count('start'), 5);
  });

  test('without it every ready node starts in the first round', async () => {
    let now = 0;
    const plugin = new TimedPlugin(() => now, 1000);
    const h = new Harness(makeWorkflow({ tasks: { t: { plugin: 'timed' } }, nodes }), { plugins: [plugin] });
    now = h.now;
    await h.round();
    assert.equal(Object.values(h.status.nodes ?? {}).filter((n) => n.phase === 'Running').length, 5);
  });
});

describe('interruptible attempts', () => {
  const lost = (ctx: TaskContext): TaskObservation => ({
    phase: 'Failed',
    failure: { kind: 'system', reason: 'Interrupted', message: `attempt ${ctx.attempt} preempted` },
  });

  test('the last attempt of the system-failure budget is not interruptible (threshold -1)', async () => {
    const seen: Array<boolean | undefined> = [];
    const plugin = new ScriptedPlugin('lost', (ctx) => {
      seen[ctx.attempt - 1] = ctx.task.interruptible;
      return lost(ctx);
    });
    const h = new Harness(
      makeWorkflow({
        tasks: { t: { plugin: 'lost', interruptible: true } },
        nodes: [{ id: 'n', kind: 'task', task: 't' }],
      }),
      { plugins: [plugin], engine: { systemRetries: 2 } },
    );
    await h.run();
    assert.equal(h.status.phase, 'Failed');
    assert.deepEqual(seen, [true, true, false]);
  });

  test('a positive threshold drops it after that many system failures; a non-interruptible task stays so', async () => {
    const seen: Array<boolean | undefined> = [];
    const plugin = new ScriptedPlugin('lost', (ctx) => {
      seen[ctx.attempt - 1] = ctx.task.interruptible;
      return lost(ctx);
    });
    const h = new Harness(
      makeWorkflow({
        tasks: { t: { plugin: 'lost' } },
        nodes: [{ id: 'n', kind: 'task', task: 't', interruptible: true }],
      }),
      { plugins: [plugin], engine: { systemRetries: 3, interruptibleFailureThreshold: 1 } },
    );
    await h.run();
    assert.deepEqual(seen, [true, false, false, false]);
    const plain = new Harness(
      makeWorkflow({ tasks: { t: { plugin: 'lost' } }, nodes: [{ id: 'n', kind: 'task', task: 't' }] }),
      { plugins: [plugin], engine: { systemRetries: 0 } },
    );
    seen.length = 0;
    await plain.run();
    assert.deepEqual(seen, [undefined]);
  });
});
