/** Feeds queue depth and active jobs of every started shard into the metrics at scrape time. */
import type { Metrics } from '../../observability/metrics.js';
import type { QueueCounts } from './shard-queue.js';

/** Anything that runs shard queues: `ShardQueues`, `Replica`. */
export interface QueueCountsSource {
  shards(): number[];
  counts(shard: number): Promise<QueueCounts>;
}

/** Registers the collector; returns its removal. Shards that fail to answer are left out. */
export function collectQueueMetrics(queues: QueueCountsSource, metrics: Metrics): () => void {
  return metrics.addCollector(async () => {
    const shards = queues.shards();
    const counts = await Promise.all(shards.map(async (shard) => ({ shard, counts: await queues.counts(shard).catch(() => undefined) })));
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
