/**
 * Which of the fleet's shards owns a FlyteWorkflow.
 *
 * FlyteAdmin labels each FlyteWorkflow `shard-key: "<k>"`, k = `fnv32a(execution name) % 32`.
 * FlytePropeller's own manager splits the 32 keys into contiguous ranges, one per propeller pod,
 * the first `32 % pods` ranges one key longer. We do the same with the fleet's shard count, so a
 * fleet of S ≤ 32 shards owns exactly the keys a FlytePropeller manager with S pods would give each
 * pod. With S > 32 the ranges invert: each key owns a contiguous block of shards and the execution
 * id's hash picks one inside the block, so every shard gets work.
 *
 * An object without a valid `shard-key` label (created by hand, or by an older FlyteAdmin) gets
 * the key FlyteAdmin would have written, from `hash` (Flyte's FNV-1a by default) over the
 * execution name: the `execution-id` label, else `executionId.name`, else `metadata.name`.
 *
 * Pure: no client, no clock.
 */
import { FlyteError } from './errors.js';
import { FlyteLabels, SHARD_KEYSPACE_SIZE } from './metadata.js';
import type { FlyteWorkflow } from './types.js';

/** The most shards the mapping accepts (the fleet's own bound). */
export const MAX_FLEET_SHARDS = 4096;

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (Go's `hash/fnv.New32a`, which Flyte uses for `shard-key`). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The `shard-key` FlyteAdmin writes for an execution name. */
export function flyteShardKey(executionName: string): number {
  return fnv1a32(executionName) % SHARD_KEYSPACE_SIZE;
}

/** `[start, end)` of item `index` when `size` things are split into `parts` contiguous ranges, the first `size % parts` one longer (Flyte's `ComputeKeyRange`). */
export function contiguousRange(size: number, parts: number, index: number): [number, number] {
  const per = Math.floor(size / parts);
  const extra = size - per * parts;
  const start = (i: number): number => Math.min(i, extra) * (per + 1) + Math.max(0, i - extra) * per;
  return [start(index), start(index + 1)];
}

/** Which of `parts` contiguous ranges over `size` things holds `item`. */
function rangeOf(size: number, parts: number, item: number): number {
  const per = Math.floor(size / parts);
  const extra = size - per * parts;
  const longRun = extra * (per + 1);
  return item < longRun ? Math.floor(item / (per + 1)) : extra + Math.floor((item - longRun) / per);
}

export interface FlyteShardOptions {
  /** The fleet's shard count, in [1, MAX_FLEET_SHARDS]. */
  readonly shardCount: number;
  /**
   * A 32-bit unsigned hash of a string: derives the key of an object without a `shard-key`
   * label, and picks a shard inside a key's block when `shardCount` > 32.
   * @defaultValue fnv1a32 (what FlyteAdmin uses, so a missing label gets the key Flyte would have written)
   */
  readonly hash?: (text: string) => number;
}

/** Where a shard decision came from. */
export interface FlyteShardDecision {
  /** The fleet shard, 0-based. */
  readonly shard: number;
  /** The Flyte key used (0–31). */
  readonly key: number;
  /** `label`: the object's `shard-key`; `hash`: derived because the label was missing or invalid. */
  readonly source: 'label' | 'hash';
}

/** The execution name a FlyteWorkflow's key derives from. */
export function executionName(workflow: Pick<FlyteWorkflow, 'metadata' | 'executionId'>): string {
  return workflow.metadata.labels?.[FlyteLabels.executionId] ?? workflow.executionId.name ?? workflow.metadata.name;
}

/** Parses a `shard-key` label value: a decimal integer in [0, 31], else undefined. */
export function parseShardKey(value: string | undefined): number | undefined {
  if (value === undefined || !/^(0|[1-9][0-9]?)$/.test(value)) return undefined;
  const key = Number(value);
  return key < SHARD_KEYSPACE_SIZE ? key : undefined;
}

/** The fleet shard for a Flyte key (and the execution name, used only when `shardCount` > 32). */
export function shardForKey(key: number, name: string, options: FlyteShardOptions): number {
  const { shardCount } = options;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_FLEET_SHARDS) {
    throw new FlyteError(
      'InvalidShardCount',
      `shard count must be an integer in [1, ${MAX_FLEET_SHARDS}], got ${shardCount}`,
    );
  }
  if (shardCount <= SHARD_KEYSPACE_SIZE) return rangeOf(SHARD_KEYSPACE_SIZE, shardCount, key);
  const [start, end] = contiguousRange(shardCount, SHARD_KEYSPACE_SIZE, key);
  // The bits above the key's five: the key itself is the hash mod 32, so reusing the low bits would
  // pin each key to one shard of its block.
  return start + (Math.floor((options.hash ?? fnv1a32)(name) / SHARD_KEYSPACE_SIZE) % (end - start));
}

/** The fleet shard that owns a FlyteWorkflow. Throws `FlyteError('InvalidShardCount')` for a bad count. */
export function shardOfFlyteWorkflow(
  workflow: Pick<FlyteWorkflow, 'metadata' | 'executionId'>,
  options: FlyteShardOptions,
): FlyteShardDecision {
  const name = executionName(workflow);
  const labelled = parseShardKey(workflow.metadata.labels?.[FlyteLabels.shardKey]);
  const key = labelled ?? (options.hash ?? fnv1a32)(name) % SHARD_KEYSPACE_SIZE;
  return { shard: shardForKey(key, name, options), key, source: labelled === undefined ? 'hash' : 'label' };
}
