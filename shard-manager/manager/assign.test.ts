import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { computeAssignment, type AssignmentInput, type ReplicaInfo } from './assign.js';
import { hashShardIds } from '../sharding/hash.js';

const replica = (id: string, over: Partial<ReplicaInfo> = {}): ReplicaInfo => ({
  id,
  live: true,
  draining: false,
  joinedAtMs: 0,
  ...over,
});

function counts(assignment: Map<string, string>): Map<string, number> {
  const c = new Map<string, number>();
  for (const owner of assignment.values()) c.set(owner, (c.get(owner) ?? 0) + 1);
  return c;
}

function spread(assignment: Map<string, string>, replicas: string[]): number {
  const c = counts(assignment);
  const values = replicas.map((r) => c.get(r) ?? 0);
  return Math.max(...values) - Math.min(...values);
}

function assign(input: Partial<AssignmentInput> & Pick<AssignmentInput, 'shards' | 'replicas'>) {
  return computeAssignment({ current: new Map(), nowMs: 1_000_000, ...input });
}

describe('computeAssignment: balance', () => {
  test('assigns every shard of a new fleet, counts differing by at most one', () => {
    const shards = hashShardIds(32);
    const { assignment, moves } = assign({ shards, replicas: ['a', 'b', 'c'].map((id) => replica(id)) });
    assert.equal(assignment.size, 32);
    assert.ok(spread(assignment, ['a', 'b', 'c']) <= 1);
    assert.equal(moves.length, 32);
    assert.ok(moves.every((m) => m.reason === 'unassigned' && m.from === undefined));
  });

  test('property: any fleet ends balanced, complete, and stable (a second pass moves nothing)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.uniqueArray(fc.constantFrom<string>('r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'), {
          minLength: 1,
          maxLength: 7,
        }),
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 200 }),
        (shardCount, ids, owners) => {
          const shards = hashShardIds(shardCount);
          // Current owners: some alive, some gone (r8, r9 never live).
          const current = new Map<string, string>();
          shards.forEach((s, i) => {
            const o = owners[i];
            if (o !== undefined && o > 0) current.set(s, `r${o}`);
          });
          const replicas = ids.map((id) => replica(id));
          const first = computeAssignment({ shards, replicas, current, nowMs: 0 });
          assert.equal(first.assignment.size, shardCount);
          assert.ok(spread(first.assignment, ids) <= 1, 'balanced');
          for (const owner of first.assignment.values()) assert.ok(ids.includes(owner));
          const second = computeAssignment({ shards, replicas, current: first.assignment, nowMs: 0 });
          assert.equal(second.moves.length, 0, 'stable');
        },
      ),
    );
  });
});

describe('computeAssignment: stickiness', () => {
  test('scale-out: the new replica takes only its fair share, nothing else moves', () => {
    const shards = hashShardIds(32);
    const three = ['a', 'b', 'c'].map((id) => replica(id));
    const before = assign({ shards, replicas: three }).assignment;
    const { assignment, moves } = assign({ shards, replicas: [...three, replica('d')], current: before });
    assert.equal(moves.length, 8, 'exactly 32/4 shards move');
    assert.ok(moves.every((m) => m.to === 'd' && m.reason === 'balance'));
    assert.ok(spread(assignment, ['a', 'b', 'c', 'd']) <= 1);
  });

  test('property: scale-out by one moves exactly the newcomer share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 8 }), (shardCount, n) => {
        const shards = hashShardIds(shardCount);
        const old = Array.from({ length: n }, (_, i) => replica(`r${i}`));
        const before = assign({ shards, replicas: old }).assignment;
        const { moves } = assign({ shards, replicas: [...old, replica('new')], current: before });
        assert.ok(
          moves.every((m) => m.to === 'new'),
          'only moves to the newcomer',
        );
        assert.equal(moves.length, Math.floor(shardCount / (n + 1)));
      }),
    );
  });

  test('scale-in: only the departed replica’s shards move', () => {
    const shards = hashShardIds(30);
    const three = ['a', 'b', 'c'].map((id) => replica(id));
    const before = assign({ shards, replicas: three }).assignment;
    const { assignment, moves } = assign({
      shards,
      replicas: [replica('a'), replica('b'), replica('c', { live: false })],
      current: before,
    });
    assert.equal(moves.length, 10);
    assert.ok(moves.every((m) => m.from === 'c' && m.reason === 'owner-gone'));
    assert.deepEqual([...counts(assignment).entries()].sort(), [
      ['a', 15],
      ['b', 15],
    ]);
  });
});

