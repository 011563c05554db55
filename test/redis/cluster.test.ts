/**
 * The shard queues and the event store on a real Redis Cluster (3 masters, 3 replicas, started by
 * the test from Debian's redis-server): shards' keys in their own slots spread over the masters,
 * dedup, no lost update, wake-ups, events stored once, a master SIGKILLed mid-run (its replica
 * promoted), and a slot migration mid-run (`redis-cli --cluster reshard`). The kill runs before the
 * migration: a migration that empties a master leaves two masters with slots, too few to elect a
 * replica after another kill.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import {
  ShardQueue,
  queueName,
  queuePrefix,
  wakeupsKey,
  type RoundProcessor,
} from '../../src/controller/queue/index.js';
import { RedisEventStore } from '../../src/events/sink/redis-store.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait.js';
import { runEvents } from '../grpc/events-fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis Cluster (3 masters, 3 replicas)', { timeout: 120_000 }, () => {
  let cluster: RedisCluster;
  const queues: ShardQueue[] = [];

  async function startQueue(
    shard: number,
    processor: RoundProcessor,
    onRedisReconnect?: () => void,
  ): Promise<ShardQueue> {
    const queue = new ShardQueue({
      shard,
      redisUrl: cluster.url,
      processor,
      backoffBaseMs: 50,
      wakeupPollMs: 200,
      startTimeoutMs: 20_000,
      ...(onRedisReconnect ? { onRedisReconnect } : {}),
    });
    queues.push(queue);
    await queue.start();
    return queue;
  }

  before(async () => {
    cluster = await RedisCluster.start();
  });
  after(async () => {
    await Promise.all(queues.map((q) => q.stop({ graceMs: 500, forceMs: 1000 })));
    await cluster?.stop();
  });

  test("each shard keeps its keys in one slot, and a fleet's shards spread over every master", async () => {
    const masters = new Set<number>();
    for (let shard = 0; shard < 16; shard++) {
      const slot = calculateSlot(queuePrefix(shard));
      assert.equal(calculateSlot(wakeupsKey(shard)), slot);
      assert.equal(calculateSlot(`${queuePrefix(shard)}:${queueName(shard)}:meta`), slot);
      assert.equal(calculateSlot(`${queuePrefix(shard)}:${queueName(shard)}:de:ns/wf`), slot);
      masters.add(await cluster.masterOf(slot));
    }
    assert.equal(masters.size, 3, 'sixteen shards land on all three masters');
  });

  test('queues of shards on different masters: dedup, no lost update, wake-ups; keys where the slot map says', async () => {
    // Two shards whose slots are served by different masters.
    const shards: number[] = [];
    const owners = new Set<number>();
    for (let shard = 0; shards.length < 2; shard++) {
      const master = await cluster.masterOf(calculateSlot(queuePrefix(shard)));
      if (owners.has(master)) continue;
      owners.add(master);
      shards.push(shard);
    }
    const runs = new Map<string, number>();
    let release = () => undefined as void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const processor: RoundProcessor = async (key) => {
      runs.set(key, (runs.get(key) ?? 0) + 1);
      if (key === 'ns/busy' && runs.get(key) === 1) await hold;
      return key === 'ns/sleepy' && runs.get(key) === 1 ? { requeueAfterMs: 300 } : undefined;
    };
    const [a, b] = await Promise.all(shards.map((shard) => startQueue(shard, processor)));
    assert.ok(a && b);

    // Dedup: a burst for an idle key is one run, at most two.
    await Promise.all(Array.from({ length: 30 }, () => a.enqueue('ns/burst')));
    // No lost update: an enqueue while the key's round runs gives exactly one more run.
    await b.enqueue('ns/busy');
    await waitFor(() => runs.get('ns/busy') === 1, { what: 'first busy round' });
    await b.enqueue('ns/busy');
    await b.enqueue('ns/busy');
    release();
    await waitFor(() => runs.get('ns/busy') === 2, { what: 'the follow-up round' });
    // Wake-ups: a round that asks to come back runs again.
    await a.enqueue('ns/sleepy');
    await waitFor(() => runs.get('ns/sleepy') === 2, { what: 'the wake-up', timeoutMs: 5000 });
    await sleep(300);
    const burst = runs.get('ns/burst') ?? 0;
    assert.ok(burst >= 1 && burst <= 2, `burst runs: ${burst}`);
    assert.equal(runs.get('ns/busy'), 2);
    assert.equal(runs.get('ns/sleepy'), 2);

    // Each shard's queue lives on the master its slot maps to, and only there.
    for (const shard of shards) {
      const key = `${queuePrefix(shard)}:${queueName(shard)}:meta`;
      const master = await cluster.masterOf(calculateSlot(key));
      assert.equal((await cluster.command(master, ['EXISTS', key])).trim(), '1', `shard ${shard} meta on its master`);
    }
  });

  test('the event store records each event once across partitions on several masters; List and Watch see them', async () => {
    const store = new RedisEventStore({ url: cluster.url, partitions: 8, watchPollMs: 50 });
    const abort = new AbortController();
    try {
      await store.ready();
      const masters = new Set<number>();
      for (let p = 0; p < 8; p++) masters.add(await cluster.masterOf(calculateSlot(store.streamKey(p))));
      assert.ok(masters.size >= 2, 'partitions on several masters');

      const seen: string[] = [];
      const watching = (async () => {
        for await (const stored of store.watch('beginning', abort.signal)) seen.push(stored.event.id);
      })();
      const workflows = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'].map((name) =>
        runEvents(`cluster-${name}`, ['a', 'b']),
      );
      const partitions = new Set(workflows.map((events) => store.partitionOf(`team-a/${events[0]!.workflow.name}`)));
      assert.ok(partitions.size >= 2, 'workflows in several partitions');
      for (const events of workflows) {
        for (const event of events) assert.equal((await store.record(event)).outcome, 'stored');
        for (const event of events) assert.equal((await store.record(event)).outcome, 'duplicate');
      }
      const all = workflows.flat();
      for (const events of workflows) {
        const page = await store.list({ namespace: 'team-a', name: events[0]!.workflow.name }, { pageSize: 100 });
        assert.deepEqual(
          page.events.map((e) => e.event.id),
          events.map((e) => e.id),
          'List: one workflow, in order',
        );
      }
      await waitFor(() => seen.length >= all.length, { what: 'watch sees every event', timeoutMs: 10_000 });
      await sleep(200);
      assert.equal(seen.length, all.length, 'each event watched once');
      assert.deepEqual(new Set(seen), new Set(all.map((e) => e.id)));
      abort.abort();
      await watching;
    } finally {
      abort.abort();
      await store.close();
    }
  });

  test("a master SIGKILLed mid-run: its replica is promoted and the shard's rounds go on", async () => {
    const shard = 40;
    const slot = calculateSlot(queuePrefix(shard));
    const victim = await cluster.masterOf(slot);
    const runs = new Map<string, number>();
    let reconnects = 0;
    const queue = await startQueue(
      shard,
      async (key) => {
        runs.set(key, (runs.get(key) ?? 0) + 1);
        await sleep(20);
      },
      () => (reconnects += 1),
    );
    const before = Array.from({ length: 20 }, (_, i) => `ns/before-${i}`);
    for (const key of before) await queue.enqueue(key);
    await waitFor(() => before.every((k) => runs.has(k)), { what: 'rounds before the kill' });
    await cluster.kill(victim);
    await waitFor(async () => (await cluster.masterOf(slot)) !== victim, {
      what: 'a replica promoted',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await cluster.waitHealthy();
    const afterKill = Array.from({ length: 20 }, (_, i) => `ns/after-${i}`);
    for (const key of afterKill) await queue.enqueue(key);
    // Enqueues that failed while the slot had no master are kept and retried by the queue itself.
    await waitFor(() => afterKill.every((k) => runs.has(k)), { what: 'rounds after the promotion', timeoutMs: 30_000 });
    // What asynchronous replication may have lost is re-created by the owner's re-enqueue.
    await waitFor(() => reconnects >= 1, { what: 'the reconnect hook after the failover', timeoutMs: 10_000 });
  });

  test('a slot migration mid-run (redis-cli --cluster reshard): the shard moves to another master and its rounds go on', async () => {
    const shard = 41;
    const slot = calculateSlot(queuePrefix(shard));
    const source = await cluster.masterOf(slot);
    const target = (await cluster.roles()).find((n) => n.role === 'master' && n.port !== source)?.port;
    assert.ok(target !== undefined);
    const runs = new Map<string, number>();
    const queue = await startQueue(shard, async (key) => {
      runs.set(key, (runs.get(key) ?? 0) + 1);
      await sleep(10);
      return key.endsWith('-0') && runs.get(key) === 1 ? { requeueAfterMs: 200 } : undefined;
    });
    let producing = true;
    const produced: string[] = [];
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        const key = `ns/migrating-${i}`;
        produced.push(key);
        await queue.enqueue(key);
        await sleep(15);
      }
    })();
    // Every slot of the source moves, ours among them, while jobs are added and run.
    const keysInSlot = Number((await cluster.command(source, ['CLUSTER', 'COUNTKEYSINSLOT', String(slot)])).trim());
    assert.ok(keysInSlot > 0, 'the shard has keys in its slot before the migration');
    await cluster.reshard(source, target, 16384);
    producing = false;
    await producer;
    assert.equal(await cluster.masterOf(slot), target, 'the slot moved');
    await waitFor(() => produced.every((k) => runs.has(k)), {
      what: 'every key enqueued around the migration runs',
      timeoutMs: 30_000,
    });
    await waitFor(() => runs.get('ns/migrating-0') === 2, {
      what: 'the wake-up scheduled before the migration',
      timeoutMs: 10_000,
    });
  });
});
