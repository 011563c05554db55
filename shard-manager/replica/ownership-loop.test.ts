/**
 * The ownership loop's ordering guarantees, with hand-written fakes: the API server's leases
 * (guarded updates, 409 on a stale resourceVersion), a lease cache the test publishes to when it
 * wants (so it can lag), a membership the test fences, a fake clock, and a runner whose stops end
 * when the test says so (a round still running). A shard's lease is never given back, and the
 * shard never started again here, while a stop of it still waits for its rounds; a shard is never
 * run from a cache that lags a takeover, nor taken from a holder that only looks expired.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeError } from '../../src/kube/errors.js';
import type { LeaseWrite } from '../leases/lease-client.js';
import type { LeaseFields } from '../leases/lease-state.js';
import type { LeaseSource } from '../leases/lease-source.js';
import { ASSIGNED_TO_ANNOTATION } from '../leases/names.js';
import { OwnershipLoop, type ShardRunner } from './ownership-loop.js';

const ME = 'r1';
const shardName = (shard: string) => `flotilla-shard-${shard}`;
const memberName = (replica: string) => `flotilla-member-${replica}`;

/** The API server's leases: every write bumps the resourceVersion; a stale one gets a 409. */
class FakeServer {
  private version = 100;
  readonly leases = new Map<string, LeaseFields>();
  constructor(private readonly events: string[]) {}

  /** Someone else's write (the manager, another replica). */
  put(lease: Omit<LeaseFields, 'resourceVersion'>): void {
    this.leases.set(lease.name, { ...lease, resourceVersion: String(++this.version) });
  }
  shard(shard: string, holder: string | null, assigned: string, transitions = 1): void {
    this.put({
      name: shardName(shard),
      holderIdentity: holder,
      leaseTransitions: transitions,
      annotations: { [ASSIGNED_TO_ANNOTATION]: assigned },
    });
  }
  member(replica: string, renewTimeMs: number): void {
    this.put({ name: memberName(replica), holderIdentity: replica, leaseDurationSeconds: 6, renewTimeMs });
  }

  async get(name: string): Promise<LeaseFields | undefined> {
    return this.leases.get(name);
  }
  async update(current: LeaseFields, write: LeaseWrite): Promise<LeaseFields> {
    const stored = this.leases.get(current.name);
    if (!stored || stored.resourceVersion !== current.resourceVersion)
      throw new KubeError('Conflict', `lease ${current.name}: the object has been modified`, { status: 409 });
    const { annotations: _ignored, ...spec } = write;
    const next: LeaseFields = { ...stored, ...spec, resourceVersion: String(++this.version) };
    this.leases.set(current.name, next);
    this.events.push(`lease ${current.name.slice('flotilla-shard-'.length)} holder=${String(next.holderIdentity)}`);
    return next;
  }
}

