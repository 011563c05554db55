/**
 * The shard queues of one replica: `start(shard)` / `stop(shard)` are one call each way.
 * See shard-queue.ts for the guarantees of each queue.
 */
import { QueueError } from './errors.js';
import {
  ShardQueue,
  type EnqueueOptions,
  type QueueCounts,
  type ShardQueueOptions,
  type StopOptions,
} from './shard-queue.js';

export { QueueError, type QueueErrorCode } from './errors.js';
export { queueName, queuePrefix, wakeupsKey } from './keys.js';
export { redisOptionsFromUrl } from './redis.js';
export {
  ShardQueue,
  type EnqueueOptions,
  type ProcessContext,
  type ProcessResult,
  type QueueCounts,
  type RoundProcessor,
  type ShardQueueOptions,
  type StopOptions,
} from './shard-queue.js';

/** Everything of `ShardQueueOptions` except the shard (and the hook, which gets the shard). */
export type ShardQueuesOptions = Omit<ShardQueueOptions, 'shard'>;

export class ShardQueues {
  private readonly queues = new Map<number, ShardQueue>();
  private readonly starting = new Map<number, Promise<ShardQueue>>();

  constructor(private readonly options: ShardQueuesOptions) {}

  /** Starts the queue and worker pool of `shard` (idempotent). */
  async start(shard: number): Promise<void> {
    if (this.queues.has(shard)) return;
    let starting = this.starting.get(shard);
    if (!starting) {
      const queue = new ShardQueue({ ...this.options, shard });
      starting = queue.start().then(() => queue);
      this.starting.set(shard, starting);
    }
    try {
      this.queues.set(shard, await starting);
    } finally {
      this.starting.delete(shard);
    }
  }

  /** Stops `shard`'s worker pool (in-flight rounds finish within `graceMs`, then are handed back). */
  async stop(shard: number, options: StopOptions = {}): Promise<void> {
    const queue = this.queues.get(shard);
    if (!queue) return;
    this.queues.delete(shard);
    await queue.stop(options);
  }

  async stopAll(options: StopOptions = {}): Promise<void> {
    await Promise.all([...this.queues.keys()].map((shard) => this.stop(shard, options)));
  }

  /** Enqueues a round of `key` on `shard`; `QueueError('NotStarted')` if this replica does not run it. */
  async enqueue(shard: number, key: string, options: EnqueueOptions = {}): Promise<void> {
    await this.get(shard).enqueue(key, options);
  }

  async counts(shard: number): Promise<QueueCounts> {
    return this.get(shard).counts();
  }

  /** Shards started here. */
  shards(): number[] {
    return [...this.queues.keys()].sort((a, b) => a - b);
  }

  get(shard: number): ShardQueue {
    const queue = this.queues.get(shard);
    if (!queue) throw new QueueError('NotStarted', `queue of shard ${shard} is not started`);
    return queue;
  }
}
