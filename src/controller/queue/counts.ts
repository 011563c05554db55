/**
 * Small Redis reads of a shard queue, apart from the queue's lifecycle: its depth, and a bound on
 * how long a Redis call may take.
 */
import type { RedisClient } from '../../redis/index.js';
import type { QueueCounts } from './contracts.js';
import { QueueError } from './errors.js';

/**
 * Queue depth and active jobs as Redis sees them (all replicas). One pipeline of five plain reads
 * (the shard's keys share one hash slot), not BullMQ's `getJobCounts`: its script also counts the
 * `paused` list (we never pause) and looks for pre-5.0 markers in `wait`, 9 commands against 5,
 * and metrics collect this for every shard on each scrape.
 */
export async function countQueue(
  client: RedisClient,
  toKey: (type: string) => string,
  wakeupsKey: string,
  shard: number,
): Promise<QueueCounts> {
  const replies = await client
    .pipeline()
    .llen(toKey('wait'))
    .zcard(toKey('prioritized'))
    .zcard(toKey('delayed'))
    .llen(toKey('active'))
    .zcard(wakeupsKey)
    .exec();
  const [waiting, prioritized, delayed, active, wakeups] = (replies ?? []).map(([error, value]) => {
    if (error) throw new QueueError('Redis', `cannot count the queue of shard ${shard}`, { cause: error });
    return Number(value ?? 0);
  });
  return {
    waiting: (waiting ?? 0) + (prioritized ?? 0),
    delayed: (delayed ?? 0) + (wakeups ?? 0),
    active: active ?? 0,
  };
}

/** `promise`, or a `QueueError('Redis')` naming the limit once `ms` passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new QueueError('Redis', `Redis did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * How long a job waited before its first round: since its add (BullMQ's `timestamp`; for the
 * follow-up job of a key that was active, the add that arrived meanwhile). A retry's wait is its
 * back-off, which BullMQ does not record: undefined (not observed).
 */
export function waitedSeconds(
  job: { attemptsMade: number; timestamp: number; opts: { delay?: number } },
  nowMs: number,
): number | undefined {
  if (job.attemptsMade > 0) return undefined;
  return Math.max(0, nowMs - job.timestamp - (job.opts.delay ?? 0)) / 1000;
}
