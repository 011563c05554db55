/**
 * The load a replica publishes on its member lease: part of the lease protocol, written by the
 * replica (../replica/membership.ts), read by the manager (weights), `shardctl status` and the
 * console (queue depth, workflows, rounds/s).
 */

/** Annotation on a member lease: JSON `{ "<shard>": ShardLoad }` published by the replica. */
export const LOAD_ANNOTATION = 'flotilla.io/load';

/** What a replica reports about each shard it runs (for `shardctl status` and load weighting). */
export interface ShardLoad {
  /** Workflows of the shard in the replica's informer cache. */
  readonly workflows: number;
  /** Waiting + delayed jobs of the shard's queue. */
  readonly queueDepth: number;
  /**
   * Rounds ended on the shard since it started on this replica: a counter (it restarts at 0 when
   * the shard moves), so a reader derives rounds/s from two renewals. 0 from a replica that
   * predates it.
   */
  readonly rounds: number;
}

export function parseLoad(annotation: string | undefined): Map<string, ShardLoad> {
  const loads = new Map<string, ShardLoad>();
  if (!annotation) return loads;
  try {
    const parsed: unknown = JSON.parse(annotation);
    if (typeof parsed !== 'object' || parsed === null) return loads;
    for (const [shard, value] of Object.entries(parsed)) {
      if (typeof value !== 'object' || value === null) continue;
      const { workflows, queueDepth, rounds } = value as Record<string, unknown>;
      loads.set(shard, { workflows: finite(workflows), queueDepth: finite(queueDepth), rounds: finite(rounds) });
    }
  } catch {
    // A malformed annotation reports nothing.
  }
  return loads;
}

function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
