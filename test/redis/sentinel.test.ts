/**
 * The shard queue and the event store through Sentinel (1 master, 2 replicas, 3 sentinels, started
 * by the test from Debian's redis-server and redis-sentinel), riding failovers: the master
 * SIGKILLed during queued work, and a `SENTINEL FAILOVER` while events are recorded.
 *
 * Redis replicates asynchronously: a write the killed master acknowledged but had not yet sent to
 * the promoted replica is gone. The queue fires `onRedisReconnect` when it reconnects (to the new
 * master); the replica then re-enqueues every workflow of its informer cache (replica.ts), which the
 * hook here mirrors with every key not yet done. Every key enqueued must run.
 *
 * The data nodes and the sentinels each have their own password, given as the client gets them:
 * a password file and `FLOTILLA_REDIS_SENTINEL_PASSWORD`-style secrets merged into the URL's config.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ShardQueue } from '../../src/controller/queue/index.js';
import { EventSinkError } from '../../src/events/errors.js';
import { RedisEventStore } from '../../src/events/sink/redis-store.js';
import type { RecordResult } from '../../src/events/sink/store.js';
import type { ExecutionEvent } from '../../src/engine/events.js';
import { parseRedisConfig, type RedisConfig } from '../../src/redis/index.js';
import { RedisSentinelGroup } from '../support/redis-sentinel.js';
import { waitFor } from '../support/wait.js';
import { runEvents } from '../grpc/events-fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Sentinel (1 master, 2 replicas, 3 sentinels)', { timeout: 240_000 }, () => {
  let group: RedisSentinelGroup;
  let config: RedisConfig;

  // A fresh group per test: after the first test's SIGKILL the group is one replica short, and a
  // replica still resyncing with the promoted master could keep the next test's WAIT from ever
  // counting every connected replica (seen once on a loaded machine).
  beforeEach(async () => {
    group = await RedisSentinelGroup.start({ password: 'data-s3cret', sentinelPassword: 'sentinel-s3cret' });
    config = parseRedisConfig(group.url, { password: 'data-s3cret', sentinelPassword: 'sentinel-s3cret' });
  });
  afterEach(async () => {
    await group?.stop();
  });

  test('the master SIGKILLed during queued work: rounds pause, go on on the promoted replica, and every key runs', async () => {
    const enqueued = new Set<string>();
    const done = new Set<string>();
    let reconnects = 0;
    const queue: ShardQueue = new ShardQueue({
      shard: 3,
      redisUrl: group.url,
      redis: config,
      concurrency: 4,
      backoffBaseMs: 50,
      wakeupPollMs: 200,
      enqueueTimeoutMs: 2000,
      processor: async (key) => {
        await sleep(30);
        done.add(key);
      },
      onRedisReconnect: () => {
        reconnects += 1;
        // What the replica does: every workflow of the informer cache is enqueued again.
        for (const key of enqueued) if (!done.has(key)) void queue.enqueue(key);
      },
    });
    try {
      await queue.start();
      const oldMaster = await group.masterPort();
      let killed: Promise<number> | undefined;
      for (let i = 0; i < 60; i++) {
        const key = `ns/wf-${i}`;
        enqueued.add(key);
        await queue.enqueue(key);
        if (i === 20) killed = group.killMaster();
        await sleep(20);
      }
      assert.equal(await killed, oldMaster);
      const newMaster = await group.waitNewMaster(oldMaster);
      assert.notEqual(newMaster, oldMaster);
      await waitFor(() => done.size === enqueued.size, {
        what: 'every enqueued key to run',
        timeoutMs: 45_000,
        intervalMs: 200,
      });
      assert.ok(reconnects >= 1, 'the queue saw the reconnect and the owner re-enqueued');
      const role = await group.cli(newMaster, ['ROLE']);
      assert.match(role, /^master/);
    } finally {
      await queue.stop({ graceMs: 1000, forceMs: 1000 });
    }
  });

  test('a SENTINEL FAILOVER while events are recorded: nothing stored is lost, nothing stored twice', async () => {
    const store = new RedisEventStore({ url: group.url, redis: config });
    try {
      await store.ready();
      const events = runEvents('sentinel-failover', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
      const half = Math.floor(events.length / 2);
      const recordWithRetry = async (event: ExecutionEvent): Promise<RecordResult> => {
        // What the EventPublisher does: a store that is unavailable is retried.
        for (let attempt = 0; ; attempt++) {
          try {
            return await store.record(event);
          } catch (error) {
            if (!(error instanceof EventSinkError) || !error.retryable || attempt > 200) throw error;
            await sleep(100);
          }
        }
      };
      for (const event of events.slice(0, half)) assert.equal((await recordWithRetry(event)).outcome, 'stored');
      const oldMaster = await group.masterPort();
      // Wait until every connected replica acknowledges everything so far (a graceful failover
      // then loses nothing, whichever replica the sentinels promote: they choose from INFO
      // snapshots that may be a second old). One WAIT can time out with fewer acks: ask again.
      await waitFor(
        async () => {
          // The replicas connected now (both, in a fresh group; asked rather than assumed).
          const info = await group.cli(oldMaster, ['INFO', 'replication']);
          const connected = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? '0');
          if (connected < 1) return false;
          const acked = Number((await group.cli(oldMaster, ['WAIT', String(connected), '2000'])).trim());
          return acked >= connected;
        },
        { timeoutMs: 75_000, what: 'every connected replica acknowledging the first half' },
      );
      await group.failover();
      const outcomes: string[] = [];
      for (const event of events.slice(half)) outcomes.push((await recordWithRetry(event)).outcome);
      await group.waitNewMaster(oldMaster);
      assert.deepEqual(
        outcomes,
        events.slice(half).map(() => 'stored'),
      );
      for (const event of events.slice(0, half))
        assert.equal((await recordWithRetry(event)).outcome, 'duplicate', 'dedup keys survived the failover');
      const listed = await store.list({ namespace: 'team-a', name: 'sentinel-failover' }, { pageSize: 1000 });
      assert.deepEqual(
        listed.events.map((e) => e.event.id),
        events.map((e) => e.id),
      );
      await group.waitSettled();
    } finally {
      await store.close();
    }
  });
});
