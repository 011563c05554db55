import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideManager } from './decide.js';
import { observe, type LeaseFields } from '../leases/lease-state.js';
import { ASSIGNED_TO_ANNOTATION, DRAINING_ANNOTATION, PINNED_TO_ANNOTATION } from '../leases/names.js';

const shardLease = (shard: string, assigned?: string, extra: Record<string, string> = {}): LeaseFields => ({
  name: `flotilla-shard-${shard}`,
  resourceVersion: '1',
  holderIdentity: assigned ?? null,
  annotations: { ...(assigned ? { [ASSIGNED_TO_ANNOTATION]: assigned } : {}), ...extra },
});
const member = (replica: string, annotations: Record<string, string> = {}, observedAtMs = 0) =>
  [
    replica,
    observe(
      undefined,
      {
        name: `flotilla-member-${replica}`,
        resourceVersion: '1',
        holderIdentity: replica,
        leaseDurationSeconds: 6,
        acquireTimeMs: 0,
        annotations,
      },
      observedAtMs,
    ),
  ] as const;

test('creates missing shard leases and assigns existing unowned ones', () => {
  const d = decideManager({
    shards: ['0', '1', '2', '3'],
    shardLeases: [shardLease('0'), shardLease('1')],
    members: new Map([member('a'), member('b')]),
    nowMs: 1_000,
  });
  assert.deepEqual(d.createLeases, ['2', '3']);
  assert.deepEqual(
    d.writes.map((w) => w.shard),
    ['0', '1'],
  );
  assert.notEqual(d.writes[0]?.assignTo, d.writes[1]?.assignTo);
});

test('a balanced fleet writes nothing', () => {
  const d = decideManager({
    shards: ['0', '1'],
    shardLeases: [shardLease('0', 'a'), shardLease('1', 'b')],
    members: new Map([member('a'), member('b')]),
    nowMs: 1_000,
  });
  assert.deepEqual(d.writes, []);
});

test('an expired member’s shards are reassigned to the live ones', () => {
  const d = decideManager({
    shards: ['0', '1'],
    shardLeases: [shardLease('0', 'a'), shardLease('1', 'b')],
    members: new Map([member('a', {}, 10_000), member('b', {}, 0)]),
    nowMs: 12_000,
  });
  assert.deepEqual(
    d.writes.map((w) => [w.shard, w.assignTo]),
    [['1', 'a']],
  );
  assert.equal(d.moves[0]?.reason, 'owner-gone');
});

test('drain and pins come from lease annotations', () => {
  const d = decideManager({
    shards: ['0', '1', '2'],
    shardLeases: [shardLease('0', 'a'), shardLease('1', 'b', { [PINNED_TO_ANNOTATION]: 'a' }), shardLease('2', 'b')],
    members: new Map([member('a'), member('b', { [DRAINING_ANNOTATION]: 'true' })]),
    nowMs: 1_000,
  });
  assert.deepEqual(
    d.writes.map((w) => [w.shard, w.assignTo]),
    [
      ['1', 'a'],
      ['2', 'a'],
    ],
  );
});

test('with no live member the last intent is kept', () => {
  const d = decideManager({
    shards: ['0'],
    shardLeases: [shardLease('0', 'a')],
    members: new Map([member('a', {}, 0)]),
    nowMs: 60_000,
  });
  assert.deepEqual(d.writes, []);
});
