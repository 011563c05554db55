/**
 * The shard manager's decision, as a pure function of the fleet's leases and the time:
 * which shard leases to create and which intended owners (`flotilla.io/assigned-to`) to write.
 */
import { computeAssignment, type Move, type ReplicaInfo } from './assign.js';
import { observedExpired, type LeaseFields, type ObservedLease } from '../leases/lease-state.js';
import {
  ASSIGNED_TO_ANNOTATION,
  DRAINING_ANNOTATION,
  MEMBER_LEASE_PREFIX,
  MOVED_BY_OPERATOR_ANNOTATION,
  PINNED_TO_ANNOTATION,
} from '../leases/names.js';
import { shardOfLease } from '../replica/decide.js';

export interface ManagerView {
  /** Every shard of the fleet (hash: "0".."S-1"; namespace: namespace or group names). */
  readonly shards: readonly string[];
  readonly shardLeases: readonly LeaseFields[];
  /** Member leases as the manager observed them, by replica id. */
  readonly members: ReadonlyMap<string, ObservedLease>;
  readonly nowMs: number;
  /** @defaultValue 0 */
  readonly joinDelayMs?: number;
  /** Per-shard load; when given, assignment balances load instead of counts. */
  readonly weights?: ReadonlyMap<string, number>;
}

export interface AssignmentWrite {
  readonly shard: string;
  readonly lease: LeaseFields;
  /** The new intended owner; `null` clears the annotation (no eligible replica). */
  readonly assignTo: string | null;
}

export interface ManagerDecision {
  readonly createLeases: string[];
  readonly writes: AssignmentWrite[];
  readonly moves: Move[];
  readonly replicas: ReplicaInfo[];
}

export function replicaOfMemberLease(name: string): string | undefined {
  return name.startsWith(MEMBER_LEASE_PREFIX) ? name.slice(MEMBER_LEASE_PREFIX.length) : undefined;
}

export function replicasOf(members: ReadonlyMap<string, ObservedLease>, nowMs: number): ReplicaInfo[] {
  return [...members.entries()].map(([id, observed]) => ({
    id,
    live: !observedExpired(observed, nowMs),
    draining: observed.lease.annotations?.[DRAINING_ANNOTATION] === 'true',
    // The member lease's acquireTime is when this incarnation joined; fall back to first sight.
    joinedAtMs: observed.lease.acquireTimeMs ?? observed.observedAtMs,
  }));
}

export function decideManager(view: ManagerView): ManagerDecision {
  const leaseByShard = new Map<string, LeaseFields>();
  for (const lease of view.shardLeases) {
    const shard = shardOfLease(lease);
    if (shard !== undefined) leaseByShard.set(shard, lease);
  }
  const createLeases = view.shards.filter((s) => !leaseByShard.has(s));

  const current = new Map<string, string>();
  const pins = new Map<string, string>();
  const movedByOperator = new Map<string, number>();
  for (const [shard, lease] of leaseByShard) {
    const assigned = lease.annotations?.[ASSIGNED_TO_ANNOTATION];
    const pinned = lease.annotations?.[PINNED_TO_ANNOTATION];
    if (assigned) current.set(shard, assigned);
    if (pinned) pins.set(shard, pinned);
    const movedAt = lease.annotations?.[MOVED_BY_OPERATOR_ANNOTATION];
    if (movedAt) movedByOperator.set(shard, Date.parse(movedAt) || 0);
  }

  const replicas = replicasOf(view.members, view.nowMs);
  // Only shards whose lease exists can be written now; new leases are created with no owner and
  // assigned on the next pass, which keeps create and assign as separate, retryable writes.
  const shards = view.shards.filter((s) => leaseByShard.has(s));
  const { assignment, moves } = computeAssignment({
    shards,
    replicas,
    current,
    pins,
    preferKeep: movedByOperator,
    nowMs: view.nowMs,
    ...(view.joinDelayMs !== undefined ? { joinDelayMs: view.joinDelayMs } : {}),
    ...(view.weights ? { weights: view.weights } : {}),
  });

  const writes: AssignmentWrite[] = [];
  for (const shard of shards) {
    const lease = leaseByShard.get(shard);
    if (lease === undefined) continue;
    const next = assignment.get(shard) ?? null;
    const prev = current.get(shard) ?? null;
    // With no eligible replica keep the last intent: a fleet that briefly loses every member
    // should resume where it was, not reshuffle.
    if (next === null) continue;
    if (next !== prev) writes.push({ shard, lease, assignTo: next });
  }
  return { createLeases, writes, moves, replicas };
}
