/**
 * The replica side of the handover protocol: turns `decideOwnership` into lease writes and
 * shard starts/stops, one shard at a time, in the order the protocol needs:
 * - release: stop the shard (no new jobs, rounds in flight finish, informers stop) → then clear
 *   `holderIdentity`, so the new owner can never overlap with our last round;
 * - acquire: take `holderIdentity` (bumping `leaseTransitions`) → then start the shard. Taking
 *   over from a holder judged gone (its member lease seen unchanged for a lease duration) first
 *   re-reads that member lease from the server: a cache that lagged (a slow watch) must not make
 *   a live replica look expired;
 * - resume (held by us but not running here: a restart, or live again after a fence): take it
 *   again with the same guarded write (bumping the epoch) → then start. Never from the cache
 *   alone: another replica may be taking the shard over at this moment (it judged our previous
 *   incarnation expired); both writes are guarded by one resourceVersion, so one of them fails;
 * - lost (someone else holds it, or we are fenced): stop the shard at once, aborting rounds.
 *
 * The cache lags our own lease writes: until it shows a write of ours, decisions use what that
 * write returned (else the shard we just acquired would look lost, and be stopped and resumed).
 *
 * A shard is stopped once at a time, whoever asks (a pass, the fence, `stop`): a stop in progress
 * is joined, never skipped. So a release never gives the lease back while a fence's (or a loss's)
 * stop of that shard is still waiting for its rounds, and a shard is never started again before
 * its previous stop here ended.
 */
import { steadyNow } from '../../src/lifecycle/index.js';
import type { LeaseClient } from '../leases/lease-client.js';
import { KubeError } from '../../src/kube/errors.js';
import { epochOf, observe, type LeaseFields, type ObservedLease } from '../leases/lease-state.js';
import type { LeaseSource } from '../leases/lease-source.js';
import { MEMBER_LEASE_PREFIX } from '../leases/names.js';
import type { Membership } from './membership.js';
import { decideOwnership, type OwnershipAction } from './decide.js';

/** What the replica does with a shard; the controller implements it. */
export interface ShardRunner {
  /** Starts informers and the queue worker for the shard (lists it first). */
  startShard(shard: string, epoch: number): Promise<void>;
  /**
   * Stops taking jobs, lets rounds in flight finish (or aborts them when `abort`), stops informers.
   * Must resolve only once no round of the shard runs here any more: the lease is released (or
   * left to expire) on that promise.
   */
  stopShard(shard: string, options: { abort: boolean }): Promise<void>;
}

export interface OwnershipLoopOptions {
  readonly replica: string;
  /** Shard lease writes (resourceVersion-guarded); member lease reads before a takeover. */
  readonly leases: Pick<LeaseClient, 'update' | 'get'>;
  readonly source: LeaseSource;
  /** Whether this replica can prove its membership is live, and when it stops being able to. */
  readonly membership: Pick<Membership, 'isLive' | 'onFenced'>;
  readonly runner: ShardRunner;
  /** @defaultValue steadyNow (never steps with the wall clock) */
  readonly clock?: () => number;
  /** Re-evaluates this often even without lease events (expiry is a matter of time). @defaultValue 1000 */
  readonly resyncMs?: number;
  readonly onError?: (error: unknown, action: OwnershipAction) => void;
  /** A step's guarded lease write met a newer version (409): someone else wrote first; nothing was done. */
  readonly onConflict?: (action: OwnershipAction) => void;
  /** Observability hooks: a shard started or stopped here, with how long the step took. */
  readonly onTransition?: (event: { type: OwnershipAction['type']; shard: string; durationMs: number }) => void;
}