/** The replica's watched cache: shows the server only when the test publishes. */
class FakeCache implements LeaseSource {
  private current: LeaseFields[] = [];
  private readonly listeners = new Set<(lease: LeaseFields) => void>();
  reads = 0;
  constructor(private readonly server: FakeServer) {}
  /** The watch caught up with the server (and a pass is kicked). */
  publish(): void {
    this.current = [...this.server.leases.values()];
    for (const listener of this.listeners) listener(this.current[0] as LeaseFields);
  }
  leases(): readonly LeaseFields[] {
    this.reads++;
    return this.current;
  }
  onChange(listener: (lease: LeaseFields) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

class FakeMembership {
  live = true;
  private readonly listeners = new Set<() => void>();
  isLive(): boolean {
    return this.live;
  }
  onFenced(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  fence(): void {
    this.live = false;
    for (const listener of this.listeners) listener();
  }
}

/** Records starts and stops; a stop resolves only when the test calls `endStop`. */
class GatedRunner implements ShardRunner {
  private readonly gates = new Map<string, () => void>();
  constructor(private readonly events: string[]) {}
  async startShard(shard: string): Promise<void> {
    this.events.push(`start ${shard}`);
  }
  stopShard(shard: string, options: { abort: boolean }): Promise<void> {
    this.events.push(`stop ${shard}${options.abort ? ' abort' : ''}`);
    return new Promise((resolve) => this.gates.set(shard, resolve));
  }
  stopping(shard: string): boolean {
    return this.gates.has(shard);
  }
  /** The shard's last round ended: its stop resolves. */
  endStop(shard: string): void {
    const resolve = this.gates.get(shard);
    assert.ok(resolve, `no stop of shard ${shard} in progress`);
    this.gates.delete(shard);
    this.events.push(`stopped ${shard}`);
    resolve();
  }
}

/** Lets every pending continuation run (the fakes do no I/O, so this drains a pass). */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

/** Stops the loop, ending the stops of the shards still running. */
async function shutdown(loop: OwnershipLoop, runner: GatedRunner, shards: string[]): Promise<void> {
  const stopping = loop.stop({ release: false });
  for (const shard of shards) {
    await waitUntil(() => runner.stopping(shard), `the final stop of shard ${shard}`);
    runner.endStop(shard);
  }
  await stopping;
}

function setup() {
  const events: string[] = [];
  const server = new FakeServer(events);
  const cache = new FakeCache(server);
  const membership = new FakeMembership();
  const runner = new GatedRunner(events);
  const clock = { now: 1_000_000 };
  const transitions: string[] = [];
  const conflicts: string[] = [];
  const loop = new OwnershipLoop({
    replica: ME,
    leases: server,
    source: cache,
    membership,
    runner,
    clock: () => clock.now,
    // Passes run when the test publishes the cache, not on a timer.
    resyncMs: 3_600_000,
    onTransition: ({ type, shard }) => transitions.push(`${type} ${shard}`),
    onConflict: ({ type, shard }) => conflicts.push(`${type} ${shard}`),
  });
  /** Publishes the cache and waits for the pass it kicks. */
  const pass = async () => {
    const reads = cache.reads;
    cache.publish();
    await waitUntil(() => cache.reads > reads, 'a pass');
    await settle();
  };
  return { events, server, cache, membership, runner, clock, transitions, conflicts, loop, pass };
}

test('a fenced shard reassigned during its stop: the lease goes back only after the stop ended', async () => {
  const { cache, events, server, membership, runner, loop, pass } = setup();
  server.member(ME, 1);
  server.shard('5', ME, ME);
  cache.publish();
  loop.start();
  await waitUntil(() => events.includes('start 5'), 'shard 5 resumed');

  // The fence stops shard 5; one of its rounds keeps running (the stop does not resolve yet).
  membership.fence();
  await waitUntil(() => runner.stopping('5'), 'the fence stopping shard 5');
  assert.equal(loop.canAct('5'), false, 'a fenced shard fails the per-round fence at once');

  // The manager moves shard 5 away meanwhile (a rebalance): the next pass wants to release it.
  server.shard('5', ME, 'r2', 2);
  await pass();
  assert.deepEqual(
    events,
    ['lease 5 holder=r1', 'start 5', 'stop 5 abort'],
    'no release while the fenced stop still waits for its round',
  );

  runner.endStop('5');
  await waitUntil(() => events.length === 5, 'the release after the stop ended');
  assert.deepEqual(events, ['lease 5 holder=r1', 'start 5', 'stop 5 abort', 'stopped 5', 'lease 5 holder=null']);
  await loop.stop({ release: false });
});

test('fenced, then live again: the shard runs here again only after the fence stop ended', async () => {
  const { cache, events, server, membership, runner, loop, pass } = setup();
  server.member(ME, 1);
  server.shard('7', ME, ME);
  cache.publish();
  loop.start();
  await waitUntil(() => events.includes('start 7'), 'shard 7 resumed');

  membership.fence();
  await waitUntil(() => runner.stopping('7'), 'the fence stopping shard 7');
  // A renewal lands: live again, the lease still ours, so the next pass resumes shard 7.
  membership.live = true;
  server.member(ME, 2);
  await pass();
  assert.equal(events.filter((e) => e === 'start 7').length, 1, 'not started again while its previous run still ends');
  assert.equal(loop.canAct('7'), false);

  runner.endStop('7');
  await waitUntil(() => events.at(-1) === 'start 7', 'the resume after the stop ended');
  assert.deepEqual(events, [
    'lease 7 holder=r1',
    'start 7',
    'stop 7 abort',
    'lease 7 holder=r1',
    'stopped 7',
    'start 7',
  ]);
  assert.equal(loop.canAct('7'), true);
  await shutdown(loop, runner, ['7']);
});

test('stop waits for a fence stop still in progress', async () => {
  const { cache, events, server, membership, runner, loop, transitions } = setup();
  server.member(ME, 1);
  server.shard('3', ME, ME);
  cache.publish();
  loop.start();
  await waitUntil(() => transitions.includes('resume 3'), 'shard 3 resumed');
  membership.fence();
  await waitUntil(() => runner.stopping('3'), 'the fence stopping shard 3');
  let stopped = false;
  const stopping = loop.stop({ release: true }).then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false, 'the loop stop does not return while a round of shard 3 may run');
  runner.endStop('3');
  await stopping;
  assert.deepEqual(events, ['lease 3 holder=r1', 'start 3', 'stop 3 abort', 'stopped 3']);
});

test('a restarted replica does not resume a shard from a cache that lags a takeover', async () => {
  const { cache, events, server, loop, pass, transitions, conflicts } = setup();
  // Our previous incarnation held shard 9; the cache (listed at our start) still says so ...
  server.member(ME, 1);
  server.member('r2', 1);
  server.shard('9', ME, ME);
  cache.publish();
  // ... but r2, which saw that incarnation expire, has just taken it over.
  server.shard('9', 'r2', 'r2', 2);
  loop.start();
  await settle();
  assert.deepEqual([...events], [], 'the resume write met the takeover (409): nothing started');
  assert.deepEqual(transitions, []);
  assert.deepEqual(conflicts, ['resume 9']);

  await pass();
  assert.deepEqual([...events], [], 'the caught-up cache shows r2 holding it: nothing to do');
  await loop.stop({ release: false });
});

test('no takeover from a holder that only looks expired because the cache lags its renewals', async () => {
  const { cache, events, server, clock, loop, runner, pass } = setup();
  server.member(ME, 1);
  server.member('r2', 1);
  // The manager moves shard 4 from r2 to us; r2 is live and will release it.
  server.shard('4', 'r2', ME);
  cache.publish();
  loop.start();
  await settle();
  assert.deepEqual([...events], [], 'r2 holds it and is live');

  // Our watch stalls for longer than a lease duration while r2 keeps renewing.
  server.member('r2', 2);
  clock.now += 7_000;
  loop.kick();
  await settle();
  assert.deepEqual([...events], [], 'r2 renewed on the server: it is not taken over');

  // r2 really stops renewing: once the cache shows its last renewal unchanged for a lease
  // duration, and the server agrees, the shard is taken over.
  await pass();
  clock.now += 7_000;
  loop.kick();
  await waitUntil(() => events.includes('start 4'), 'the takeover');
  assert.deepEqual(events, ['lease 4 holder=r1', 'start 4']);
  await shutdown(loop, runner, ['4']);
});

test('a shard just acquired is not taken for lost while the cache lags the acquire', async () => {
  const { events, server, cache, loop, runner, pass } = setup();
  server.member(ME, 1);
  server.shard('2', null, ME);
  cache.publish();
  loop.start();
  await waitUntil(() => events.includes('start 2'), 'shard 2 acquired');
  // Another lease changes and kicks a pass before the cache shows our acquire.
  const reads = cache.reads;
  loop.kick();
  await waitUntil(() => cache.reads > reads, 'a pass over the lagging cache');
  await settle();
  assert.deepEqual(events, ['lease 2 holder=r1', 'start 2'], 'not stopped as lost, not acquired twice');
  assert.equal(loop.canAct('2'), true);

  await pass();
  assert.deepEqual(events, ['lease 2 holder=r1', 'start 2']);
  await shutdown(loop, runner, ['2']);
});

test('a clean stop right after an acquire gives the lease back though the cache lags the acquire', async () => {
  const { events, server, cache, runner, loop } = setup();
  server.member(ME, 1);
  server.shard('6', null, ME);
  cache.publish();
  loop.start();
  await waitUntil(() => events.includes('start 6'), 'shard 6 acquired');
  const stopping = loop.stop({ release: true });
  await waitUntil(() => runner.stopping('6'), 'the stop of shard 6');
  runner.endStop('6');
  await stopping;
  assert.deepEqual(events, ['lease 6 holder=r1', 'start 6', 'stop 6', 'stopped 6', 'lease 6 holder=null']);
});
