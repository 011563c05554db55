/**
 * A shard-manager candidate wired for a process (`flotilla manager`, or a replica with
 * `--manager`), as one lifecycle component (`lease` stage: it campaigns for the manager lease)
 * over the process's lease cache (a `cache` component of its own, started first): the
 * `ShardManager`, the `WorkflowLabeller` while leading, and the manager's metrics:
 * - `leader_election_master_status{name="flotilla-manager"}`: 1 while leading, else 0;
 * - `flotilla_assignment_computations_total`, `flotilla_shards_held{replica}` and
 *   `flotilla_shards_without_owner` per pass (the gauges are dropped when leadership ends);
 * - `flotilla_shard_handovers_total{reason}` / `flotilla_shard_failovers_total` per move written;
 * - `flotilla_shard_{handover,failover}_duration_seconds`: from the move written to the new
 *   owner holding the shard lease (seen through the lease informer).
 */
import { steadyNow } from '../../src/lifecycle/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Component } from '../../src/lifecycle/index.js';
import type { ManagerMetrics } from './metrics.js';
import { LeaseClient } from '../leases/lease-client.js';
import type { LeaseSource } from '../leases/lease-source.js';
import type { LeaseTimings } from '../leases/lease-state.js';
import type { ShardLoad } from '../replica/membership.js';
import { shardOfLease } from '../replica/decide.js';
import { MANAGER_LEASE_NAME } from '../leases/names.js';
import { ShardManager } from './manager.js';
import { WorkflowLabeller } from './labeller.js';

export interface ShardManagerCandidateOptions {
  kubeConfig: KubeConfig;
  identity: string;
  fleetNamespace: string;
  shards: readonly string[];
  /** For the labeller (hash strategy). */
  shardCount: number;
  /** @defaultValue DEFAULT_LEASE_TIMINGS */
  timings?: LeaseTimings;
  /** The fleet's watched lease cache; the caller starts it before this and stops it after. */
  source: LeaseSource;
  /** @defaultValue 0 */
  joinDelayMs?: number;
  /** @defaultValue undefined (balance shard counts) */
  weighBy?: Exclude<keyof ShardLoad, 'rounds'>;
  /** Label Workflows without `flotilla.io/shard` while leading. @defaultValue true */
  labeller?: boolean;
  metrics?: ManagerMetrics;
  log?: Logger;
  /** @defaultValue steadyNow (never steps with the wall clock) */
  clock?: () => number;
}

interface PendingMove {
  readonly to: string;
  readonly atMs: number;
  readonly failover: boolean;
}

export class ShardManagerCandidate implements Component {
  readonly name = 'shard-manager candidate';
  readonly stage = 'lease' as const;
  private readonly manager: ShardManager;
  private readonly leases: LeaseSource;
  private readonly pending = new Map<string, PendingMove>();
  private readonly clock: () => number;
  private unwatch: (() => void) | undefined;

  constructor(private readonly options: ShardManagerCandidateOptions) {
    const { metrics, log } = options;
    const clock = options.clock ?? steadyNow;
    this.clock = clock;
    const leases = options.source;
    this.leases = leases;
    const pending = this.pending;
    const companions =
      options.labeller === false
        ? []
        : [
            new WorkflowLabeller({
              kubeConfig: options.kubeConfig,
              shardCount: options.shardCount,
              onError: (error, key) => log?.warn({ err: String(error), key }, 'labelling failed'),
            }),
          ];
    this.manager = new ShardManager({
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
        const owned = new Set<string>();
        for (const lease of leases.leases()) {
          const shard = shardOfLease(lease);
          if (shard === undefined || !lease.holderIdentity) continue;
          owned.add(shard);
          held.set(lease.holderIdentity, (held.get(lease.holderIdentity) ?? 0) + 1);
        }
        metrics.shardsHeld.reset();
        for (const [replica, count] of held) metrics.shardsHeld.set({ replica }, count);
        metrics.shardsWithoutOwner.set(options.shards.filter((shard) => !owned.has(shard)).length);
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
        this.settle();
      },
      onLeadershipChange: (leading) => {
        log?.info({ identity: options.identity, leading }, leading ? 'leading the fleet' : 'stopped leading');
        metrics?.leaderStatus.set({ name: MANAGER_LEASE_NAME }, leading ? 1 : 0);
        // Only the leader's view of the shards is current: a standby exports none.
        if (!leading) {
          metrics?.shardsHeld.reset();
          metrics?.shardsWithoutOwner.reset();
        }
      },
      onError: (error) => log?.warn({ err: String(error) }, 'shard manager pass failed'),
    });
  }

  isLeader(): boolean {
    return this.manager.isLeader();
  }

  /** Starts campaigning (resolves at once: leading comes later, or never). */
  async start(): Promise<void> {
    this.options.metrics?.leaderStatus.set({ name: MANAGER_LEASE_NAME }, 0);
    this.unwatch = this.leases.onChange(() => this.settle());
    this.manager.start();
  }

  /** Stops campaigning; a leader releases the manager lease. */
  async stop(): Promise<void> {
    this.unwatch?.();
    await this.manager.stop();
  }

  /** Observes the handover or failover durations of the moves that have landed. */
  private settle(): void {
    const { metrics } = this.options;
    if (this.pending.size === 0) return;
    for (const lease of this.leases.leases()) {
      const shard = shardOfLease(lease);
      if (shard === undefined) continue;
      const move = this.pending.get(shard);
      if (!move || lease.holderIdentity !== move.to) continue;
      this.pending.delete(shard);
      const seconds = (this.clock() - move.atMs) / 1000;
      if (move.failover) metrics?.failoverDuration.observe(seconds);
      else metrics?.handoverDuration.observe(seconds);
    }
  }
}