describe('computeAssignment: operator controls', () => {
  test('drain moves every shard off the replica, with reason drain', () => {
    const shards = hashShardIds(12);
    const before = assign({ shards, replicas: ['a', 'b', 'c'].map((id) => replica(id)) }).assignment;
    const { assignment, moves } = assign({
      shards,
      replicas: [replica('a'), replica('b', { draining: true }), replica('c')],
      current: before,
    });
    assert.ok(![...assignment.values()].includes('b'));
    assert.equal(moves.length, 4);
    assert.ok(moves.every((m) => m.from === 'b' && m.reason === 'drain'));
  });

  test('pins are honoured even when they unbalance, and others absorb the rest', () => {
    const shards = hashShardIds(9);
    const pins = new Map([
      ['0', 'a'],
      ['1', 'a'],
      ['2', 'a'],
      ['3', 'a'],
      ['4', 'a'],
    ]);
    const { assignment } = assign({ shards, replicas: ['a', 'b', 'c'].map((id) => replica(id)), pins });
    for (const s of ['0', '1', '2', '3', '4']) assert.equal(assignment.get(s), 'a');
    const c = counts(assignment);
    assert.equal(c.get('a'), 5);
    assert.equal(c.get('b'), 2);
    assert.equal(c.get('c'), 2);
  });

  test('a pin to a dead replica is not honoured until it is back', () => {
    const shards = hashShardIds(4);
    const pins = new Map([['0', 'c']]);
    const { assignment } = assign({
      shards,
      replicas: [replica('a'), replica('b'), replica('c', { live: false })],
      pins,
    });
    assert.notEqual(assignment.get('0'), 'c');
    const back = assign({ shards, replicas: ['a', 'b', 'c'].map((id) => replica(id)), pins, current: assignment });
    assert.equal(back.assignment.get('0'), 'c');
    assert.equal(back.moves.find((m) => m.shard === '0')?.reason, 'pin');
  });

  test('join delay: a replica that just joined gets nothing yet', () => {
    const shards = hashShardIds(8);
    const before = assign({ shards, replicas: [replica('a'), replica('b')] }).assignment;
    const early = assign({
      shards,
      replicas: [replica('a'), replica('b'), replica('c', { joinedAtMs: 999_000 })],
      current: before,
      joinDelayMs: 5_000,
    });
    assert.equal(early.moves.length, 0);
    const later = assign({
      shards,
      replicas: [replica('a'), replica('b'), replica('c', { joinedAtMs: 990_000 })],
      current: before,
      joinDelayMs: 5_000,
    });
    assert.ok(later.moves.length > 0);
  });

  test('no eligible replica: nothing is assigned', () => {
    const { assignment, moves } = assign({ shards: ['0', '1'], replicas: [replica('a', { live: false })] });
    assert.equal(assignment.size, 0);
    assert.equal(moves.length, 0);
  });
});

describe('computeAssignment: weights', () => {
  test('spreads load, not counts', () => {
    const shards = hashShardIds(6);
    const weights = new Map([
      ['0', 100],
      ['1', 1],
      ['2', 1],
      ['3', 1],
      ['4', 1],
      ['5', 100],
    ]);
    const { assignment } = assign({ shards, replicas: [replica('a'), replica('b')], weights });
    assert.notEqual(assignment.get('0'), assignment.get('5'), 'the two heavy shards land apart');
  });

  test('a small load change moves nothing (hysteresis)', () => {
    const shards = hashShardIds(8);
    const weights = new Map<string, number>(shards.map((s) => [s, 10]));
    const first = assign({ shards, replicas: [replica('a'), replica('b')], weights }).assignment;
    const changed = new Map(weights);
    changed.set('0', 11);
    const again = assign({ shards, replicas: [replica('a'), replica('b')], weights: changed, current: first });
    assert.equal(again.moves.length, 0);
  });

  test('a big imbalance moves shards from the heavy replica', () => {
    const shards = hashShardIds(4);
    const current = new Map([
      ['0', 'a'],
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'b'],
    ]);
    const weights = new Map([
      ['0', 50],
      ['1', 50],
      ['2', 1],
      ['3', 1],
    ]);
    const { assignment, moves } = assign({ shards, replicas: [replica('a'), replica('b')], weights, current });
    assert.equal(moves.length, 1);
    assert.notEqual(assignment.get('0'), assignment.get('1'));
  });
});

describe('computeAssignment: operator moves', () => {
  test('a shard moved by hand stays; balance gives up another shard instead', () => {
    const shards = hashShardIds(8);
    const before = assign({ shards, replicas: [replica('a'), replica('b')] }).assignment;
    // The operator moves the highest-numbered shard of a to b: b is now one over its share.
    const fromA = shards.filter((s) => before.get(s) === 'a').sort((x, y) => Number(y) - Number(x))[0];
    assert.ok(fromA);
    const current = new Map(before);
    current.set(fromA, 'b');
    const { assignment } = assign({
      shards,
      replicas: [replica('a'), replica('b')],
      current,
      preferKeep: new Map([[fromA, 1]]),
    });
    assert.equal(assignment.get(fromA), 'b');
    assert.ok(spread(assignment, ['a', 'b']) <= 1);
  });

  test('when every shard of the replica was moved by hand, the oldest move gives way, never the latest', () => {
    const shards = hashShardIds(4);
    // b holds 3 shards, all moved by hand (shard 3 last); a holds 1: b must give one up.
    const current = new Map([
      ['0', 'a'],
      ['1', 'b'],
      ['2', 'b'],
      ['3', 'b'],
    ]);
    const preferKeep = new Map([
      ['1', 100],
      ['2', 200],
      ['3', 300],
    ]);
    const { assignment, moves } = assign({ shards, replicas: [replica('a'), replica('b')], current, preferKeep });
    assert.deepEqual(
      moves.map((m) => [m.shard, m.to]),
      [['1', 'a']],
    );
    assert.equal(assignment.get('3'), 'b');
  });
});
