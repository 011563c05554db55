import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { shardForKey } from '../../flyte/shard.js';
import { ownerKeyOfPod } from '../shard-informers.js';
import { shardKeySelector, shardKeysOf } from './informers.js';
import { cacheKeyOf, flyteKey, isFlyteKey, splitFlyteKey } from './keys.js';
import { assertWorkflowKey } from '../queue/keys.js';

test('flyte keys pass the queue key check and split back', () => {
  const key = flyteKey('flytesnacks-development', 'f1');
  assert.equal(key, 'flyte:flytesnacks-development/f1');
  assert.doesNotThrow(() => assertWorkflowKey(key));
  assert.ok(isFlyteKey(key));
  assert.ok(!isFlyteKey('default/f1'));
  assert.equal(cacheKeyOf(key), 'flytesnacks-development/f1');
  assert.deepEqual(splitFlyteKey(key), ['flytesnacks-development', 'f1']);
});

test('with up to 32 shards every shard-key is watched by exactly the shard it maps to', () => {
  for (const count of [1, 3, 4, 7, 16, 32]) {
    const owners = new Map<number, number>();
    for (let shard = 0; shard < count; shard++) {
      const keys = shardKeysOf(shard, count);
      assert.ok(keys.length > 0, `shard ${shard}/${count} watches a key`);
      for (const key of keys) {
        assert.equal(owners.has(key), false, `key ${key} watched twice`);
        owners.set(key, shard);
        assert.equal(shardForKey(key, 'x', { shardCount: count }), shard);
      }
    }
    assert.equal(owners.size, 32);
  }
  assert.equal(shardKeySelector(1, 4), 'shard-key in (8,9,10,11,12,13,14,15)');
});

test('with more than 32 shards each shard watches the key whose block holds it', () => {
  for (let shard = 0; shard < 64; shard++) assert.deepEqual(shardKeysOf(shard, 64), [Math.floor(shard / 2)]);
  for (const name of ['a', 'b', 'exec-42']) {
    for (let key = 0; key < 32; key++) {
      const shard = shardForKey(key, name, { shardCount: 64 });
      assert.ok(shardKeysOf(shard, 64).includes(key));
    }
  }
});

test("a FlyteWorkflow's pod maps to its flyte: key; a native Workflow's pod is unchanged", () => {
  const pod = (kind: string, apiVersion: string): V1Pod => ({
    metadata: {
      namespace: 'ns',
      name: 'p',
      labels: { 'flotilla.io/workflow': 'wf' },
      ownerReferences: [{ kind, apiVersion, name: 'wf', uid: 'u' }],
    },
  });
  assert.equal(ownerKeyOfPod(pod('FlyteWorkflow', 'flyte.lyft.com/v1alpha1')), 'flyte:ns/wf');
  assert.equal(ownerKeyOfPod(pod('Workflow', 'flotilla.io/v1alpha1')), 'ns/wf');
});
