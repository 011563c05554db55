/**
 * A replica's membership: it creates and renews `flotilla-member-<replica>` and knows, by its
 * own clock, until when it may act (`fenceDeadlineMs`). When a renewal cannot land in time the
 * replica is fenced: `onFenced` fires and every shard must stop before others could see the
 * lease expire. A later successful renewal un-fences it (`onUnfenced`), and the shard manager
 * and the ownership loop decide afresh what it owns.
 *
 * Writes: one lease update per renew interval, whatever the shard count (shard leases are
 * written only when ownership changes). The member lease also carries the replica's per-shard
 * load in an annotation, so the manager can weigh shards without another channel.
 */
import { steadyNow } from '../../src/lifecycle/index.js';
import type { LeaseClient } from '../leases/lease-client.js';
import { KubeError } from '../../src/kube/errors.js';
import {
  DEFAULT_LEASE_TIMINGS,
  selfFenceDeadline,
  type LeaseFields,
  type LeaseTimings,
} from '../leases/lease-state.js';
import { memberLeaseName } from '../leases/names.js';

// The load annotation is the lease protocol's (the manager and the console read it too).
export { LOAD_ANNOTATION, parseLoad, type ShardLoad } from '../leases/load.js';
import { LOAD_ANNOTATION, type ShardLoad } from '../leases/load.js';

export interface MembershipOptions {
  readonly leases: Pick<LeaseClient, 'get' | 'create' | 'update' | 'delete'>;
  readonly replica: string;
  /** @defaultValue DEFAULT_LEASE_TIMINGS */
  readonly timings?: LeaseTimings;
  /** @defaultValue steadyNow (never steps with the wall clock) */
  readonly clock?: () => number;
  /** The replica can no longer prove it is live: stop acting on every shard now. */
  readonly onFenced?: () => void;
  readonly onUnfenced?: () => void;
  /** Per-shard load to publish with each renewal. */
  readonly load?: () => Record<string, ShardLoad>;
  readonly onRenewFailure?: (error: unknown) => void;
}

export class Membership {
  private readonly timings: LeaseTimings;
  private readonly clock: () => number;
  private lease: LeaseFields | undefined;
  private lastRenewedAtMs = Number.NEGATIVE_INFINITY;
  private fenced = true;
  private timer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly fenceListeners = new Set<() => void>();

  constructor(private readonly options: MembershipOptions) {
    this.timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
    this.clock = options.clock ?? steadyNow;
  }

  get replica(): string {
    return this.options.replica;
  }

  /** Until when (own clock) this replica may act; -Infinity before the first renewal. */
  get fenceDeadlineMs(): number {
    return selfFenceDeadline(this.lastRenewedAtMs, this.timings.leaseDurationMs, this.timings.safetyMarginMs);
  }

  /** True while this replica may act on the shards it holds. */
  isLive(nowMs: number = this.clock()): boolean {
    return nowMs < this.fenceDeadlineMs;
  }

  /** Calls `listener` every time this replica becomes fenced; returns an unsubscribe function. */
  onFenced(listener: () => void): () => void {
    this.fenceListeners.add(listener);
    return () => this.fenceListeners.delete(listener);
  }

  /** Joins the fleet: the first renewal must succeed before this resolves. */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    await this.renew();
    if (!this.isLive())
      throw new KubeError(
        'Unavailable',
        `${memberLeaseName(this.replica)}: could not join the fleet: the first member-lease renewal failed`,
      );
    this.schedule();
  }

  /** Leaves the fleet: deletes the member lease so the manager reassigns at once. */
  async stop(options: { leave?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.fenceTimer);
    if (options.leave ?? true) await this.options.leases.delete(memberLeaseName(this.replica)).catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.renew().finally(() => this.schedule());
    }, this.timings.renewIntervalMs);
    this.timer.unref?.();
  }

  /** One renewal attempt, re-reading once on a conflict (e.g. `shardctl drain` wrote an annotation). */
  async renew(): Promise<void> {
    const name = memberLeaseName(this.replica);
    // Time is taken *before* the write is sent: the lease can only look fresher to others.
    const sentAtMs = this.clock();
    try {
      for (let tries = 0; tries < 2; tries++) {
        try {
          this.lease = await this.writeRenewal(name, sentAtMs);
          break;
        } catch (error) {
          if (error instanceof KubeError && error.code === 'Conflict' && tries === 0) {
            this.lease = await this.options.leases.get(name);
            continue;
          }
          throw error;
        }
      }
      this.lastRenewedAtMs = sentAtMs;
      this.armFence();
      if (this.fenced) {
        this.fenced = false;
        this.options.onUnfenced?.();
      }
    } catch (error) {
      this.options.onRenewFailure?.(error);
    }
  }

  private async writeRenewal(name: string, nowMs: number): Promise<LeaseFields> {
    const load = this.options.load?.();
    const annotations = load ? { [LOAD_ANNOTATION]: JSON.stringify(load) } : undefined;
    const durationSeconds = Math.ceil(this.timings.leaseDurationMs / 1000);
    const current = this.lease ?? (await this.options.leases.get(name));
    if (current === undefined) {
      return this.options.leases.create(name, 'member', {
        holderIdentity: this.replica,
        leaseDurationSeconds: durationSeconds,
        acquireTimeMs: nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: 0,
        ...(annotations ? { annotations } : {}),
      });
    }
    // A restarted replica re-joins under its old lease: a new incarnation, so a new acquireTime.
    const rejoining = this.lastRenewedAtMs === Number.NEGATIVE_INFINITY;
    return this.options.leases.update(current, {
      holderIdentity: this.replica,
      leaseDurationSeconds: durationSeconds,
      renewTimeMs: nowMs,
      ...(rejoining ? { acquireTimeMs: nowMs, leaseTransitions: (current.leaseTransitions ?? 0) + 1 } : {}),
      ...(annotations ? { annotations } : {}),
    });
  }

  /** Fires `onFenced` at the fence deadline unless a renewal moves it first. */
  private armFence(): void {
    clearTimeout(this.fenceTimer);
    const delay = Math.max(0, this.fenceDeadlineMs - this.clock());
    this.fenceTimer = setTimeout(() => {
      // libuv counts the delay from its cached loop time, which lags the wall clock while a busy
      // loop iteration runs: the timer can fire before the deadline. Still live then: wait again
      // (without this, an early firing left the replica unfenced until its next renewal landed).
      if (this.isLive()) {
        this.armFence();
        return;
      }
      if (!this.fenced) {
        this.fenced = true;
        this.options.onFenced?.();
        for (const listener of this.fenceListeners) listener();
      }
    }, delay);
    this.fenceTimer.unref?.();
  }
}
