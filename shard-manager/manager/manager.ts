/**
 * The shard manager: campaigns for `flotilla-manager`; while leading, keeps every shard lease
 * present and its intended owner (`flotilla.io/assigned-to`) right, by `decideManager` over the
 * watched leases. Runs standalone (`flotilla manager`) or inside replicas (`--manager`); any
 * number of candidates, one leader.
 */
import { steadyNow } from '../../src/lifecycle/index.js';
import type { LeaseClient } from '../leases/lease-client.js';
import { KubeError } from '../../src/kube/errors.js';
import { DEFAULT_LEASE_TIMINGS, observe, type LeaseTimings, type ObservedLease } from '../leases/lease-state.js';
import type { LeaseSource } from '../leases/lease-source.js';
import { ASSIGNED_TO_ANNOTATION, MANAGER_LEASE_NAME, MEMBER_LEASE_PREFIX, shardLeaseName } from '../leases/names.js';
import { LeaderElector } from './leader-elector.js';
import { LOAD_ANNOTATION, parseLoad, type ShardLoad } from '../replica/membership.js';
import type { Move } from './assign.js';
import { decideManager, type ManagerDecision } from './decide.js';

export interface ShardManagerOptions {
  readonly identity: string;
  readonly leases: LeaseClient;
  readonly source: LeaseSource;
  /** Every shard of the fleet. */
  readonly shards: readonly string[];
  /** @defaultValue DEFAULT_LEASE_TIMINGS */
  readonly timings?: LeaseTimings;
  /** A replica gets shards only this long after it joined. @defaultValue 0 */
  readonly joinDelayMs?: number;
  /** Balance by a load figure replicas publish instead of by shard counts. @defaultValue undefined (counts) */
  /** A gauge of the load (not `rounds`, a counter). */
  readonly weighBy?: Exclude<keyof ShardLoad, 'rounds'>;
  /** @defaultValue steadyNow (never steps with the wall clock) */
  readonly clock?: () => number;
  /** Re-evaluates this often without lease events (member expiry is a matter of time). @defaultValue 500 */
  readonly resyncMs?: number;
  readonly onDecision?: (decision: ManagerDecision) => void;
  readonly onMoves?: (moves: readonly Move[]) => void;
  readonly onLeadershipChange?: (leading: boolean) => void;
  /** Runs while this manager leads, e.g. the Workflow labeller. */
  readonly whileLeading?: readonly { start(): Promise<void>; stop(): Promise<void> }[];
  readonly onError?: (error: unknown) => void;
}

export class ShardManager {
  private readonly elector: LeaderElector;
  private readonly members = new Map<string, ObservedLease>();
  private readonly clock: () => number;
  private leading: AbortSignal | undefined;
  private busy = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ShardManagerOptions) {
    this.clock = options.clock ?? steadyNow;
    this.elector = new LeaderElector({
      leases: options.leases,
      leaseName: MANAGER_LEASE_NAME,
      identity: options.identity,
      timings: options.timings ?? DEFAULT_LEASE_TIMINGS,
      clock: this.clock,
      onStartedLeading: (signal) => this.lead(signal),
      onStoppedLeading: () => options.onLeadershipChange?.(false),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  start(signal?: AbortSignal): void {
    this.unsubscribe = this.options.source.onChange(() => this.kick());
    this.elector.start(signal);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.unsubscribe?.();
    await this.elector.stop();
    await Promise.all((this.options.whileLeading ?? []).map((companion) => companion.stop().catch(() => undefined)));
  }

  private lead(signal: AbortSignal): void {
    this.leading = signal;
    this.members.clear(); // a new leader observes expiry from scratch: never trust old sightings
    this.options.onLeadershipChange?.(true);
    const resync = () => {
      if (signal.aborted) return;
      this.kick();
      this.timer = setTimeout(resync, this.options.resyncMs ?? 500);
      this.timer.unref?.();
    };
    const companions = this.options.whileLeading ?? [];
    for (const companion of companions) companion.start().catch((error: unknown) => this.options.onError?.(error));
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(this.timer);
        for (const companion of companions) companion.stop().catch((error: unknown) => this.options.onError?.(error));
      },
      { once: true },
    );
    resync();
  }

  kick(): void {
    if (!this.leading || this.leading.aborted) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.pass()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pass(): Promise<void> {
    const now = this.clock();
    const all = this.options.source.leases();
    const present = new Set<string>();
    const weights = new Map<string, number>();
    for (const lease of all) {
      if (!lease.name.startsWith(MEMBER_LEASE_PREFIX)) continue;
      const replica = lease.name.slice(MEMBER_LEASE_PREFIX.length);
      present.add(replica);
      this.members.set(replica, observe(this.members.get(replica), lease, now));
      const weighBy = this.options.weighBy;
      if (weighBy)
        for (const [shard, load] of parseLoad(lease.annotations?.[LOAD_ANNOTATION])) weights.set(shard, load[weighBy]);
    }
    for (const replica of [...this.members.keys()]) if (!present.has(replica)) this.members.delete(replica);

    const decision = decideManager({
      shards: this.options.shards,
      shardLeases: all,
      members: this.members,
      nowMs: now,
      ...(this.options.joinDelayMs !== undefined ? { joinDelayMs: this.options.joinDelayMs } : {}),
      ...(this.options.weighBy ? { weights } : {}),
    });
    this.options.onDecision?.(decision);
    for (const shard of decision.createLeases) {
      if (!this.isLeader()) return;
      try {
        await this.options.leases.create(shardLeaseName(shard), 'shard', { leaseTransitions: 0 });
      } catch (error) {
        if (!(error instanceof KubeError && error.code === 'AlreadyExists')) throw error;
      }
    }
    if (decision.createLeases.length > 0) this.again = true;
    const written: Move[] = [];
    for (const write of decision.writes) {
      // Re-check leadership before each write: a deposed leader must not keep assigning.
      if (!this.isLeader()) return;
      try {
        await this.options.leases.update(write.lease, { annotations: { [ASSIGNED_TO_ANNOTATION]: write.assignTo } });
        const move = decision.moves.find((m) => m.shard === write.shard);
        if (move) written.push(move);
      } catch (error) {
        if (error instanceof KubeError && error.code === 'Conflict') this.again = true;
        else throw error;
      }
    }
    if (written.length > 0) this.options.onMoves?.(written);
  }
}
