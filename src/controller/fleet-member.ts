/**
 * A replica as a member of the fleet (DESIGN.md §4): it joins (member lease, renewed with the
 * per-shard load) and runs the ownership loop over the `Replica` (shard ids are the decimal hash
 * shard numbers). Being a shard-manager candidate as well is composed beside it by the process
 * wiring (`flotilla controller --manager`), not here: the controller knows only the replica side.
 *
 * Its parts are lifecycle components: the fleet's lease cache (`cache`, only when none is given),
 * the membership (`lease`: the first renewal must land) and the ownership loop (`worker`); a
 * `Lifecycle` starts them in that order and stops them in reverse, which is the graceful stop
 * (rounds finish, shard leases released, member lease deleted). `stopFenced()` is the other stop.
 * The Replica itself is created and stopped by the caller; its `canRun` option should call
 * `member.canRun(n)`, the per-round fence (the shard runs here and our membership is provably live).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { component, type Component } from '../lifecycle/index.js';
import type { Metrics } from '../observability/metrics.js';
import type { Replica } from './replica.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { LeaseInformer, leaseCacheComponent } from '../../shard-manager/leases/lease-informer.js';
import type { LeaseSource } from '../../shard-manager/leases/lease-source.js';
import { DEFAULT_LEASE_TIMINGS, type LeaseTimings } from '../../shard-manager/leases/lease-state.js';
import { Membership, type ShardLoad } from '../../shard-manager/replica/membership.js';
import { OwnershipLoop, type ShardRunner } from '../../shard-manager/replica/ownership-loop.js';

export interface FleetMemberOptions {
  kubeConfig: KubeConfig;
  replica: Replica;
  /** This replica's id: its member lease is `flotilla-member-<replicaId>`. */
  replicaId: string;
  /** Where the fleet's leases live. */
  fleetNamespace: string;
  /**
   * The fleet's lease cache, when the process shares one (with a manager candidate) and runs it
   * as its own component. @defaultValue one of its own, among `components`
   */
  source?: LeaseSource;
  /** @defaultValue DEFAULT_LEASE_TIMINGS (6 s lease, 2 s renew, 1.5 s margin) */
  timings?: LeaseTimings;
  metrics?: Metrics;
  logger?: Logger;
  /**
   * How long a planned release (a handover, a shutdown) lets rounds in flight finish before they
   * are aborted and their jobs handed to the next owner. Short, so a SIGTERM releases its leases
   * within 5 s: a round takes milliseconds, and an aborted one is run again by the next owner.
   * @defaultValue 3000
   */
  releaseGraceMs?: number;
}

export class FleetMember {
  /** In start order: lease cache (when owned), membership, ownership loop. */
  readonly components: readonly Component[];
  private readonly membership: Membership;
  private readonly loop: OwnershipLoop;
  private readonly replicaId: string;
  private readonly replica: Replica;
  // Membership publishes the load synchronously: it is refreshed in the background between renewals.
  private load: Record<string, ShardLoad> = {};
  private loadTimer: NodeJS.Timeout | undefined;
  private loadStopped = false;
  /** Set by a fenced stop: the components' graceful stops must then write nothing. */
  private fenced = false;

