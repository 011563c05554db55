import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shardsOf } from '../../bench/fleet.js';

test('the fleet bench splits the shards between its replicas: every shard once, evenly', () => {
  for (const replicas of [1, 2, 3]) {
    const parts = Array.from({ length: replicas }, (_, i) => shardsOf(i, replicas, 32));
    assert.deepEqual(
      parts.flat().sort((a, b) => a - b),
      Array.from({ length: 32 }, (_, s) => s),
    );
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes.join(',')}`);
  }
  assert.deepEqual(shardsOf(1, 3, 8), [1, 4, 7]);
});
