/**
 * What a replica should do about each shard lease, as a pure function of what it sees.
 *
 * The protocol (DESIGN.md §4): the manager writes the intended owner in `flotilla.io/assigned-to`;
 * only the replica itself takes or gives up `spec.holderIdentity`.
 * - Assigned elsewhere but held by me → stop the shard (finish rounds in flight), then release.
 * - Assigned to me and free, or held by a replica whose member lease this replica has observed
 *   expire → acquire (bumping `leaseTransitions`, the epoch), then start the shard.
 * - Held by me and assigned to me but not running here (a restart, or live again after a fence)
 *   → resume: take it again with a guarded write (the lease may be a step behind the server), then
 *   start the shard.
 * - Running here but the lease says another holder → the shard was taken from me: stop at once.
 */
import { ASSIGNED_TO_ANNOTATION, SHARD_LEASE_PREFIX } from '../leases/names.js';
import { epochOf, observedExpired, type LeaseFields, type ObservedLease } from '../leases/lease-state.js';

export type OwnershipAction =
  | { readonly type: 'release'; readonly shard: string; readonly lease: LeaseFields }
  | { readonly type: 'acquire'; readonly shard: string; readonly lease: LeaseFields }
  | { readonly type: 'resume'; readonly shard: string; readonly lease: LeaseFields; readonly epoch: number }
  | { readonly type: 'lost'; readonly shard: string };

export interface OwnershipView {
  readonly replica: string;
  readonly shardLeases: readonly LeaseFields[];
  /** Member leases as this replica observed them, by replica id. */
  readonly members: ReadonlyMap<string, ObservedLease>;
  /** Shards this replica is running right now. */
  readonly running: ReadonlySet<string>;
  readonly nowMs: number;
}

export function shardOfLease(lease: LeaseFields): string | undefined {
  return lease.name.startsWith(SHARD_LEASE_PREFIX) ? lease.name.slice(SHARD_LEASE_PREFIX.length) : undefined;
}

export function decideOwnership(view: OwnershipView): OwnershipAction[] {
  const actions: OwnershipAction[] = [];
  const seen = new Set<string>();
  for (const lease of view.shardLeases) {
    const shard = shardOfLease(lease);
    if (shard === undefined) continue;
    seen.add(shard);
    const assigned = lease.annotations?.[ASSIGNED_TO_ANNOTATION];
    const holder = lease.holderIdentity ?? undefined;
    const running = view.running.has(shard);

    if (holder === view.replica) {
      if (assigned !== view.replica) actions.push({ type: 'release', shard, lease });
      else if (!running) actions.push({ type: 'resume', shard, lease, epoch: epochOf(lease) });
      continue;
    }
    if (running) actions.push({ type: 'lost', shard });
    if (assigned === view.replica && holderIsGone(holder, view)) actions.push({ type: 'acquire', shard, lease });
  }
  for (const shard of view.running) if (!seen.has(shard)) actions.push({ type: 'lost', shard });
  return actions;
}

function holderIsGone(holder: string | undefined, view: OwnershipView): boolean {
  if (!holder) return true;
  const member = view.members.get(holder);
  // A holder with no member lease at all has left the fleet (its lease was deleted on shutdown).
  return member === undefined || observedExpired(member, view.nowMs);
}
