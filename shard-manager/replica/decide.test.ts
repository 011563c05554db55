import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideOwnership, type OwnershipView } from './decide.js';
import { observe, type LeaseFields } from '../leases/lease-state.js';
import { ASSIGNED_TO_ANNOTATION } from '../leases/names.js';

const shardLease = (shard: string, holder: string | null, assigned?: string, transitions = 1): LeaseFields => ({
  name: `flotilla-shard-${shard}`,
  resourceVersion: '1',
  holderIdentity: holder,
  leaseTransitions: transitions,
  annotations: assigned ? { [ASSIGNED_TO_ANNOTATION]: assigned } : {},
});
const member = (replica: string, observedAtMs: number) =>
  [
    replica,
    observe(
      undefined,
      { name: `flotilla-member-${replica}`, resourceVersion: '5', holderIdentity: replica, leaseDurationSeconds: 6 },
      observedAtMs,
    ),
  ] as const;

const view = (over: Partial<OwnershipView>): OwnershipView => ({
  replica: 'a',
  shardLeases: [],
  members: new Map([member('a', 0), member('b', 0)]),
  running: new Set(),
  nowMs: 1_000,
  ...over,
});

test('acquires a free shard assigned to it', () => {
  const actions = decideOwnership(view({ shardLeases: [shardLease('3', null, 'a')] }));
  assert.deepEqual(
    actions.map((a) => [a.type, a.shard]),
    [['acquire', '3']],
  );
});

test('does not take a shard another live replica still holds (planned move waits for release)', () => {
  assert.deepEqual(decideOwnership(view({ shardLeases: [shardLease('3', 'b', 'a')] })), []);
});

test('takes over from a holder whose member lease it observed expire', () => {
  const actions = decideOwnership(view({ shardLeases: [shardLease('3', 'b', 'a')], nowMs: 6_000 }));
  assert.deepEqual(
    actions.map((a) => a.type),
    ['acquire'],
  );
});

test('takes over from a holder that left the fleet (member lease deleted)', () => {
  const actions = decideOwnership(view({ shardLeases: [shardLease('3', 'c', 'a')] }));
  assert.deepEqual(
    actions.map((a) => a.type),
    ['acquire'],
  );
});

test('releases a shard it holds once the manager assigned it elsewhere', () => {
  const actions = decideOwnership(view({ shardLeases: [shardLease('3', 'a', 'b')], running: new Set(['3']) }));
  assert.deepEqual(
    actions.map((a) => a.type),
    ['release'],
  );
});

test('resumes a shard it holds but is not running (after a restart), with the epoch', () => {
  const actions = decideOwnership(view({ shardLeases: [shardLease('3', 'a', 'a', 4)] }));
  assert.deepEqual(
    actions.map((a) =>
      a.type === 'resume' ? { type: a.type, shard: a.shard, epoch: a.epoch, lease: a.lease.name } : a,
    ),
    [{ type: 'resume', shard: '3', epoch: 4, lease: 'flotilla-shard-3' }],
  );
});

test('stops at once a shard whose lease another replica now holds', () => {
  const actions = decideOwnership(view({ shardLeases: [shardLease('3', 'b', 'b')], running: new Set(['3']) }));
  assert.deepEqual(
    actions.map((a) => [a.type, a.shard]),
    [['lost', '3']],
  );
});

test('stops a shard whose lease disappeared', () => {
  assert.deepEqual(decideOwnership(view({ running: new Set(['9']) })), [{ type: 'lost', shard: '9' }]);
});

test('ignores leases that are not shard leases', () => {
  const other: LeaseFields = { name: 'flotilla-manager', holderIdentity: 'a' };
  assert.deepEqual(decideOwnership(view({ shardLeases: [other] })), []);
});
