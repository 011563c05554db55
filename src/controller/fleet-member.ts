/**
 * A replica as a member of the fleet (DESIGN.md §4): it joins (member lease, renewed with the
 * per-shard load), runs the ownership loop over the `Replica` (shard ids are the decimal hash
 * shard numbers) and, with `manager`, is also a shard-manager candidate that labels unlabelled
 * Workflows while it leads.
 *
 * Start order: lease informer (first list) → membership (the first renewal must land) →
 * ownership loop → manager candidate. Stop order is the reverse. The Replica itself is created
 * and stopped by the caller; its `canRun` option should call `member.canRun(n)`, the per-round
 * fence (the shard runs here and our membership is provably live).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { Replica } from './replica.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { LeaseInformer } from '../../shard-manager/leases/lease-informer.js';
import { DEFAULT_LEASE_TIMINGS, type LeaseTimings } from '../../shard-manager/leases/lease-state.js';
import { Membership, type ShardLoad } from '../../shard-manager/replica/membership.js';
import { OwnershipLoop, type ShardRunner } from '../../shard-manager/replica/ownership-loop.js';
import { hashShardIds } from '../../shard-manager/sharding/hash.js';
import { startShardManager, type RunningShardManager } from '../../shard-manager/manager/running.js';

export interface FleetMemberOptions {
  kubeConfig: KubeConfig;
  replica: Replica;
  /** This replica's id: its member lease is `flotilla-member-<replicaId>`. */
  replicaId: string;
  /** Where the fleet's leases live. */
  fleetNamespace: string;
  /** Hash shards of the fleet (fixed for its life). */
  shardCount: number;
  /** Also run a shard-manager candidate (leader-elected). */
  manager: boolean;
  /** @defaultValue DEFAULT_LEASE_TIMINGS (6 s lease, 2 s renew, 1.5 s margin) */
  timings?: LeaseTimings;
  /** Manager only: a replica gets shards this long after it joined. @defaultValue 0 */
  joinDelayMs?: number;
  metrics?: Metrics;
  logger?: Logger;
  /** How long a planned release lets rounds in flight finish. @defaultValue 10000 */
  releaseGraceMs?: number;
}

export interface FleetMember {
  /** The per-round fence: `shard` runs here and this replica can prove its membership is live. */
  canRun(shard: number): boolean;
  /** `release: true`: rounds finish, shard leases released, member lease deleted. `false`: fenced shutdown. */
  stop(options: { release: boolean }): Promise<void>;
  /** `true` when live and every running shard's informers synced; else why not. */
  ready(): true | string;
}

/** Sums `flotilla_workflows{shard,phase}` per shard (the replica fills it from its informer caches). */
async function workflowsPerShard(metrics: Metrics | undefined): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (!metrics) return counts;
  const { values } = await metrics.workflowsByPhase.get();
  for (const value of values) {
    const shard = value.labels.shard;
    if (shard !== undefined) counts.set(String(shard), (counts.get(String(shard)) ?? 0) + value.value);
  }
  return counts;
}

export async function startFleetMember(options: FleetMemberOptions): Promise<FleetMember> {
  const { replica, replicaId, metrics } = options;
  const timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
  const log = options.logger ?? pino({ name: 'fleet-member', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const graceMs = options.releaseGraceMs ?? 10_000;
  const leases = new LeaseClient(options.kubeConfig, options.fleetNamespace);
  const source = new LeaseInformer({ kubeConfig: options.kubeConfig, namespace: options.fleetNamespace });
  await source.start();

  // Membership publishes the load synchronously: it is refreshed in the background between renewals.
  let load: Record<string, ShardLoad> = {};
  let loadTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const refreshLoad = async (): Promise<void> => {
    const workflows = await workflowsPerShard(metrics).catch(() => new Map<string, number>());
    const next: Record<string, ShardLoad> = {};
    for (const shard of replica.shards()) {
      const counts = await replica.counts(shard).catch(() => undefined);
      next[String(shard)] = { workflows: workflows.get(String(shard)) ?? 0, queueDepth: counts ? counts.waiting + counts.delayed : 0 };
    }
    load = next;
  };
  const scheduleLoad = (): void => {
    if (stopped) return;
    loadTimer = setTimeout(() => void refreshLoad().finally(scheduleLoad), timings.renewIntervalMs);
    loadTimer.unref?.();
  };

  const membership = new Membership({
    leases,
    replica: replicaId,
    timings,
    load: () => load,
    onRenewFailure: (error) => {
      metrics?.leaseRenewFailures.inc();
      log.warn({ err: String(error), replica: replicaId }, 'member lease renewal failed');
    },
    onFenced: () => log.warn({ replica: replicaId }, 'fenced: membership could not be proven, every shard stops'),
    onUnfenced: () => log.info({ replica: replicaId }, 'membership renewed'),
  });
  const runner: ShardRunner = {
    startShard: (shard) => replica.startShard(Number(shard)),
    stopShard: (shard, { abort }) => replica.stopShard(Number(shard), { graceMs: abort ? 0 : graceMs }),
  };
  const loop = new OwnershipLoop({
    replica: replicaId,
    leases,
    source,
    membership,
    runner,
    resyncMs: Math.min(1000, timings.renewIntervalMs),
    onError: (error, action) => log.error({ err: String(error), action: action.type, shard: action.shard }, 'ownership step failed'),
    // E.g. a restarted replica's resume meeting the takeover of another that saw it gone.
    onConflict: (action) => log.info({ action: action.type, shard: action.shard }, 'ownership step lost a lease write race (409); nothing done, deciding again from the newer lease'),
    onTransition: ({ type, shard, durationMs }) => {
      metrics?.shardTransitions.inc({ type });
      metrics?.shardTransitionDuration.observe({ type }, durationMs / 1000);
      log.info({ type, shard, durationMs }, 'shard ownership step');
    },
  });

  let manager: RunningShardManager | undefined;
  try {
    await membership.start();
    scheduleLoad();
    loop.start();
    if (options.manager) {
      manager = await startShardManager({
        kubeConfig: options.kubeConfig,
        identity: replicaId,
        fleetNamespace: options.fleetNamespace,
        shards: hashShardIds(options.shardCount),
        shardCount: options.shardCount,
        timings,
        source,
        log,
        ...(options.joinDelayMs !== undefined ? { joinDelayMs: options.joinDelayMs } : {}),
        ...(metrics ? { metrics } : {}),
      });
    }
  } catch (error) {
    stopped = true;
    clearTimeout(loadTimer);
    await loop.stop({ release: true });
    await membership.stop({ leave: true });
    await source.stop();
    throw error;
  }

  return {
    canRun: (shard) => loop.canAct(String(shard)),
    ready: () => {
      if (!membership.isLive()) return `replica ${replicaId} cannot prove its membership`;
      return replica.ready();
    },
    stop: async ({ release }) => {
      if (stopped) return;
      stopped = true;
      clearTimeout(loadTimer);
      await manager?.stop();
      if (release) {
        await loop.stop({ release: true });
        await membership.stop({ leave: true });
      } else {
        // Fenced shutdown: stop renewing first, abort rounds, leave every lease to expire.
        await membership.stop({ leave: false });
        await loop.stop({ release: false });
      }
      await source.stop();
    },
  };
}
