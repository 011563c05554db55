import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertWorkflowKey, queueName, queuePrefix, wakeupsKey } from './keys.js';
import { redisOptionsFromUrl } from './redis.js';
import { QueueError } from './errors.js';

test('queue names and prefixes carry one hash tag per shard', () => {
  assert.equal(queueName(0), 'shard-0');
  assert.equal(queuePrefix(31), '{flotilla:shard-31}');
  assert.equal(queuePrefix(2, 'fleet-a'), '{fleet-a:shard-2}');
  assert.equal(wakeupsKey(5), '{flotilla:shard-5}:shard-5:wakeups');
  assert.throws(
    () => queueName(-1),
    (e: unknown) => e instanceof QueueError && e.code === 'InvalidShard',
  );
  assert.throws(
    () => queuePrefix(1.5),
    (e: unknown) => e instanceof QueueError && e.code === 'InvalidShard',
  );
});

test('workflow keys are namespace/name', () => {
  assertWorkflowKey('team-a/nightly');
  for (const bad of ['', 'x', '/x', 'x/', 'a/b/c']) {
    assert.throws(
      () => assertWorkflowKey(bad),
      (e: unknown) => e instanceof QueueError && e.code === 'InvalidKey',
      bad,
    );
  }
});

test('Redis URLs become connection options', () => {
  assert.deepEqual(redisOptionsFromUrl('redis://127.0.0.1:6390'), { host: '127.0.0.1', port: 6390 });
  assert.deepEqual(redisOptionsFromUrl('rediss://u:p%40ss@redis.example:7000/2'), {
    host: 'redis.example',
    port: 7000,
    username: 'u',
    password: 'p@ss',
    db: 2,
    tls: {},
  });
  assert.deepEqual(redisOptionsFromUrl('redis://localhost'), { host: 'localhost', port: 6379 });
  assert.throws(
    () => redisOptionsFromUrl('http://x'),
    (e: unknown) => e instanceof QueueError && e.code === 'Redis',
  );
  assert.throws(
    () => redisOptionsFromUrl('not a url'),
    (e: unknown) => e instanceof QueueError && e.code === 'Redis',
  );
});
