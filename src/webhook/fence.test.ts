import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaseFields } from '../../shard-manager/leases/lease-state.js';
import { LeaseEpochs, fenceDecision, fencedWrite } from './fence.js';
import type { AdmissionRequest } from './review.js';

const statusWrite = (shard: string | undefined, shardEpoch: unknown): AdmissionRequest => ({
  uid: 'u1',
  operation: 'UPDATE',
  name: 'wf',
  namespace: 'team-a',
  resource: 'workflows',
  subResource: 'status',
  object: {
    metadata: { name: 'wf', labels: shard === undefined ? {} : { 'flotilla.io/shard': shard } },
    status: { phase: 'Running', ...(shardEpoch === undefined ? {} : { shardEpoch }) },
  },
});

const podCreate = (labels: Record<string, string>): AdmissionRequest => ({
  uid: 'u2',
  operation: 'CREATE',
  name: 'wf-a-1',
  namespace: 'team-a',
  resource: 'pods',
  subResource: '',
  object: { metadata: { name: 'wf-a-1', labels } },
});

const childCreate = (labels: Record<string, string>, operation = 'CREATE'): AdmissionRequest => ({
  uid: 'u3',
  operation,
  name: 'wf-child',
  namespace: 'team-a',
  resource: 'workflows',
  subResource: '',
  object: { metadata: { name: 'wf-child', labels } },
});

test("fencedWrite reads a child Workflow create by its parent's shard, not the child's own", () => {
  // The mutating webhook has labelled the child with its own shard (9) by the time the fence sees it.
  const labels = { 'flotilla.io/shard': '9', 'flotilla.io/parent-shard': '3', 'flotilla.io/shard-epoch': '7' };
  assert.deepEqual(fencedWrite(childCreate(labels)), { shard: '3', epoch: 7 });
  assert.equal(fencedWrite(childCreate({ 'flotilla.io/shard': '9', 'flotilla.io/shard-epoch': '7' })), undefined);
  assert.equal(fencedWrite(childCreate({ 'flotilla.io/parent-shard': '3' })), undefined, 'no epoch: unstamped');
  assert.equal(fencedWrite(childCreate({ ...labels, 'flotilla.io/parent-shard': 'x' })), undefined);
  assert.equal(fencedWrite(childCreate(labels, 'UPDATE')), undefined, 'only the create is fenced');
  const stale = childCreate(labels);
  assert.equal(fenceDecision(stale, fencedWrite(stale), 8).result, 'denied');
});

test('fencedWrite reads the shard and the epoch of a status write and of a Pod create', () => {
  assert.deepEqual(fencedWrite(statusWrite('3', 7)), { shard: '3', epoch: 7 });
  assert.deepEqual(fencedWrite(podCreate({ 'flotilla.io/shard': '3', 'flotilla.io/shard-epoch': '7' })), {
    shard: '3',
    epoch: 7,
  });
});

test('fencedWrite leaves unstamped writes, writes without a shard and main-resource Workflow writes alone', () => {
  assert.equal(fencedWrite(statusWrite('3', undefined)), undefined);
  assert.equal(fencedWrite(statusWrite(undefined, 7)), undefined);
  assert.equal(fencedWrite(statusWrite('3', '7')), undefined, 'a string is not an epoch');
  assert.equal(fencedWrite(statusWrite('3', -1)), undefined);
  assert.equal(fencedWrite({ ...statusWrite('3', 7), subResource: '' }), undefined, 'a spec write is not fenced');
  assert.equal(fencedWrite(podCreate({ 'flotilla.io/shard': '3' })), undefined);
  assert.equal(fencedWrite(podCreate({ 'flotilla.io/shard': '3', 'flotilla.io/shard-epoch': 'x' })), undefined);
});

test('fenceDecision refuses an epoch older than the lease with a 409 naming both epochs and the lease', () => {
  const req = statusWrite('3', 6);
  const { response, result } = fenceDecision(req, fencedWrite(req), 7);
  assert.equal(result, 'denied');
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 409);
  assert.equal(response.status?.reason, 'Conflict');
  assert.match(response.status?.message ?? '', /epoch 6 of shard 3, whose lease flotilla-shard-3 is at epoch 7/);
});

test('fenceDecision allows the current epoch, a newer one, an unstamped write and a shard without a lease', () => {
  const req = statusWrite('3', 7);
  assert.equal(fenceDecision(req, fencedWrite(req), 7).result, 'allowed');
  assert.equal(
    fenceDecision(req, fencedWrite(req), 6).result,
    'allowed',
    'the lease read may predate our own takeover',
  );
  assert.equal(fenceDecision(req, undefined, 7).result, 'unstamped');
  assert.equal(fenceDecision(req, fencedWrite(req), undefined).result, 'unstamped');
  assert.equal(fenceDecision(req, fencedWrite(req), 7).response.allowed, true);
});

/** A lease reader whose reads the test answers one by one. */
function scriptedLeases(): {
  get: (name: string) => Promise<LeaseFields | undefined>;
  pending: { name: string; answer: (transitions: number | undefined) => void }[];
} {
  const pending: { name: string; answer: (transitions: number | undefined) => void }[] = [];
  return {
    pending,
    get: (name) =>
      new Promise((resolve) =>
        pending.push({
          name,
          answer: (transitions) =>
            resolve(transitions === undefined ? undefined : { name, leaseTransitions: transitions }),
        }),
      ),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('LeaseEpochs never answers a check with a read that started before it arrived', async () => {
  const leases = scriptedLeases();
  const epochs = new LeaseEpochs(leases);
  const first = epochs.epochOf('3');
  assert.equal(leases.pending.length, 1);
  // Arrives while the first read is in flight: that read may predate a takeover, so it waits for the next.
  const second = epochs.epochOf('3');
  const third = epochs.epochOf('3');
  assert.equal(leases.pending.length, 1, 'no second read while one is in flight');
  leases.pending.shift()?.answer(4);
  assert.equal(await first, 4);
  await tick();
  assert.equal(leases.pending.length, 1, 'one read shared by the checks that arrived meanwhile');
  leases.pending.shift()?.answer(5);
  assert.equal(await second, 5);
  assert.equal(await third, 5);
  assert.equal(epochs.reads, 2);
});

test('LeaseEpochs reads shards apart, and a missing lease is undefined', async () => {
  const leases = scriptedLeases();
  const epochs = new LeaseEpochs(leases);
  const a = epochs.epochOf('1');
  const b = epochs.epochOf('2');
  assert.deepEqual(
    leases.pending.map((p) => p.name),
    ['flotilla-shard-1', 'flotilla-shard-2'],
  );
  leases.pending[0]?.answer(undefined);
  leases.pending[1]?.answer(2);
  assert.equal(await a, undefined);
  assert.equal(await b, 2);
});

test('LeaseEpochs passes a failed read to its checks and reads again for the next one', async () => {
  let calls = 0;
  const epochs = new LeaseEpochs({
    get: async (name) => {
      calls += 1;
      if (calls === 1) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      return { name, leaseTransitions: 9 };
    },
  });
  await assert.rejects(epochs.epochOf('3'), /ECONNREFUSED/);
  assert.equal(await epochs.epochOf('3'), 9);
});
