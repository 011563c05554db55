/**
 * What `shardctl status` shows, as a pure function of the fleet's leases and the time. Liveness
 * here is judged from `renewTime` (a one-shot observer has no history to judge by), so it can be
 * off by the clock offset between this machine and the replicas; the manager itself judges by
 * observation time and is not.
 */
import { compareIds } from './manager/assign.js';
import type { LeaseFields } from './leases/lease-state.js';
import {
  ASSIGNED_TO_ANNOTATION,
  DRAINING_ANNOTATION,
  MANAGER_LEASE_NAME,
  MOVED_BY_OPERATOR_ANNOTATION,
  PINNED_TO_ANNOTATION,
} from './leases/names.js';
import { LOAD_ANNOTATION, parseLoad } from './replica/membership.js';
import { replicaOfMemberLease } from './manager/decide.js';
import { shardOfLease } from './replica/decide.js';

export interface ShardStatus {
  shard: string;
  /** The replica holding the lease (acting on the shard), if any. */
  owner: string | null;
  /** The replica the manager intends to own it. */
  assignedTo: string | null;
  pinnedTo: string | null;
  movedByOperator: boolean;
  /** `leaseTransitions`: bumped on every change of holder. */
  epoch: number;
  /** Seconds since the current holder acquired the lease. */
  leaseAgeSeconds: number | null;
  /** As reported by the owner; null when unknown. */
  workflows: number | null;
  queueDepth: number | null;
  /** Owner and intended owner differ: a handover is under way (or stuck). */
  moving: boolean;
}

export interface ReplicaStatus {
  replica: string;
  live: boolean;
  draining: boolean;
  shardsOwned: number;
  shardsAssigned: number;
  lastRenewSecondsAgo: number | null;
}

export interface FleetStatus {
  namespace: string;
  manager: { leader: string | null; live: boolean };
  shards: ShardStatus[];
  replicas: ReplicaStatus[];
}

export function fleetStatus(namespace: string, leases: readonly LeaseFields[], nowMs: number): FleetStatus {
  const members = new Map<string, LeaseFields>();
  const shardLeases: [string, LeaseFields][] = [];
  let managerLease: LeaseFields | undefined;
  for (const lease of leases) {
    const replica = replicaOfMemberLease(lease.name);
    const shard = shardOfLease(lease);
    if (replica !== undefined) members.set(replica, lease);
    else if (shard !== undefined) shardLeases.push([shard, lease]);
    else if (lease.name === MANAGER_LEASE_NAME) managerLease = lease;
  }
  const isLive = (lease: LeaseFields | undefined) =>
    lease !== undefined &&
    !!lease.holderIdentity &&
    lease.renewTimeMs !== undefined &&
    lease.renewTimeMs + (lease.leaseDurationSeconds ?? 0) * 1000 > nowMs;

  const loads = new Map<string, ReturnType<typeof parseLoad>>();
  for (const [replica, lease] of members) loads.set(replica, parseLoad(lease.annotations?.[LOAD_ANNOTATION]));

  const shards: ShardStatus[] = shardLeases
    .sort(([a], [b]) => compareIds(a, b))
    .map(([shard, lease]) => {
      const owner = lease.holderIdentity || null;
      const assignedTo = lease.annotations?.[ASSIGNED_TO_ANNOTATION] || null;
      const load = owner ? loads.get(owner)?.get(shard) : undefined;
      return {
        shard,
        owner,
        assignedTo,
        pinnedTo: lease.annotations?.[PINNED_TO_ANNOTATION] || null,
        movedByOperator: Boolean(lease.annotations?.[MOVED_BY_OPERATOR_ANNOTATION]),
        epoch: lease.leaseTransitions ?? 0,
        leaseAgeSeconds:
          owner && lease.acquireTimeMs !== undefined
            ? Math.max(0, Math.round((nowMs - lease.acquireTimeMs) / 1000))
            : null,
        workflows: load?.workflows ?? null,
        queueDepth: load?.queueDepth ?? null,
        moving: owner !== assignedTo,
      };
    });

  const replicas: ReplicaStatus[] = [...members.entries()]
    .sort(([a], [b]) => compareIds(a, b))
    .map(([replica, lease]) => ({
      replica,
      live: isLive(lease),
      draining: lease.annotations?.[DRAINING_ANNOTATION] === 'true',
      shardsOwned: shards.filter((s) => s.owner === replica).length,
      shardsAssigned: shards.filter((s) => s.assignedTo === replica).length,
      lastRenewSecondsAgo:
        lease.renewTimeMs !== undefined ? Math.max(0, Math.round((nowMs - lease.renewTimeMs) / 1000)) : null,
    }));

  return {
    namespace,
    manager: { leader: managerLease?.holderIdentity || null, live: isLive(managerLease) },
    shards,
    replicas,
  };
}
