/**
 * The replica side of the handover protocol: turns `decideOwnership` into lease writes and
 * shard starts/stops, one shard at a time, in the order the protocol needs:
 * - release: stop the shard (no new jobs, rounds in flight finish, informers stop) → then clear
 *   `holderIdentity`, so the new owner can never overlap with our last round;
 * - acquire: take `holderIdentity` (bumping `leaseTransitions`) → then start the shard;
 * - lost (someone else holds it, or we are fenced): stop the shard at once, aborting rounds.
 */
import type { LeaseClient } from '../leases/lease-client.js';
import { KubeError } from '../../src/controller/errors.js';
import { observe, type ObservedLease } from '../leases/lease-state.js';
import type { LeaseSource } from '../leases/lease-source.js';
import { MEMBER_LEASE_PREFIX } from '../leases/names.js';
import type { Membership } from '../membership/membership.js';
import { decideOwnership, type OwnershipAction } from './decide.js';

/** What the replica does with a shard; the controller implements it. */
export interface ShardRunner {
  /** Starts informers and the queue worker for the shard (lists it first). */
  startShard(shard: string, epoch: number): Promise<void>;
  /** Stops taking jobs, lets rounds in flight finish (or aborts them when `abort`), stops informers. */
  stopShard(shard: string, options: { abort: boolean }): Promise<void>;
}

export interface OwnershipLoopOptions {
  readonly replica: string;
  readonly leases: LeaseClient;
  readonly source: LeaseSource;
  readonly membership: Membership;
  readonly runner: ShardRunner;
  /** @defaultValue Date.now */
  readonly clock?: () => number;
  /** Re-evaluates this often even without lease events (expiry is a matter of time). @defaultValue 1000 */
  readonly resyncMs?: number;
  readonly onError?: (error: unknown, action: OwnershipAction) => void;
  /** Observability hooks: a shard started or stopped here, with how long the step took. */
  readonly onTransition?: (event: { type: OwnershipAction['type']; shard: string; durationMs: number }) => void;
}

export class OwnershipLoop {
  private readonly running = new Map<string, number>(); // shard → epoch
  private readonly members = new Map<string, ObservedLease>();
  private readonly clock: () => number;
  private busy = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: OwnershipLoopOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Shards running here now, with their epochs. */
  owned(): ReadonlyMap<string, number> {
    return this.running;
  }

  /** The per-round fence: the shard runs here and our membership is provably live. */
  canAct(shard: string, nowMs: number = this.clock()): boolean {
    return this.running.has(shard) && this.options.membership.isLive(nowMs);
  }

  start(): void {
    const unwatch = this.options.source.onChange(() => this.kick());
    // Fencing is enforced the moment it happens, not at the next pass.
    const unfence = this.options.membership.onFenced(() => void this.fence());
    this.unsubscribe = () => {
      unwatch();
      unfence();
    };
    const resync = () => {
      this.kick();
      if (!this.stopped) {
        this.timer = setTimeout(resync, this.options.resyncMs ?? 1000);
        this.timer.unref?.();
      }
    };
    resync();
  }

  /**
   * Stops the loop and every shard. With `release` (the default, a clean shutdown) rounds in
   * flight finish and the leases are given back so the new owners start at once; without it
   * (fenced, or the API server unreachable) rounds are aborted and leases left to expire.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    const release = options.release ?? true;
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe?.();
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    for (const shard of [...this.running.keys()]) {
      await this.options.runner.stopShard(shard, { abort: !release }).catch(() => undefined);
      this.running.delete(shard);
      if (!release) continue;
      const lease = this.options.source.leases().find((l) => l.name === `flotilla-shard-${shard}`);
      if (lease && lease.holderIdentity === this.options.replica) {
        await this.options.leases.update(lease, { holderIdentity: null }).catch(() => undefined);
      }
    }
  }

  /** Fencing: our membership lapsed. Stop every shard now, without touching leases. */
  async fence(): Promise<void> {
    for (const shard of [...this.running.keys()]) {
      this.running.delete(shard);
      await this.options.runner.stopShard(shard, { abort: true }).catch(() => undefined);
    }
  }

  /** Schedules a pass; passes never overlap, and a kick during a pass causes one more. */
  kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.pass().finally(() => {
      this.busy = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pass(): Promise<void> {
    const now = this.clock();
    const all = this.options.source.leases();
    for (const lease of all) {
      if (!lease.name.startsWith(MEMBER_LEASE_PREFIX)) continue;
      const replica = lease.name.slice(MEMBER_LEASE_PREFIX.length);
      this.members.set(replica, observe(this.members.get(replica), lease, now));
    }
    for (const replica of [...this.members.keys()]) {
      if (!all.some((l) => l.name === `${MEMBER_LEASE_PREFIX}${replica}`)) this.members.delete(replica);
    }
    // A fenced replica runs nothing and takes nothing: it could not prove it is alive while acting.
    const live = this.options.membership.isLive(now);
    if (!live) await this.fence();
    const actions = decideOwnership({
      replica: this.options.replica,
      shardLeases: all,
      members: this.members,
      running: new Set(this.running.keys()),
      nowMs: now,
    });
    for (const action of actions) {
      if (!live && (action.type === 'acquire' || action.type === 'resume')) continue;
      const started = this.clock();
      try {
        await this.apply(action);
        this.options.onTransition?.({ type: action.type, shard: action.shard, durationMs: this.clock() - started });
      } catch (error) {
        // A conflict means the lease moved under us: the next pass reads it afresh.
        if (!(error instanceof KubeError && error.code === 'Conflict')) this.options.onError?.(error, action);
        this.again = true;
      }
    }
  }

  /** A shard that failed to start is forgotten, so the next pass resumes it. */
  private async startShard(shard: string, epoch: number): Promise<void> {
    this.running.set(shard, epoch);
    try {
      await this.options.runner.startShard(shard, epoch);
    } catch (error) {
      this.running.delete(shard);
      throw error;
    }
  }

  private async apply(action: OwnershipAction): Promise<void> {
    const { runner, leases } = this.options;
    switch (action.type) {
      case 'release': {
        if (this.running.has(action.shard)) {
          await runner.stopShard(action.shard, { abort: false });
          this.running.delete(action.shard);
        }
        await leases.update(action.lease, { holderIdentity: null });
        return;
      }
      case 'acquire': {
        const now = this.clock();
        const epoch = (action.lease.leaseTransitions ?? 0) + 1;
        await leases.update(action.lease, { holderIdentity: this.options.replica, acquireTimeMs: now, renewTimeMs: now, leaseTransitions: epoch });
        await this.startShard(action.shard, epoch);
        return;
      }
      case 'resume':
        await this.startShard(action.shard, action.epoch);
        return;
      case 'lost': {
        this.running.delete(action.shard);
        await runner.stopShard(action.shard, { abort: true });
        return;
      }
    }
  }
}