  constructor(options: FleetMemberOptions) {
    const { replica, replicaId, metrics } = options;
    this.replica = replica;
    this.replicaId = replicaId;
    const timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
    const log =
      options.logger ??
      pino({ name: 'fleet-member', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const graceMs = options.releaseGraceMs ?? 3_000;
    const leases = new LeaseClient(options.kubeConfig, options.fleetNamespace);
    let owned: LeaseInformer | undefined;
    let source = options.source;
    if (!source) {
      owned = new LeaseInformer({ kubeConfig: options.kubeConfig, namespace: options.fleetNamespace });
      source = owned;
    }

    this.membership = new Membership({
      leases,
      replica: replicaId,
      timings,
      load: () => this.load,
      onRenewFailure: (error) => {
        metrics?.leaseRenewFailures.inc();
        log.warn({ err: String(error), replica: replicaId }, 'member lease renewal failed');
      },
      onFenced: () => log.warn({ replica: replicaId }, 'fenced: membership could not be proven, every shard stops'),
      onUnfenced: () => log.info({ replica: replicaId }, 'membership renewed'),
    });
    const runner: ShardRunner = {
      startShard: (shard, epoch) => replica.startShard(Number(shard), epoch),
      stopShard: (shard, { abort }) => replica.stopShard(Number(shard), { graceMs: abort ? 0 : graceMs }),
    };
    this.loop = new OwnershipLoop({
      replica: replicaId,
      leases,
      source,
      membership: this.membership,
      runner,
      resyncMs: Math.min(1000, timings.renewIntervalMs),
      onError: (error, action) =>
        log.error({ err: String(error), action: action.type, shard: action.shard }, 'ownership step failed'),
      // E.g. a restarted replica's resume meeting the takeover of another that saw it gone.
      onConflict: (action) =>
        log.info(
          { action: action.type, shard: action.shard },
          'ownership step lost a lease write race (409); nothing done, deciding again from the newer lease',
        ),
      onTransition: ({ type, shard, durationMs }) => {
        metrics?.shardTransitions.inc({ type });
        metrics?.shardTransitionDuration.observe({ type }, durationMs / 1000);
        log.info({ type, shard, durationMs }, 'shard ownership step');
      },
    });

    const scheduleLoad = (): void => {
      if (this.loadStopped) return;
      this.loadTimer = setTimeout(() => void this.refreshLoad().finally(scheduleLoad), timings.renewIntervalMs);
      this.loadTimer.unref?.();
    };
    this.components = [
      ...(owned ? [leaseCacheComponent(owned)] : []),
      component({
        name: 'fleet membership',
        stage: 'lease',
        // No abort signal: Membership treats an abort as leaving, which must wait for the workers' stop.
        start: async () => {
          try {
            await this.membership.start();
          } catch (error) {
            await this.membership.stop({ leave: true });
            throw error;
          }
          scheduleLoad();
        },
        stop: async () => {
          this.stopLoad();
          if (!this.fenced) await this.membership.stop({ leave: true });
        },
      }),
      component({
        name: 'shard ownership',
        stage: 'worker',
        start: () => this.loop.start(),
        stop: async () => {
          if (!this.fenced) await this.loop.stop({ release: true });
        },
      }),
    ];
  }

  /** The per-round fence: `shard` runs here and this replica can prove its membership is live. */
  canRun(shard: number): boolean {
    return this.loop.canAct(String(shard));
  }

  /** `true` when live and every running shard's informers synced; else why not. */
  ready(): true | string {
    if (!this.membership.isLive()) return `replica ${this.replicaId} cannot prove its membership`;
    return this.replica.ready();
  }

  /**
   * Fenced shutdown: stop renewing first, abort rounds, leave every lease to expire. The
   * components' stops then only stop the lease cache (when owned).
   */
  async stopFenced(): Promise<void> {
    if (this.fenced) return;
    this.fenced = true;
    this.stopLoad();
    await this.membership.stop({ leave: false });
    await this.loop.stop({ release: false });
  }

  private stopLoad(): void {
    this.loadStopped = true;
    clearTimeout(this.loadTimer);
  }

  private async refreshLoad(): Promise<void> {
    const workflows = this.replica.workflowsByShard();
    const next: Record<string, ShardLoad> = {};
    for (const shard of this.replica.shards()) {
      const counts = await this.replica.counts(shard).catch(() => undefined);
      next[String(shard)] = {
        workflows: workflows.get(shard) ?? 0,
        queueDepth: counts ? counts.waiting + counts.delayed : 0,
        rounds: this.replica.roundsByShard().get(shard) ?? 0,
      };
    }
    this.load = next;
  }
}
