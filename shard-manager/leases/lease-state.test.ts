import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkTimings,
  DEFAULT_LEASE_TIMINGS,
  epochOf,
  observe,
  observedExpired,
  selfFenceDeadline,
  type LeaseFields,
} from './lease-state.js';
import { fromMicroTime, toMicroTime } from './micro-time.js';

const lease = (over: Partial<LeaseFields> = {}): LeaseFields => ({
  name: 'flotilla-member-a',
  resourceVersion: '10',
  holderIdentity: 'a',
  leaseDurationSeconds: 6,
  renewTimeMs: 1_000,
  ...over,
});

test('MicroTime has six fractional digits and round-trips', () => {
  const t = toMicroTime(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
  assert.equal(t, '2026-11-25T10:00:00.123000Z');
  assert.equal(fromMicroTime(t), Date.UTC(2026, 10, 25, 10, 0, 0, 123));
  assert.equal(fromMicroTime(new Date(5)), 5);
  assert.equal(fromMicroTime('not a time'), undefined);
  assert.equal(fromMicroTime(undefined), undefined);
});

test('expiry is judged by the observer’s clock, not the lease’s renewTime', () => {
  // The holder's clock is an hour ahead: renewTime is far in the future for us. Irrelevant.
  const skewed = lease({ renewTimeMs: 3_600_000 });
  const first = observe(undefined, skewed, 50_000);
  assert.equal(observedExpired(first, 55_999), false);
  assert.equal(observedExpired(first, 56_000), true);
});

test('a renewal resets the observation; an unchanged lease keeps its first observation time', () => {
  const first = observe(undefined, lease(), 0);
  const same = observe(first, lease(), 4_000);
  assert.equal(same.observedAtMs, 0);
  const renewed = observe(same, lease({ resourceVersion: '11', renewTimeMs: 3_000 }), 5_000);
  assert.equal(renewed.observedAtMs, 5_000);
  assert.equal(observedExpired(renewed, 10_000), false);
});

test('a lease without a holder is free', () => {
  assert.equal(observedExpired(observe(undefined, lease({ holderIdentity: null }), 0), 0), true);
});

test('a replica fences itself before others can see its lease expire', () => {
  const { leaseDurationMs, safetyMarginMs } = DEFAULT_LEASE_TIMINGS;
  const renewedAt = 10_000;
  const deadline = selfFenceDeadline(renewedAt, leaseDurationMs, safetyMarginMs);
  // Others observe the renewal no earlier than it happened, so they see expiry at >= renewedAt + duration.
  const othersSeeExpiry = observe(undefined, lease({ renewTimeMs: renewedAt }), renewedAt);
  assert.ok(deadline < othersSeeExpiry.observedAtMs + leaseDurationMs);
  assert.equal(observedExpired(othersSeeExpiry, deadline), false);
});

test('epoch is leaseTransitions', () => {
  assert.equal(epochOf(lease({ leaseTransitions: 7 })), 7);
  assert.equal(epochOf(lease({ leaseTransitions: null })), 0);
});

test('timings must leave room for a failed renewal', () => {
  assert.deepEqual(checkTimings(DEFAULT_LEASE_TIMINGS), []);
  assert.equal(checkTimings({ leaseDurationMs: 3000, renewIntervalMs: 2000, safetyMarginMs: 500 }).length, 1);
});