export class OwnershipLoop {
  private readonly running = new Map<string, number>(); // shard → epoch
  /** Stops in progress, by shard (a shard leaves `running` before or after its stop, see callers). */
  private readonly stopping = new Map<string, Promise<void>>();
  /** Our last write per shard lease, until the cache shows it: the version it replaced, what it wrote. */
  private readonly ownWrites = new Map<string, { replaced: string | undefined; written: LeaseFields }>();
  private readonly members = new Map<string, ObservedLease>();
  private readonly clock: () => number;
  private busy = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: OwnershipLoopOptions) {
    this.clock = options.clock ?? steadyNow;
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
    // Every shard at once: a shutdown's time to released leases is one shard's stop, not their sum.
    await Promise.all(
      [...this.running.keys()].map(async (shard) => {
        await this.stopShard(shard, { abort: !release }).catch(() => undefined);
        this.running.delete(shard);
        if (!release) return;
        const lease = this.withOwnWrites(this.options.source.leases()).find(
          (l) => l.name === `flotilla-shard-${shard}`,
        );
        if (lease && lease.holderIdentity === this.options.replica)
          await this.write(lease, { holderIdentity: null }).catch(() => undefined);
      }),
    );
    // A fence's stops may still be waiting for their rounds.
    await this.stopsEnded();
  }

  /**
   * Fencing: our membership lapsed. Stop every shard now (all at once: the margin before others
   * may see our lease expired is short), without touching leases. Resolves when they stopped.
   */
  async fence(): Promise<void> {
    const stops = [...this.running.keys()].map((shard) => {
      this.running.delete(shard);
      return this.stopShard(shard, { abort: true }).catch(() => undefined);
    });
    await Promise.all(stops);
  }

  /**
   * The one way a shard is stopped here: a stop of `shard` already in progress is joined (its
   * rounds may still run: the caller must wait for them too), else the runner's stop begins.
   */
  private stopShard(shard: string, options: { abort: boolean }): Promise<void> {
    const current = this.stopping.get(shard);
    if (current) return current;
    const stop = this.options.runner.stopShard(shard, options).finally(() => {
      if (this.stopping.get(shard) === stop) this.stopping.delete(shard);
    });
    this.stopping.set(shard, stop);
    return stop;
  }

  /** Resolves when no stop of any shard is in progress (their failures are the callers' to report). */
  private async stopsEnded(): Promise<void> {
    while (this.stopping.size > 0)
      await Promise.all([...this.stopping.values()].map((stop) => stop.catch(() => undefined)));
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
      shardLeases: this.withOwnWrites(all),
      members: this.members,
      running: new Set(this.running.keys()),
      nowMs: now,
    });
    for (const action of actions) {
      // Live is judged again per action: the fence may have fired during an earlier one.
      if (
        (action.type === 'acquire' || action.type === 'resume') &&
        !(live && this.options.membership.isLive(this.clock()))
      )
        continue;
      const started = this.clock();
      try {
        if (await this.apply(action))
          this.options.onTransition?.({ type: action.type, shard: action.shard, durationMs: this.clock() - started });
      } catch (error) {
        // A conflict means the lease moved under us: the watch brings the newer version, and with
        // it the next pass. Other failures are retried by the resync. (No pass at once: that would
        // spin on a cache that has not caught up yet.)
        if (error instanceof KubeError && error.code === 'Conflict') this.options.onConflict?.(action);
        else this.options.onError?.(error, action);
      }
    }
  }

  /**
   * The cached leases, with our own writes the cache does not show yet. Our writes are guarded, so
   * a shard lease's history runs through the version a write replaced to the one it wrote: a cache
   * still at the replaced version lags us; at any other version it has caught up (or gone past).
   */
  private withOwnWrites(all: readonly LeaseFields[]): LeaseFields[] {
    const names = new Set(all.map((lease) => lease.name));
    for (const name of this.ownWrites.keys()) if (!names.has(name)) this.ownWrites.delete(name);
    return all.map((lease) => {
      const own = this.ownWrites.get(lease.name);
      if (!own) return lease;
      if (lease.resourceVersion === own.replaced) return own.written;
      this.ownWrites.delete(lease.name);
      return lease;
    });
  }

  /** A guarded write of a shard lease, remembered until the cache shows it. */
  private async write(lease: LeaseFields, write: Parameters<LeaseClient['update']>[1]): Promise<void> {
    const written = await this.options.leases.update(lease, write);
    this.ownWrites.set(lease.name, { replaced: lease.resourceVersion, written });
  }

  /**
   * Before taking over from `holder` (judged gone from the cache): its member lease as the server
   * has it now. Unchanged since our observation (or deleted), it really lapsed; changed, the cache
   * lagged and the holder may be acting: no takeover (the next pass observes the renewal).
   */
  private async holderStillGone(holder: string): Promise<boolean> {
    const observed = this.members.get(holder);
    if (!observed) return true;
    const current = await this.options.leases.get(`${MEMBER_LEASE_PREFIX}${holder}`);
    return (
      current === undefined ||
      (current.resourceVersion === observed.lease.resourceVersion &&
        current.holderIdentity === observed.lease.holderIdentity)
    );
  }

  /** A shard that failed to start is forgotten, so the next pass resumes it. */
  private async startShard(shard: string, epoch: number): Promise<void> {
    // Never two runs of one shard here: the previous one (fenced, lost) must have ended.
    const previous = this.stopping.get(shard);
    if (previous) await previous.catch(() => undefined);
    this.running.set(shard, epoch);
    try {
      await this.options.runner.startShard(shard, epoch);
    } catch (error) {
      this.running.delete(shard);
      throw error;
    }
  }

  /** Carries out one action; false when it turned out there was nothing to do yet. */
  private async apply(action: OwnershipAction): Promise<boolean> {
    const me = this.options.replica;
    switch (action.type) {
      case 'release': {
        // Running: stop it, letting rounds finish (it stays in `running`, so they pass the fence,
        // until they ended). Not running but stopping (fenced, or lost a moment ago): that stop's
        // rounds must end too before the lease goes back.
        if (this.running.has(action.shard) || this.stopping.has(action.shard)) {
          await this.stopShard(action.shard, { abort: false });
          this.running.delete(action.shard);
        }
        await this.write(action.lease, { holderIdentity: null });
        return true;
      }
      case 'acquire':
      case 'resume': {
        const holder = action.lease.holderIdentity;
        // Not gone after all: the watch brings its renewal (and a pass) soon.
        if (action.type === 'acquire' && holder && holder !== me && !(await this.holderStillGone(holder))) return false;
        const now = this.clock();
        const epoch = epochOf(action.lease) + 1;
        await this.write(action.lease, {
          holderIdentity: me,
          acquireTimeMs: now,
          renewTimeMs: now,
          leaseTransitions: epoch,
        });
        await this.startShard(action.shard, epoch);
        return true;
      }
      case 'lost': {
        this.running.delete(action.shard);
        await this.stopShard(action.shard, { abort: true });
        return true;
      }
    }
  }
}
