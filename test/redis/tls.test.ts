/**
 * TLS and ACL auth against a real redis-server: a CA issued by the test (src/security/certs.ts),
 * the server on a TLS port with an ACL user and the default user off; the shard queue and the event
 * store connect with `rediss://user@…`, the CA file and the password from a file (as a mounted
 * Secret gives it). A client without the CA is refused; the password never shows in the config's
 * description. Then a 3+3 Redis Cluster whose ports, bus and replication speak only TLS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueError, ShardQueue } from '../../src/controller/queue/index.js';
import { RedisEventStore } from '../../src/events/sink/redis-store.js';
import { describeRedis, parseRedisConfig } from '../../src/redis/index.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { freePorts, RedisProcess } from '../support/redis-process.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait.js';
import { runEvents } from '../grpc/events-fixtures.js';

const PASSWORD = 'tls-test-s3cret';

describe('Redis over TLS with an ACL user', { timeout: 60_000 }, () => {
  let dir: string;
  let server: RedisProcess;
  let tlsPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-redis-tls-'));
    const ca = await createCertificateAuthority({ commonName: 'flotilla test CA' });
    const cert = await issueCertificate(ca, {
      commonName: 'redis',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'server.pem'), cert.certPem);
    writeFileSync(join(dir, 'server-key.pem'), cert.keyPem);
    const client = await issueCertificate(ca, { commonName: 'redis-node', usage: 'client' });
    writeFileSync(join(dir, 'client.pem'), client.certPem);
    writeFileSync(join(dir, 'client-key.pem'), client.keyPem);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    const [plainPort = 0, port = 0] = await freePorts(2);
    tlsPort = port;
    server = new RedisProcess(plainPort, 'redis-server', [
      '--port',
      String(plainPort),
      '--tls-port',
      String(tlsPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--tls-cert-file',
      join(dir, 'server.pem'),
      '--tls-key-file',
      join(dir, 'server-key.pem'),
      '--tls-ca-cert-file',
      join(dir, 'ca.pem'),
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--user',
      'default',
      'off',
      '--user',
      'flotilla',
      'on',
      `>${PASSWORD}`,
      '~*',
      '&*',
      '+@all',
    ]);
    await server.start();
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the queue and the event store work over rediss:// with a CA file and a password file', async () => {
    const config = parseRedisConfig(`rediss://flotilla@127.0.0.1:${tlsPort}`, {
      caFile: join(dir, 'ca.pem'),
      passwordFile: join(dir, 'password'),
    });
    assert.ok(!describeRedis(config).includes(PASSWORD));
    const ran: string[] = [];
    const queue = new ShardQueue({
      shard: 1,
      redisUrl: 'unused://',
      redis: config,
      processor: async (key) => void ran.push(key),
      startTimeoutMs: 10_000,
    });
    try {
      await queue.start();
      await queue.enqueue('ns/over-tls');
      await waitFor(() => ran.includes('ns/over-tls'), { what: 'a round over TLS' });
    } finally {
      await queue.stop({ graceMs: 500 });
    }
    const store = new RedisEventStore({ url: 'unused://', redis: config });
    try {
      await store.ready();
      const [event] = runEvents('over-tls', ['a']);
      assert.ok(event);
      assert.equal((await store.record(event)).outcome, 'stored');
      assert.equal((await store.record(event)).outcome, 'duplicate');
    } finally {
      await store.close();
    }
  });

  test('without the CA, or with a wrong password, the queue does not start (typed error)', async () => {
    for (const config of [
      parseRedisConfig(`rediss://flotilla@127.0.0.1:${tlsPort}`, { password: PASSWORD }),
      parseRedisConfig(`rediss://flotilla@127.0.0.1:${tlsPort}`, { caFile: join(dir, 'ca.pem'), password: 'wrong' }),
    ]) {
      const queue = new ShardQueue({
        shard: 2,
        redisUrl: 'unused://',
        redis: config,
        processor: async () => undefined,
        startTimeoutMs: 2000,
      });
      await assert.rejects(queue.start(), (e: unknown) => e instanceof QueueError && e.code === 'Redis');
    }
  });

  test('a Redis Cluster speaking only TLS: queues of several shards and the partitioned event store over rediss+cluster://', async () => {
    const cluster = await RedisCluster.start({
      tls: {
        certFile: join(dir, 'server.pem'),
        keyFile: join(dir, 'server-key.pem'),
        clientCertFile: join(dir, 'client.pem'),
        clientKeyFile: join(dir, 'client-key.pem'),
        caFile: join(dir, 'ca.pem'),
      },
    });
    const queues: ShardQueue[] = [];
    const store = new RedisEventStore({
      url: 'unused://',
      redis: parseRedisConfig(cluster.url, { caFile: join(dir, 'ca.pem') }),
      partitions: 4,
    });
    try {
      assert.match(cluster.url, /^rediss\+cluster:\/\//);
      const config = parseRedisConfig(cluster.url, { caFile: join(dir, 'ca.pem') });
      const ran = new Set<string>();
      for (const shard of [0, 1, 2, 3]) {
        const queue = new ShardQueue({
          shard,
          redisUrl: 'unused://',
          redis: config,
          processor: async (key) => void ran.add(`${shard}:${key}`),
          startTimeoutMs: 20_000,
        });
        queues.push(queue);
        await queue.start();
        await queue.enqueue('ns/over-tls');
      }
      await waitFor(() => ran.size === 4, { what: 'a round on each shard over TLS', timeoutMs: 20_000 });
      await store.ready(20_000);
      for (const event of runEvents('cluster-tls', ['a'])) assert.equal((await store.record(event)).outcome, 'stored');
    } finally {
      await Promise.all(queues.map((q) => q.stop({ graceMs: 500, forceMs: 1000 })));
      await store.close();
      await cluster.stop();
    }
  });
});
