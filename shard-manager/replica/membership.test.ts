/** Membership's self-fence with a clock the test controls (the lease store is an in-memory fake). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LeaseWrite } from '../leases/lease-client.js';
import type { LeaseFields } from '../leases/lease-state.js';
import { Membership } from './membership.js';

/** Leases in memory: create and update store what they are given. */
class MemoryLeases {
  readonly leases = new Map<string, LeaseFields>();
  private version = 1;
  async get(name: string): Promise<LeaseFields | undefined> {
    return this.leases.get(name);
  }
  async create(name: string, _kind: string, write: LeaseWrite): Promise<LeaseFields> {
    const { annotations: _annotations, ...spec } = write; // annotations are not read here
    const lease: LeaseFields = { name, ...spec, resourceVersion: String(++this.version) };
    this.leases.set(name, lease);
    return lease;
  }
  async update(current: LeaseFields, write: LeaseWrite): Promise<LeaseFields> {
    const { annotations: _annotations, ...spec } = write;
    const lease: LeaseFields = { ...current, ...spec, resourceVersion: String(++this.version) };
    this.leases.set(current.name, lease);
    return lease;
  }
  async delete(name: string): Promise<void> {
    this.leases.delete(name);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a fence timer that fires before the deadline (the loop clock lags) waits again instead of never fencing', async () => {
  let now = 1_000_000;
  let fencedAt: number | undefined;
  // Renewals far apart: only the first one happens during the test. Fence deadline = now + 100 ms.
  const timings = { leaseDurationMs: 200, renewIntervalMs: 60_000, safetyMarginMs: 100 };
  const membership = new Membership({
    leases: new MemoryLeases(),
    replica: 'r1',
    timings,
    clock: () => now,
    onFenced: () => (fencedAt = now),
  });
  await membership.start();
  try {
    assert.ok(membership.isLive());
    // The timer fires after ~100 ms of real time, but this clock has not moved: to the membership
    // that is a timer firing early. It must not fence yet, and must not give up either.
    await sleep(180);
    assert.equal(fencedAt, undefined, 'not fenced before its own deadline');
    now += 150; // past the deadline
    const until = Date.now() + 2000;
    while (fencedAt === undefined && Date.now() < until) await sleep(20);
    assert.equal(fencedAt, now, 'fenced once the deadline has passed, without a renewal to re-arm it');
    assert.equal(membership.isLive(), false);
  } finally {
    await membership.stop();
  }
});

test('a wall clock stepped back after the last renewal does not extend the self-fence (the default clock is steady)', async (t) => {
  // Renewals far apart: only the first happens. Fence deadline = last renewal + 100 ms.
  const timings = { leaseDurationMs: 200, renewIntervalMs: 60_000, safetyMarginMs: 100 };
  const realNow = Date.now;
  let wallOffsetMs = 0;
  Date.now = () => realNow() + wallOffsetMs;
  t.after(() => {
    Date.now = realNow;
  });
  const membership = new Membership({ leases: new MemoryLeases(), replica: 'r1', timings });
  await membership.start();
  try {
    assert.ok(membership.isLive());
    // NTP steps the wall clock five minutes back: by `Date.now()` the renewal is suddenly in the future.
    wallOffsetMs = -300_000;
    await sleep(250);
    assert.equal(membership.isLive(), false, 'the fence deadline passed in steady time, whatever the wall clock says');
  } finally {
    Date.now = realNow;
    await membership.stop();
  }
});
