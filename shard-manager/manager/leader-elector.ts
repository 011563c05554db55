/**
 * Leader election over one Lease (client-node has no helper: LIBRARY-FACTS). Any number of
 * candidates run it; at most one leads at a time:
 * - a candidate takes the lease only when it is free or it has *observed* it unchanged for a
 *   full lease duration (its own clock; offsets between machines do not matter);
 * - the leader renews every `renewIntervalMs`; every write is resourceVersion-guarded;
 * - the leader stops leading (aborts the `onStartedLeading` signal) at its own fence deadline if
 *   renewals stop landing, before any other candidate could take over.
 */
import { steadyNow } from '../../src/lifecycle/index.js';
import type { LeaseClient } from '../leases/lease-client.js';
import { KubeError } from '../../src/kube/errors.js';
import {
  DEFAULT_LEASE_TIMINGS,
  observe,
  observedExpired,
  selfFenceDeadline,
  type LeaseFields,
  type LeaseTimings,
  type ObservedLease,
} from '../leases/lease-state.js';

export interface LeaderElectorOptions {
  readonly leases: LeaseClient;
  readonly leaseName: string;
  readonly identity: string;
  /** @defaultValue DEFAULT_LEASE_TIMINGS */
  readonly timings?: LeaseTimings;
  /** @defaultValue steadyNow (never steps with the wall clock) */
  readonly clock?: () => number;
  /** Called on becoming leader; the signal aborts when leadership ends. */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  readonly onStoppedLeading?: () => void;
  readonly onError?: (error: unknown) => void;
}

export class LeaderElector {
  private readonly timings: LeaseTimings;
  private readonly clock: () => number;
  private observed: ObservedLease | undefined;
  private lastRenewedAtMs = Number.NEGATIVE_INFINITY;
  private leading: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
    this.clock = options.clock ?? steadyNow;
  }

  isLeader(nowMs: number = this.clock()): boolean {
    return (
      this.leading !== undefined &&
      nowMs < selfFenceDeadline(this.lastRenewedAtMs, this.timings.leaseDurationMs, this.timings.safetyMarginMs)
    );
  }

  start(signal?: AbortSignal): void {
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    void this.tick();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const wasLeading = this.leading !== undefined;
    this.endLeadership();
    const lease = this.observed?.lease;
    if (wasLeading && lease && lease.holderIdentity === this.options.identity) {
      await this.options.leases.update(lease, { holderIdentity: null }).catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (error) {
      this.options.onError?.(error);
    }
    if (this.leading && !this.isLeader()) this.endLeadership();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.timings.renewIntervalMs);
    this.timer.unref?.();
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const { leases, leaseName, identity } = this.options;
    const now = this.clock();
    const durationSeconds = Math.ceil(this.timings.leaseDurationMs / 1000);
    let lease = await leases.get(leaseName);
    if (lease === undefined) {
      try {
        lease = await leases.create(leaseName, 'manager', {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTimeMs: now,
          renewTimeMs: now,
          leaseTransitions: 0,
        });
        this.renewed(lease, now);
      } catch (error) {
        if (!(error instanceof KubeError && error.code === 'AlreadyExists')) throw error;
      }
      return;
    }
    this.observed = observe(this.observed, lease, now);
    const holder = lease.holderIdentity;
    if (holder === identity) {
      this.renewed(await leases.update(lease, { renewTimeMs: now, leaseDurationSeconds: durationSeconds }), now);
      return;
    }
    if (holder && !observedExpired(this.observed, now)) return;
    const taken = await leases.update(lease, {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTimeMs: now,
      renewTimeMs: now,
      leaseTransitions: (lease.leaseTransitions ?? 0) + 1,
    });
    this.renewed(taken, now);
  }

  private renewed(lease: LeaseFields, sentAtMs: number): void {
    this.lastRenewedAtMs = sentAtMs;
    this.observed = observe(this.observed, lease, sentAtMs);
    if (!this.leading && !this.stopped) {
      this.leading = new AbortController();
      this.options.onStartedLeading(this.leading.signal);
    }
  }

  private endLeadership(): void {
    if (!this.leading) return;
    this.leading.abort();
    this.leading = undefined;
    this.options.onStoppedLeading?.();
  }
}
