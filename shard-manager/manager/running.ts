/**
 * A shard-manager candidate wired for a process (`flotilla manager`, or a replica with
 * `--manager`): the lease informer (unless one is shared), the `ShardManager`, the
 * `WorkflowLabeller` while leading, and the manager's metrics:
 * - `flotilla_assignment_computations_total` and `flotilla_shards_held{replica}` per pass;
 * - `flotilla_shard_handovers_total{reason}` / `flotilla_shard_failovers_total` per move written;
 * - `flotilla_shard_{handover,failover}_duration_seconds`: from the move written to the new
 *   owner holding the shard lease (seen through the lease informer).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Metrics } from '../../src/observability/metrics.js';
import { LeaseClient } from '../leases/lease-client.js';
import { LeaseInformer } from '../leases/lease-informer.js';
import type { LeaseSource } from '../leases/lease-source.js';
import type { LeaseTimings } from '../leases/lease-state.js';
import type { ShardLoad } from '../replica/membership.js';
import { shardOfLease } from '../replica/decide.js';
import { ShardManager } from './manager.js';
import { WorkflowLabeller } from './labeller.js';

export interface RunningShardManagerOptions {
  kubeConfig: KubeConfig;
  identity: string;
  fleetNamespace: string;
  shards: readonly string[];
  /** For the labeller (hash strategy). */
  shardCount: number;
  /** @defaultValue DEFAULT_LEASE_TIMINGS */
  timings?: LeaseTimings;
  /** A watched lease cache to share (a replica's); one is started (and stopped) here otherwise. */
  source?: LeaseSource;
  /** @defaultValue 0 */
  joinDelayMs?: number;
  /** @defaultValue undefined (balance shard counts) */
  weighBy?: keyof ShardLoad;
  /** Label Workflows without `flotilla.io/shard` while leading. @defaultValue true */
  labeller?: boolean;
  metrics?: Metrics;
  log?: Logger;
  /** @defaultValue Date.now */
  clock?: () => number;
}

export interface RunningShardManager {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the manager lease. */
  stop(): Promise<void>;
}

interface PendingMove {
  readonly to: string;
  readonly atMs: number;
  readonly failover: boolean;
}

export async function startShardManager(options: RunningShardManagerOptions): Promise<RunningShardManager> {
  const { metrics, log } = options;
  const clock = options.clock ?? Date.now;
  let owned: LeaseInformer | undefined;
  let source = options.source;
  if (!source) {
    owned = new LeaseInformer({ kubeConfig: options.kubeConfig, namespace: options.fleetNamespace });
    await owned.start();
    source = owned;
  }
  const leases = source;
  const pending = new Map<string, PendingMove>();
  const settle = (): void => {
    if (pending.size === 0) return;
    for (const lease of leases.leases()) {
      const shard = shardOfLease(lease);
      if (shard === undefined) continue;
      const move = pending.get(shard);
      if (!move || lease.holderIdentity !== move.to) continue;
      pending.delete(shard);
      const seconds = (clock() - move.atMs) / 1000;
      if (move.failover) metrics?.failoverDuration.observe(seconds);
      else metrics?.handoverDuration.observe(seconds);
    }
  };
  const unwatch = leases.onChange(() => settle());

  const companions = options.labeller === false ? [] : [new WorkflowLabeller({ kubeConfig: options.kubeConfig, shardCount: options.shardCount, onError: (error, key) => log?.warn({ err: String(error), key }, 'labelling failed') })];
  const manager = new ShardManager({
    identity: options.identity,
    leases: new LeaseClient(options.kubeConfig, options.fleetNamespace),
    source: leases,
    shards: options.shards,
    clock,
    whileLeading: companions,
    ...(options.timings ? { timings: options.timings } : {}),
    ...(options.joinDelayMs !== undefined ? { joinDelayMs: options.joinDelayMs } : {}),
    ...(options.weighBy ? { weighBy: options.weighBy } : {}),
    onDecision: () => {
      metrics?.assignmentComputations.inc();
      if (!metrics) return;
      const held = new Map<string, number>();
      for (const lease of leases.leases()) {
        if (shardOfLease(lease) === undefined || !lease.holderIdentity) continue;
        held.set(lease.holderIdentity, (held.get(lease.holderIdentity) ?? 0) + 1);
      }
      metrics.shardsHeld.reset();
      for (const [replica, count] of held) metrics.shardsHeld.set({ replica }, count);
    },
    onMoves: (moves) => {
      const now = clock();
      for (const move of moves) {
        log?.info({ shard: move.shard, from: move.from, to: move.to, reason: move.reason }, 'shard move written');
        if (move.from === undefined) continue; // first assignment of a free shard: not a move between replicas
        const failover = move.reason === 'owner-gone';
        if (failover) metrics?.failoversTotal.inc();
        else metrics?.handoversTotal.inc({ reason: move.reason });
        if (move.to !== undefined) pending.set(move.shard, { to: move.to, atMs: now, failover });
      }
      settle();
    },
    onLeadershipChange: (leading) => log?.info({ identity: options.identity, leading }, leading ? 'leading the fleet' : 'stopped leading'),
    onError: (error) => log?.warn({ err: String(error) }, 'shard manager pass failed'),
  });
  manager.start();
  return {
    isLeader: () => manager.isLeader(),
    stop: async () => {
      unwatch();
      await manager.stop();
      await owned?.stop();
    },
  };
}
