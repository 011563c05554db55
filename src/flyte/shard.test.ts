/** Shard mapping: Flyte's FNV-1a key, FlytePropeller's contiguous key ranges, blocks beyond 32 shards. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlyteError } from './errors.js';
import { completedTimeLabel, SHARD_KEYSPACE_SIZE } from './metadata.js';
import { contiguousRange, flyteShardKey, fnv1a32, parseShardKey, shardForKey, shardOfFlyteWorkflow } from './shard.js';

const wf = (labels: Record<string, string> | undefined, name = 'x1', executionName?: string) => ({
  metadata: { name, labels },
  executionId: executionName === undefined ? {} : { name: executionName },
});

describe('flyte shard mapping', () => {
  test('fnv1a32 matches the FNV-1a reference vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    assert.equal(flyteShardKey('foobar'), 0xbf9cf968 % 32);
  });

  test("contiguousRange is FlytePropeller's ComputeKeyRange (first 32 % n ranges one longer)", () => {
    assert.deepEqual(
      [0, 1, 2].map((i) => contiguousRange(32, 3, i)),
      [
        [0, 11],
        [11, 22],
        [22, 32],
      ],
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => contiguousRange(32, 5, i)),
      [
        [0, 7],
        [7, 14],
        [14, 20],
        [20, 26],
        [26, 32],
      ],
    );
  });

  test('with up to 32 shards each shard owns exactly the keys a propeller pod would', () => {
    for (let n = 1; n <= SHARD_KEYSPACE_SIZE; n++) {
      for (let s = 0; s < n; s++) {
        const [start, end] = contiguousRange(SHARD_KEYSPACE_SIZE, n, s);
        for (let k = start; k < end; k++) assert.equal(shardForKey(k, 'e', { shardCount: n }), s, `n=${n} key=${k}`);
      }
    }
  });

  test('with more than 32 shards a key owns a block and every shard gets work', () => {
    const n = 100;
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const name = `exec-${i}`;
      const key = flyteShardKey(name);
      const shard = shardForKey(key, name, { shardCount: n });
      const [start, end] = contiguousRange(n, SHARD_KEYSPACE_SIZE, key);
      assert.ok(shard >= start && shard < end);
      seen.add(shard);
    }
    assert.equal(seen.size, n);
  });

  test('the label decides; without a valid one the execution name is hashed as FlyteAdmin would', () => {
    assert.deepEqual(shardOfFlyteWorkflow(wf({ 'shard-key': '31', 'execution-id': 'abc' }), { shardCount: 4 }), {
      shard: 3,
      key: 31,
      source: 'label',
    });
    for (const bad of [undefined, '32', '07', 'x', '-1', '']) {
      const labels: Record<string, string> =
        bad === undefined ? { 'execution-id': 'abc' } : { 'shard-key': bad, 'execution-id': 'abc' };
      const decision = shardOfFlyteWorkflow(wf(labels), { shardCount: 32 });
      assert.deepEqual(
        decision,
        { shard: flyteShardKey('abc'), key: flyteShardKey('abc'), source: 'hash' },
        `label ${String(bad)}`,
      );
    }
    assert.equal(
      shardOfFlyteWorkflow(wf(undefined, 'meta-name', 'exec-name'), { shardCount: 32 }).key,
      flyteShardKey('exec-name'),
    );
    assert.equal(shardOfFlyteWorkflow(wf(undefined, 'meta-name'), { shardCount: 32 }).key, flyteShardKey('meta-name'));
    assert.equal(shardOfFlyteWorkflow(wf(undefined, 'm'), { shardCount: 32, hash: () => 37 }).key, 5);
    assert.equal(parseShardKey('0'), 0);
  });

  test('a bad shard count is a typed error', () => {
    for (const n of [0, -1, 1.5, 5000, Number.NaN]) {
      assert.throws(
        () => shardForKey(0, 'e', { shardCount: n }),
        (e: unknown) => e instanceof FlyteError && e.code === 'InvalidShardCount',
      );
    }
  });

  test('completed-time label is the UTC hour', () => {
    assert.equal(completedTimeLabel(new Date('2025-03-04T07:59:59.999Z')), '2025-03-04.07');
  });
});
