/** The metrics/health HTTP server, scraped over real HTTP; queue gauges fed from a real Redis. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from '../../src/observability/metrics.js';
import { startObservabilityServer, type ObservabilityServer } from '../../src/observability/http.js';
import { ShardQueues } from '../../src/controller/queue/index.js';
import { collectQueueMetrics } from '../../src/controller/queue/metrics.js';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/** The value of one series in Prometheus text, or undefined. */
function series(text: string, name: string, labels: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) return Number(line.slice(line.lastIndexOf(' ') + 1));
    if (labels === '' && line.startsWith(`${name} `)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('observability HTTP server', () => {
  let server: ObservabilityServer;
  let redis: RedisServer;
  let queues: ShardQueues;
  let ready: true | string = 'informers not synced';
  const metrics = new Metrics({ defaultLabels: { replica: 'r1' } });
  let release = () => undefined as void;
  const hold = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    redis = await RedisServer.start({ persist: false });
    queues = new ShardQueues({
      redisUrl: redis.url,
      concurrency: 1,
      processor: async () => hold,
      workQueueMetrics: metrics.workQueues,
    });
    collectQueueMetrics(queues, metrics);
    server = await startObservabilityServer({ metrics, ready: () => ready });
  });
  after(async () => {
    release();
    await server.stop();
    await queues.stopAll({ graceMs: 1000 });
    await redis.stop();
  });

  test('binds to loopback by default', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('/healthz answers; /readyz follows the callback', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const notReady = await fetch(`${server.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /informers not synced/);
    ready = true;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  });

  test("/metrics exposes the recorded series: flotilla_ names, or the conventional ones (Node's, client-go's)", async () => {
    metrics.roundsTotal.inc({ shard: '3', result: 'success' }, 2);
    metrics.roundDuration.observe({ shard: '3', result: 'success' }, 0.02);
    metrics.statusConflicts.inc({ shard: '3' });
    metrics.staleCacheSkips.inc({ shard: '3' });
    metrics.informerRestarts.inc({ resource: 'workflows', shard: '3', reason: 'watchdog' });
    metrics.workflowsByPhase.set({ shard: '3', phase: 'Running' }, 5);
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    assert.equal(series(text, 'flotilla_rounds_total', 'result="success"'), 2);
    assert.equal(series(text, 'flotilla_round_duration_seconds_count', 'shard="3"'), 1);
    assert.equal(series(text, 'flotilla_status_update_conflicts_total', 'shard="3"'), 1);
    assert.equal(series(text, 'flotilla_stale_cache_skips_total', 'shard="3"'), 1);
    assert.equal(series(text, 'flotilla_informer_restarts_total', 'reason="watchdog"'), 1);
    assert.equal(series(text, 'flotilla_workflows', 'phase="Running"'), 5);
    assert.match(text, /replica="r1"/);
    const names = text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2] ?? '');
    assert.ok(names.length > 10);
    for (const name of names)
      assert.match(name, /^(flotilla_|process_|nodejs_|workqueue_|rest_client_|leader_election_master_status$)/);
    assert.ok(names.includes('process_cpu_user_seconds_total'), 'the standard process metrics, unprefixed');
    assert.ok(names.includes('nodejs_heap_size_used_bytes'), 'the standard Node.js metrics, unprefixed');
  });

  test('queue depth, active jobs and owned shards come from the real queues at scrape time', async () => {
    await queues.start(5);
    await queues.enqueue(5, 'ns/a');
    await queues.enqueue(5, 'ns/b');
    await queues.enqueue(5, 'ns/c', { delayMs: 60_000 });
    await waitFor(async () => (await queues.counts(5)).active === 1, { what: 'one active' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(series(text, 'flotilla_queue_depth', 'shard="5"'), 2);
    assert.equal(series(text, 'flotilla_queue_active_jobs', 'shard="5"'), 1);
    assert.match(text, /flotilla_owned_shards\{replica="r1"\} 1/);
    // client-go's shape, named by the shard's queue: two immediate adds (the delayed one is not due),
    // one waiting, one round in progress.
    assert.equal(series(text, 'workqueue_adds_total', 'name="shard-5"'), 2);
    assert.equal(series(text, 'workqueue_depth', 'name="shard-5"'), 1);
    assert.equal(series(text, 'workqueue_queue_duration_seconds_count', 'name="shard-5"'), 1);
    assert.ok((series(text, 'workqueue_longest_running_processor_seconds', 'name="shard-5"') ?? 0) > 0);
    assert.ok((series(text, 'workqueue_unfinished_work_seconds', 'name="shard-5"') ?? 0) > 0);
  });
});
