import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { WorkQueueMetrics } from '../observability/workqueue.js';
import { KeyQueue } from './work-queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('KeyQueue', () => {
  test('a key added while it is processed is processed again, once', async () => {
    const runs: string[] = [];
    let release: () => void = () => undefined;
    const queue = new KeyQueue(async (key) => {
      runs.push(key);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    }, 4);
    queue.add('a');
    await tick();
    queue.add('a');
    queue.add('a');
    release();
    await tick(20);
    assert.deepEqual(runs, ['a', 'a']);
    await queue.stop();
  });
  test('bounds concurrency and never runs one key twice at once', async () => {
    let active = 0;
    let peak = 0;
    const activeKeys = new Set<string>();
    const queue = new KeyQueue(async (key) => {
      assert.ok(!activeKeys.has(key));
      activeKeys.add(key);
      active++;
      peak = Math.max(peak, active);
      await tick(2);
      active--;
      activeKeys.delete(key);
    }, 3);
    for (let i = 0; i < 50; i++) queue.add(`k${i % 10}`);
    await tick(100);
    assert.equal(peak, 3);
    await queue.stop();
  });
  test('stop waits for keys in progress', async () => {
    let finished = false;
    const queue = new KeyQueue(async () => {
      await tick(30);
      finished = true;
    }, 1);
    queue.add('x');
    await tick(1);
    await queue.stop();
    assert.equal(finished, true);
  });
  test("reports client-go's workqueue figures: adds, waits, work durations, depth", async () => {
    const registry = new Registry();
    const metrics = new WorkQueueMetrics([registry]);
    let release: () => void = () => undefined;
    const queue = new KeyQueue(
      async (key) => {
        if (key === 'slow') await new Promise<void>((r) => (release = r));
      },
      1,
      { metrics: metrics.queue('pods') },
    );
    queue.add('slow');
    queue.add('b');
    queue.add('c');
    queue.add('c'); // already waiting: counted as an add, processed once
    await tick();
    const text = async () => registry.metrics();
    assert.match(await text(), /^workqueue_adds_total\{name="pods"\} 4$/m);
    assert.match(await text(), /^workqueue_depth\{name="pods"\} 2$/m);
    assert.match(await text(), /^workqueue_longest_running_processor_seconds\{name="pods"\} [0-9.e-]+$/m);
    release();
    await tick(20);
    assert.match(await text(), /^workqueue_work_duration_seconds_count\{name="pods"\} 3$/m);
    assert.match(await text(), /^workqueue_queue_duration_seconds_count\{name="pods"\} 3$/m);
    assert.match(await text(), /^workqueue_depth\{name="pods"\} 0$/m);
    await queue.stop();
    assert.doesNotMatch(await text(), /^workqueue_depth\{name="pods"\}/m);
  });
});
