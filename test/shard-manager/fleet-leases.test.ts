/**
 * The lease protocol against the real embedded API server: membership with self-fencing,
 * leader election, and the manager + ownership loops moving shards between replicas with an
 * ownership audit proving no two replicas ever ran one shard at the same time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { KubeError } from '../../src/kube/errors.js';
import { Membership } from '../../shard-manager/replica/membership.js';
import { LeaderElector } from '../../shard-manager/manager/leader-elector.js';
import { FAST_TIMINGS, TestFleet, findOverlap } from '../../shard-manager/testing.js';
import { hashShardIds } from '../../shard-manager/sharding/hash.js';
import { ASSIGNED_TO_ANNOTATION, DRAINING_ANNOTATION, memberLeaseName } from '../../shard-manager/leases/names.js';

const FAST = FAST_TIMINGS;

let api: TestApiServer;
let namespaceCounter = 0;

async function freshNamespace(): Promise<string> {
  const name = `fleet-${++namespaceCounter}`;
  await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

before(async () => {
  api = await startTestApiServer();
});
after(async () => {
  await api.stop();
});

describe('membership', () => {
  test('creates and renews the member lease with MicroTime, survives a concurrent annotation write', async () => {
    const ns = await freshNamespace();
    const leases = new LeaseClient(api.kc, ns);
    const membership = new Membership({ leases, replica: 'r1', timings: FAST });
    await membership.start();
    try {
      const first = await leases.get(memberLeaseName('r1'));
      assert.equal(first?.holderIdentity, 'r1');
      // Raw JSON: renewTime must carry six fractional digits.
      const raw = await api.kubectl([
        'get',
        'lease',
        memberLeaseName('r1'),
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.renewTime}',
      ]);
      assert.match(raw.stdout, /\.\d{6}Z$/);
      // An operator drains it concurrently: the next renewal conflicts, re-reads, and keeps the annotation.
      assert.ok(first);
      // As an operator's tool would: re-read and retry when the replica's renewal wrote first.
      for (let attempt = 0; ; attempt++) {
        const current = await leases.get(memberLeaseName('r1'));
        assert.ok(current);
        try {
          await leases.update(current, { annotations: { [DRAINING_ANNOTATION]: 'true' } });
          break;
        } catch (error) {
          if (!(error instanceof KubeError && error.code === 'Conflict') || attempt > 10) throw error;
        }
      }
      await waitFor(
        async () => {
          const now = await leases.get(memberLeaseName('r1'));
          return now && now.renewTimeMs !== first.renewTimeMs && now.annotations?.[DRAINING_ANNOTATION] === 'true';
        },
        { what: 'a renewal after the drain annotation' },
      );
      assert.ok(membership.isLive());
    } finally {
      await membership.stop();
    }
    assert.equal(await leases.get(memberLeaseName('r1')), undefined, 'leaving deletes the member lease');
  });

  test('fences itself before the lease could be seen as expired when the API server stops answering', async () => {
    const ns = await freshNamespace();
    const leases = new LeaseClient(api.kc, ns);
    let fencedAt = 0;
    const membership = new Membership({
      leases,
      replica: 'r1',
      timings: FAST,
      onFenced: () => (fencedAt = Date.now()),
    });
    await membership.start();
    const lastRenewal = (await leases.get(memberLeaseName('r1')))?.renewTimeMs ?? 0;
    await api.server.faults.partition({ ms: 3000 });
    try {
      await waitFor(() => fencedAt > 0, { timeoutMs: 5000, what: 'fencing' });
      assert.ok(!membership.isLive());
      // Others can see it expire no earlier than lastRenewal + duration; we stopped before that.
      assert.ok(fencedAt < lastRenewal + FAST.leaseDurationMs, `fenced at +${fencedAt - lastRenewal} ms`);
    } finally {
      await waitFor(() => membership.isLive(), { timeoutMs: 8000, what: 'un-fencing after the partition' });
      await membership.stop();
    }
  });
});

describe('leader election', () => {
  test('one leader at a time; a stopped leader hands over at once', async () => {
    const ns = await freshNamespace();
    const leading = new Set<string>();
    let overlap = false;
    const elector = (id: string) =>
      new LeaderElector({
        leases: new LeaseClient(api.kc, ns),
        leaseName: 'flotilla-manager',
        identity: id,
        timings: FAST,
        onStartedLeading: (signal) => {
          if (leading.size > 0) overlap = true;
          leading.add(id);
          signal.addEventListener('abort', () => leading.delete(id));
        },
      });
    const a = elector('a');
    const b = elector('b');
    a.start();
    await waitFor(() => leading.has('a'), { what: 'a leads' });
    b.start();
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual([...leading], ['a']);
    const stoppedAt = Date.now();
    await a.stop();
    await waitFor(() => leading.has('b'), { timeoutMs: 3000, what: 'b takes over' });
    assert.ok(Date.now() - stoppedAt < FAST.leaseDurationMs, 'a released the lease instead of letting it expire');
    assert.equal(overlap, false);
    await b.stop();
  });
});

describe('manager and ownership loops', () => {
  test('shards spread, move on scale-out and failover, and never run on two replicas at once', async () => {
    const ns = await freshNamespace();
    const fleet = new TestFleet(api.kc, ns, hashShardIds(12));
    const owned = (id: string) => fleet.runner(id).running().length;
    try {
      await fleet.startManager();
      await fleet.startReplica('a');
      await fleet.startReplica('b');
      await waitFor(() => owned('a') + owned('b') === 12 && Math.abs(owned('a') - owned('b')) <= 1, {
        timeoutMs: 10_000,
        what: 'two replicas share 12 shards',
      });

      // Scale out: c takes its share through planned handovers.
      await fleet.startReplica('c');
      await waitFor(() => owned('a') === 4 && owned('b') === 4 && owned('c') === 4, {
        timeoutMs: 10_000,
        what: 'three replicas own 4 each',
      });

      // Failure: b stops renewing and acting (as if SIGKILLed) without releasing anything.
      await fleet.kill('b');
      const killedAt = Date.now();
      await waitFor(() => owned('a') + owned('c') === 12, { timeoutMs: 15_000, what: 'failover of b’s shards' });
      const failoverMs = Date.now() - killedAt;
      assert.ok(failoverMs < FAST.leaseDurationMs + 4000, `failover took ${failoverMs} ms`);

      const leases = await new LeaseClient(api.kc, ns).list('shard');
      for (const lease of leases.leases) {
        assert.ok(['a', 'c'].includes(lease.holderIdentity ?? ''), `${lease.name} held by ${lease.holderIdentity}`);
        assert.equal(lease.annotations?.[ASSIGNED_TO_ANNOTATION], lease.holderIdentity);
      }
      assert.equal(findOverlap(fleet.runners), undefined);
    } finally {
      await fleet.stop();
    }
  });
});
