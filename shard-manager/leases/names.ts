/**
 * Lease names and annotations: the contract of DESIGN.md §4 that operators, scripts and every
 * replica rely on.
 */

/** A replica's membership lease; live while unexpired. */
export function memberLeaseName(replica: string): string {
  return `flotilla-member-${replica}`;
}

/** One lease per shard; `spec.holderIdentity` is the replica acting on it. */
export function shardLeaseName(shard: string): string {
  return `flotilla-shard-${shard}`;
}

/** The shard manager's leader-election lease. */
export const MANAGER_LEASE_NAME = 'flotilla-manager';

export const MEMBER_LEASE_PREFIX = 'flotilla-member-';
export const SHARD_LEASE_PREFIX = 'flotilla-shard-';

/** On a shard lease: the replica the manager intends to own it. Only the manager writes it. */
export const ASSIGNED_TO_ANNOTATION = 'flotilla.io/assigned-to';
/** On a shard lease: the replica an operator pinned it to (`shardctl pin`). */
export const PINNED_TO_ANNOTATION = 'flotilla.io/pinned-to';
/** On a shard lease: `shardctl move` put it where it is; balance moves other shards first.
 * `shardctl rebalance` clears these marks. */
export const MOVED_BY_OPERATOR_ANNOTATION = 'flotilla.io/moved-by-operator';
/** On the manager lease: `shardctl rebalance` asks the leader for a fresh pass (value: a request id). */
export const REBALANCE_ANNOTATION = 'flotilla.io/rebalance-requested';
/** On a member lease: set by `shardctl drain`, removed by `undrain`. */
export const DRAINING_ANNOTATION = 'flotilla.io/draining';
/** Label on every lease the fleet owns, so one list call finds them all. */
export const LEASE_KIND_LABEL = 'flotilla.io/lease';
export type LeaseKind = 'member' | 'shard' | 'manager';
