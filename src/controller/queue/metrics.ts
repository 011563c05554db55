/** Feeds queue depth and active jobs of every started shard into the metrics at scrape time. */
import type { Metrics } from '../../observability/metrics.js';
import type { QueueCounts } from './shard-queue.js';

/** Anything that runs shard queues: `ShardQueues`, `Replica`. */
export interface QueueCountsSource {
  shards(): number[];
  counts(shard: number): Promise<QueueCounts>;
}

/**
 * Registers the collector; returns its removal. Shards that fail to answer are left out. The counts
 * cost two Redis calls per shard, so with `maxAgeMs` a scrape within that time of the last
 * collection keeps the gauges as they are (several Prometheus servers, or a bench polling at 10 Hz,
 * would otherwise add Redis load per scrape; the controller process uses 1000).
 * @defaultValue maxAgeMs 0 (every scrape collects)
 */
export function collectQueueMetrics(
  queues: QueueCountsSource,
  metrics: Metrics,
  options: { maxAgeMs?: number; clock?: () => number } = {},
): () => void {
  const clock = options.clock ?? Date.now;
  let collectedAt = Number.NEGATIVE_INFINITY;
  return metrics.addCollector(async () => {
    if (clock() - collectedAt < (options.maxAgeMs ?? 0)) return;
    collectedAt = clock();
    const shards = queues.shards();
    const counts = await Promise.all(
      shards.map(async (shard) => ({ shard, counts: await queues.counts(shard).catch(() => undefined) })),
    );
    metrics.queueDepth.reset();
    metrics.activeJobs.reset();
    for (const { shard, counts: c } of counts) {
      if (!c) continue;
      metrics.queueDepth.set({ shard: String(shard) }, c.waiting + c.delayed);
      metrics.activeJobs.set({ shard: String(shard) }, c.active);
    }
    metrics.ownedShards.set(shards.length);
  });
}
