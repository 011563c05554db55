/**
 * Naming of a shard's queue in Redis. Every key of one shard's queue carries the same Redis
 * Cluster hash tag (`{<prefix>:shard-<id>}`), a different one per shard, so a cluster spreads
 * shards over slots while each shard's Lua scripts stay single-slot.
 */
import { QueueError } from './errors.js';

/** BullMQ queue name of a shard: `shard-<id>`. */
export function queueName(shard: number): string {
  assertShard(shard);
  return `shard-${shard}`;
}

/** BullMQ key prefix of a shard: `{<base>:shard-<id>}` (hash tag). */
export function queuePrefix(shard: number, base = 'flotilla'): string {
  assertShard(shard);
  return `{${base}:shard-${shard}}`;
}

/** Our own sorted set of delayed wake-ups (member = workflow key, score = wake time in ms). */
export function wakeupsKey(shard: number, base = 'flotilla'): string {
  return `${queuePrefix(shard, base)}:${queueName(shard)}:wakeups`;
}

export function assertShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0) throw new QueueError('InvalidShard', `invalid shard ${String(shard)}`);
}

/** A workflow key is `namespace/name` (both non-empty, no further slash). */
export function assertWorkflowKey(key: string): void {
  const parts = key.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new QueueError('InvalidKey', `invalid workflow key ${JSON.stringify(key)} (want namespace/name)`);
  }
}
