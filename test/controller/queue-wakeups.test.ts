/**
 * Delayed wake-ups under races (issue 9: a workflow stuck Running after combined faults).
 *
 * The wake-up poller moves a due wake-up into a job; the round that job triggers may ask for the
 * next wake-up of the same key before the poller's own Redis bookkeeping for the first one is done
 * (an event loop busy with other rounds, a slow reply). That later wake-up must survive. To make the
 * interleaving deterministic, the queue talks to a real Redis through a small TCP proxy that can
 * hold the replies of the BullMQ producer connection (the one that adds jobs): the add itself is
 * executed by Redis at once, so its round runs, while the poller waits for the add's reply.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Socket, type Server } from 'node:net';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { ShardQueue } from '../../src/controller/queue/index.js';

/**
 * A loopback TCP proxy in front of Redis. `holdProducerRepliesMs > 0` delays every reply chunk on
 * connections that sent a BullMQ job add (recognised by the job-counter key `...:id` among the
 * command's arguments, which only the producer's add script names), keeping their order.
 */
class RedisProxy {
  holdProducerRepliesMs = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly redisPort: number) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(redisPort: number): Promise<RedisProxy> {
    const proxy = new RedisProxy(redisPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  private relay(client: Socket): void {
    const upstream = new Socket();
    this.sockets.add(client).add(upstream);
    let producer = false;
    let releaseAt = 0;
    client.on('data', (chunk: Buffer) => {
      if (chunk.includes(':id\r\n')) producer = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const hold = producer ? this.holdProducerRepliesMs : 0;
      if (hold <= 0 && releaseAt <= Date.now()) {
        client.write(chunk);
        return;
      }
      // Later chunks never overtake held ones.
      releaseAt = Math.max(releaseAt, Date.now() + hold);
      setTimeout(() => client.write(chunk), releaseAt - Date.now());
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    upstream.connect(this.redisPort, '127.0.0.1');
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('shard queue wake-ups (real Redis)', () => {
  let redis: RedisServer;
  let proxy: RedisProxy;
  const queues: ShardQueue[] = [];

  before(async () => {
    redis = await RedisServer.start({ persist: false });
    proxy = await RedisProxy.start(redis.port);
  });
  after(async () => {
    proxy.holdProducerRepliesMs = 0;
    await Promise.all(queues.map((q) => q.stop({ graceMs: 500, forceMs: 1000 })));
    await proxy.stop();
    await redis.stop();
  });

  test(
    'a wake-up asked for by the round a due wake-up triggered survives the poller moving the due one',
    { timeout: 40_000 },
    async () => {
      // A workflow with a retried task, as a level-based processor: each round asks to come back at
      // the next retry time; a round at or after that time makes the attempt (and plans the next).
      const retryGapsMs = [300, 1500];
      let attempt = 0;
      let nextAt = 0;
      const attempts: number[] = [];
      const queue = new ShardQueue({
        shard: 500,
        redisUrl: proxy.url,
        wakeupPollMs: 100,
        processor: async () => {
          if (Date.now() >= nextAt) {
            attempt += 1;
            attempts.push(Date.now());
            const gap = retryGapsMs[attempt - 1];
            if (gap === undefined) return {};
            nextAt = Date.now() + gap;
          }
          return { requeueAfterMs: Math.max(0, nextAt - Date.now()) };
        },
      });
      queues.push(queue);
      await queue.start();
      await queue.enqueue('ns/flaky');
      await waitFor(() => attempts.length === 1 && queue.activeHere === 0, { what: 'first attempt' });
      await waitFor(async () => (await queue.wakeupAt('ns/flaky')) !== undefined, { what: 'first retry scheduled' });

      // From now on the poller's add of the due wake-up is answered late: the round it triggers runs
      // (second attempt) and schedules the third before the poller hears back.
      proxy.holdProducerRepliesMs = 1500;
      await waitFor(() => attempts.length >= 2, { what: 'second attempt (the first retry)', timeoutMs: 10_000 });
      await waitFor(() => attempts.length >= 3, {
        what: 'third attempt (the wake-up the second one asked for)',
        timeoutMs: 15_000,
      });
      proxy.holdProducerRepliesMs = 0;
      assert.equal(attempts.length, 3);
    },
  );
});

describe('shard queue wake-ups across a Redis restart with its data (real Redis, append-only file)', () => {
  let redis: RedisServer;
  const queues: ShardQueue[] = [];

  before(async () => {
    redis = await RedisServer.start({ persist: true });
  });
  after(async () => {
    await Promise.all(queues.map((q) => q.stop({ graceMs: 500, forceMs: 1000 })));
    await redis.stop();
  });

  test(
    'a round in flight and a pending wake-up at the SIGKILL both run again, and no dedup key is left behind',
    { timeout: 60_000 },
    async () => {
      // `ns/active`: its round is running when Redis dies and asks to come back while Redis is down.
      // `ns/waiting`: its wake-up falls due while Redis is down. Redis returns from its AOF with the
      // active job (and its lock and dedup key) as they were.
      const runs = new Map<string, number>();
      let releaseActive: () => void = () => undefined;
      const activeMayEnd = new Promise<void>((resolve) => (releaseActive = resolve));
      const queue = new ShardQueue({
        shard: 501,
        redisUrl: redis.url,
        wakeupPollMs: 100,
        enqueueTimeoutMs: 1000,
        lockDurationMs: 3000,
        stalledIntervalMs: 1000,
        processor: async (key) => {
          const n = (runs.get(key) ?? 0) + 1;
          runs.set(key, n);
          if (key === 'ns/active' && n === 1) await activeMayEnd;
          return n === 1 ? { requeueAfterMs: key === 'ns/active' ? 300 : 1500 } : {};
        },
      });
      queues.push(queue);
      await queue.start();
      await queue.enqueue('ns/waiting');
      await waitFor(async () => runs.get('ns/waiting') === 1 && (await queue.wakeupAt('ns/waiting')) !== undefined, {
        what: 'ns/waiting scheduled',
      });
      await queue.enqueue('ns/active');
      await waitFor(() => runs.get('ns/active') === 1, { what: 'ns/active in flight' });

      await redis.kill();
      releaseActive();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await redis.restart({ wipe: false });

      await waitFor(() => (runs.get('ns/active') ?? 0) >= 2 && (runs.get('ns/waiting') ?? 0) >= 2, {
        what: 'both keys run again',
        timeoutMs: 30_000,
      });
      await waitFor(
        async () => {
          const counts = await queue.counts();
          return queue.activeHere === 0 && queue.pendingCount === 0 && counts.active + counts.waiting === 0;
        },
        { what: 'the queue idle', timeoutMs: 15_000 },
      );
      // A dedup key outliving its job would swallow every later enqueue of that key.
      const runsBefore = runs.get('ns/active') ?? 0;
      await queue.enqueue('ns/active');
      await waitFor(() => (runs.get('ns/active') ?? 0) > runsBefore, {
        what: 'a later enqueue of ns/active runs',
        timeoutMs: 10_000,
      });
      assert.equal(queue.pendingCount, 0);
    },
  );
});
