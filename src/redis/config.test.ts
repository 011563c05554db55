import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRedis, parseRedisConfig, RedisConfigError, redisOptions } from './index.js';

describe('Redis URLs', () => {
  test('one server, with db, user and password', () => {
    assert.deepEqual(parseRedisConfig('redis://127.0.0.1:6380/2'), {
      mode: 'single',
      nodes: [{ host: '127.0.0.1', port: 6380 }],
      db: 2,
    });
    const config = parseRedisConfig('rediss://app:s%40cret@redis.example:6390');
    assert.deepEqual(config, {
      mode: 'single',
      nodes: [{ host: 'redis.example', port: 6390 }],
      username: 'app',
      password: 's@cret',
      tls: {},
    });
    assert.equal(parseRedisConfig('redis://localhost').nodes[0]?.port, 6379);
  });

  test('cluster seed nodes and sentinel groups', () => {
    const cluster = parseRedisConfig('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002');
    assert.equal(cluster.mode, 'cluster');
    assert.deepEqual(cluster.nodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    const sentinel = parseRedisConfig('rediss+sentinel://s1,s2:26380/mymaster/3');
    assert.equal(sentinel.mode, 'sentinel');
    assert.deepEqual(sentinel.nodes, [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ]);
    assert.equal(sentinel.masterName, 'mymaster');
    assert.equal(sentinel.db, 3);
    const options = redisOptions(sentinel);
    assert.equal(options.name, 'mymaster');
    assert.equal(options.enableTLSForSentinelMode, true);
  });

  test('secrets from files and the environment win over the URL; never in descriptions or errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-redis-config-'));
    writeFileSync(join(dir, 'password'), 'from-file\n');
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    const config = parseRedisConfig('rediss://app:in-url@h:1', {
      passwordFile: join(dir, 'password'),
      password: 'from-env',
      caFile: join(dir, 'ca.pem'),
    });
    assert.equal(config.password, 'from-file');
    assert.match(config.tls?.ca ?? '', /BEGIN CERTIFICATE/);
    assert.equal(parseRedisConfig('redis://app:in-url@h:1', { password: 'from-env' }).password, 'from-env');
    assert.equal(describeRedis(config), 'rediss://app@h:1 (password set)');
    assert.throws(
      () => parseRedisConfig('redis://app:pw@h:1', { caFile: join(dir, 'ca.pem') }),
      (e: unknown) => e instanceof RedisConfigError && e.code === 'InvalidUrl',
    );
    assert.throws(
      () => parseRedisConfig('redis://h', { passwordFile: join(dir, 'missing') }),
      (e: unknown) => e instanceof RedisConfigError && e.code === 'UnreadableSecret',
    );
  });

  test('malformed URLs are refused without echoing them', () => {
    for (const url of [
      'http://h:1',
      'redis://a:1,b:2',
      'redis+sentinel://s1:26379',
      'redis+cluster://a:1/0',
      'redis://h:99999',
      'redis://h/x',
    ]) {
      assert.throws(
        () => parseRedisConfig(url),
        (e: unknown) => e instanceof RedisConfigError && e.code === 'InvalidUrl' && !e.message.includes(url),
        url,
      );
    }
  });
});
