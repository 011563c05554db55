/**
 * Which shard a Workflow belongs to under the `hash` strategy (DESIGN.md §4):
 * `xxhash32("<namespace>/<name>", seed 0) mod S`. The same function labels Workflows in the
 * shard manager and in the admission webhook, so both always agree.
 *
 * js-xxhash: a small, dependency-free, synchronous xxHash32 over the UTF-8 bytes of a string.
 * Synchronous matters: the hash runs inside pure functions (assignment, webhook handler) that
 * have no reason to await a WebAssembly initialisation.
 */
import { xxHash32 } from 'js-xxhash';

/** The label every Workflow carries with its shard id. */
export const SHARD_LABEL = 'flotilla.io/shard';

/** The default number of virtual shards, fixed for a fleet's life. */
export const DEFAULT_SHARD_COUNT = 32;

/** Upper bound on the shard count the manager accepts (lease traffic is measured up to it). */
export const MAX_SHARD_COUNT = 4096;

export function shardOf(namespace: string, name: string, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARD_COUNT) {
    throw new RangeError(`shard count must be an integer in [1, ${MAX_SHARD_COUNT}], got ${shardCount}`);
  }
  return xxHash32(`${namespace}/${name}`, 0) % shardCount;
}

/** The shard id (label value and lease suffix) for a Workflow under the hash strategy. */
export function hashShardId(namespace: string, name: string, shardCount: number): string {
  return String(shardOf(namespace, name, shardCount));
}

/** Every shard id of a hash-strategy fleet, in order. */
export function hashShardIds(shardCount: number): string[] {
  return Array.from({ length: shardCount }, (_, i) => String(i));
}
