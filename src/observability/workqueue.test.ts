import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { WorkQueueMetrics } from './workqueue.js';

/** The value of one series in the registry's text (undefined when absent). */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('WorkQueueMetrics', () => {
  test("reports client-go's workqueue series under the queue's name", async () => {
    const registry = new Registry();
    let now = 1_000;
    const metrics = new WorkQueueMetrics([registry], () => now);
    const queue = metrics.queue('shard-3');
    queue.added();
    queue.added();
    queue.retried();
    queue.depth(2);
    const first = queue.started(0.25);
    now += 500;
    const second = queue.started(undefined); // a retry: its wait is not known
    now += 1_500;
    assert.equal(await sample(registry, 'workqueue_adds_total{name="shard-3"}'), 2);
    assert.equal(await sample(registry, 'workqueue_retries_total{name="shard-3"}'), 1);
    assert.equal(await sample(registry, 'workqueue_depth{name="shard-3"}'), 2);
    // In flight: 2 s and 1.5 s of work.
    assert.equal(await sample(registry, 'workqueue_unfinished_work_seconds{name="shard-3"}'), 3.5);
    assert.equal(await sample(registry, 'workqueue_longest_running_processor_seconds{name="shard-3"}'), 2);
    assert.equal(await sample(registry, 'workqueue_queue_duration_seconds_count{name="shard-3"}'), 1);
    assert.equal(await sample(registry, 'workqueue_queue_duration_seconds_sum{name="shard-3"}'), 0.25);
    first();
    first(); // a second call is harmless
    assert.equal(await sample(registry, 'workqueue_work_duration_seconds_count{name="shard-3"}'), 1);
    assert.equal(await sample(registry, 'workqueue_work_duration_seconds_sum{name="shard-3"}'), 2);
    assert.equal(await sample(registry, 'workqueue_longest_running_processor_seconds{name="shard-3"}'), 1.5);
    second();
    assert.equal(await sample(registry, 'workqueue_unfinished_work_seconds{name="shard-3"}'), 0);
  });

  test('a closed queue drops its gauges and keeps its counters', async () => {
    const registry = new Registry();
    const metrics = new WorkQueueMetrics([registry]);
    const queue = metrics.queue('shard-0');
    queue.added();
    queue.depth(4);
    queue.close();
    assert.equal(await sample(registry, 'workqueue_depth{name="shard-0"}'), undefined);
    assert.equal(await sample(registry, 'workqueue_unfinished_work_seconds{name="shard-0"}'), undefined);
    assert.equal(await sample(registry, 'workqueue_adds_total{name="shard-0"}'), 1);
  });
});
