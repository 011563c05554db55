/**
 * What a Lease means right now: pure functions of (lease fields, observations, now), no client.
 *
 * Time is judged two ways, on purpose:
 * - A replica fences itself by its *own* record of its last successful renewal
 *   (`selfFenceDeadline`): it stops acting `safetyMarginMs` before anyone else could see its
 *   member lease as expired.
 * - Everyone else judges expiry by when *they observed* the lease last change
 *   (`observedExpired`), as client-go's leader election does, so clock offsets between machines
 *   do not matter; only clock rates do, and the safety margin covers those.
 */

/** The fields of a coordination.k8s.io/v1 Lease that the fleet reads. */
export interface LeaseFields {
  readonly name: string;
  readonly resourceVersion?: string;
  readonly holderIdentity?: string | null;
  readonly leaseDurationSeconds?: number | null;
  readonly renewTimeMs?: number;
  readonly acquireTimeMs?: number;
  readonly leaseTransitions?: number | null;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A lease as one observer saw it: the fields, and when (by the observer's clock) they last changed. */
export interface ObservedLease {
  readonly lease: LeaseFields;
  /** Observer's clock at the first observation of the current renewTime/holder/resourceVersion. */
  readonly observedAtMs: number;
}

/** Records a fresh observation: keeps the old observation time while nothing changed. */
export function observe(previous: ObservedLease | undefined, lease: LeaseFields, nowMs: number): ObservedLease {
  if (
    previous &&
    previous.lease.resourceVersion === lease.resourceVersion &&
    previous.lease.renewTimeMs === lease.renewTimeMs &&
    previous.lease.holderIdentity === lease.holderIdentity
  ) {
    return { lease, observedAtMs: previous.observedAtMs };
  }
  return { lease, observedAtMs: nowMs };
}

/** True when the lease has gone a full duration without change since this observer first saw it. */
export function observedExpired(observed: ObservedLease, nowMs: number): boolean {
  const holder = observed.lease.holderIdentity;
  if (!holder) return true;
  const durationMs = (observed.lease.leaseDurationSeconds ?? 0) * 1000;
  return observed.observedAtMs + durationMs <= nowMs;
}

/**
 * The moment a replica must stop acting, by its own clock: its last successful renewal plus
 * the lease duration, minus a margin for clock-rate skew and the time a write takes to land.
 */
export function selfFenceDeadline(lastRenewedAtMs: number, leaseDurationMs: number, safetyMarginMs: number): number {
  return lastRenewedAtMs + leaseDurationMs - safetyMarginMs;
}

/** The shard's epoch: bumped by every change of holder, so work can be tagged with it. */
export function epochOf(lease: LeaseFields): number {
  return lease.leaseTransitions ?? 0;
}

export interface LeaseTimings {
  /** Member lease duration. @defaultValue 6000 */
  readonly leaseDurationMs: number;
  /** How often a replica renews its member lease. @defaultValue 2000 */
  readonly renewIntervalMs: number;
  /** Stop acting this long before the lease could be seen as expired. @defaultValue 1500 */
  readonly safetyMarginMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = {
  leaseDurationMs: 6000,
  renewIntervalMs: 2000,
  safetyMarginMs: 1500,
};

/** Checks the timings leave room for at least one failed renewal before fencing. */
export function checkTimings(t: LeaseTimings): string[] {
  const problems: string[] = [];
  if (t.renewIntervalMs <= 0) problems.push('renew interval must be positive');
  if (t.safetyMarginMs < 0) problems.push('safety margin must not be negative');
  if (t.leaseDurationMs - t.safetyMarginMs < 2 * t.renewIntervalMs) {
    problems.push(
      `lease duration (${t.leaseDurationMs} ms) minus safety margin (${t.safetyMarginMs} ms) must allow two renew intervals (${t.renewIntervalMs} ms each)`,
    );
  }
  return problems;
}
