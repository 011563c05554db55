import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashShardIds, shardOf } from './hash.js';
import { xxHash32 } from 'js-xxhash';

test('xxHash32 matches the reference vectors, so other languages compute the same shard', () => {
  // Reference values of XXH32 with seed 0 (from the xxHash specification's test vectors).
  assert.equal(xxHash32('', 0), 0x02cc5d05);
  assert.equal(xxHash32('abc', 0), 0x32d153ff);
});

test('shardOf is deterministic and in range for any name', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.integer({ min: 1, max: 1024 }), (ns, name, s) => {
      const shard = shardOf(ns, name, s);
      assert.ok(shard >= 0 && shard < s);
      assert.equal(shardOf(ns, name, s), shard);
    }),
  );
});

test('shardOf spreads workflows evenly over 32 shards', () => {
  const counts = new Array<number>(32).fill(0);
  for (let i = 0; i < 32_000; i++) counts[shardOf('team-a', `wf-${i}`, 32)]! += 1;
  // Expected 1000 per shard; a uniform hash stays well inside ±15%.
  for (const c of counts) assert.ok(c > 850 && c < 1150, `uneven shard count ${c}`);
});

test('shardOf hashes "<namespace>/<name>"', () => {
  assert.equal(shardOf('team-a', 'nightly-etl', 1024), xxHash32('team-a/nightly-etl', 0) % 1024);
  assert.notEqual(shardOf('team-a', 'x', 1 << 12), shardOf('team-b', 'x', 1 << 12));
});

test('shardOf rejects a shard count out of range', () => {
  assert.throws(() => shardOf('a', 'b', 0), RangeError);
  assert.throws(() => shardOf('a', 'b', 1.5), RangeError);
});

test('hashShardIds lists every shard', () => {
  assert.deepEqual(hashShardIds(3), ['0', '1', '2']);
});
