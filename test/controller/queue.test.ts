/**
 * The shard queue against a real redis-server: dedup, no lost update, delayed wake-ups, retries,
 * concurrency, counts, graceful stop and hand-over between two owners.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import {
  QueueError,
  ShardQueue,
  queuePrefix,
  queueName,
  type RoundProcessor,
  type ShardQueueOptions,
} from '../../src/controller/queue/index.js';
import { freePort } from '../support/ports.js';

/** A promise with its resolver outside, to hold a round open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('shard queue (real Redis)', () => {
  let redis: RedisServer;
  const queues: ShardQueue[] = [];
  let nextShard = 100;

  async function startQueue(processor: RoundProcessor, extra: Partial<ShardQueueOptions> = {}): Promise<ShardQueue> {
    const queue = new ShardQueue({
      shard: extra.shard ?? nextShard++,
      redisUrl: redis.url,
      processor,
      backoffBaseMs: 50,
      wakeupPollMs: 200,
      ...extra,
    });
    queues.push(queue);
    await queue.start();
    return queue;
  }

  before(async () => {
    redis = await RedisServer.start({ persist: false });
  });
  after(async () => {
    await Promise.all(queues.map((q) => q.stop({ graceMs: 500 })));
    await redis.stop();
  });

  test('keys carry a per-shard hash tag', () => {
    assert.equal(queueName(7), 'shard-7');
    assert.equal(queuePrefix(7), '{flotilla:shard-7}');
  });

  test('a burst of enqueues for an idle key is one run, at most two', async () => {
    const runs: string[] = [];
    // A round longer than the burst: every enqueue lands while the key is idle, waiting or in its
    // first run, so all of them fold into that run and at most one follow-up.
    const queue = await startQueue(async (key) => {
      runs.push(key);
      await sleep(1000);
    });
    await Promise.all(Array.from({ length: 50 }, () => queue.enqueue('ns/burst')));
    await waitFor(() => runs.length >= 1, { what: 'first run' });
    await waitFor(async () => (await queue.counts()).active === 0 && (await queue.counts()).waiting === 0, {
      what: 'queue drained',
      timeoutMs: 10_000,
    });
    await sleep(200);
    assert.ok(runs.length >= 1 && runs.length <= 2, `runs: ${runs.length}`);
  });

  test('an enqueue while the key is active leads to exactly one more run after it (no lost update)', async () => {
    const first = gate();
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = await startQueue(
      async () => {
        runs += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        if (runs === 1) await first.promise;
        concurrent -= 1;
      },
      { concurrency: 4 },
    );
    await queue.enqueue('ns/busy');
    await waitFor(() => runs === 1, { what: 'first run active' });
    for (let i = 0; i < 10; i++) await queue.enqueue('ns/busy');
    await sleep(100);
    assert.equal(runs, 1, 'the key never runs twice at once');
    first.open();
    await waitFor(() => runs === 2, { what: 'the follow-up run' });
    await sleep(300);
    assert.equal(runs, 2);
    assert.equal(maxConcurrent, 1);
    // Nothing left behind: a new enqueue runs again (the dedup key was released).
    await queue.enqueue('ns/busy');
    await waitFor(() => runs === 3, { what: 'a run after the dedup key is released' });
  });

  test('an immediate enqueue is never held back by a delayed wake-up; the earliest wake-up wins', async () => {
    const runsAt: number[] = [];
    const queue = await startQueue(async () => {
      runsAt.push(Date.now());
    });
    await queue.enqueue('ns/timer', { delayMs: 60_000 });
    const t0 = Date.now();
    await queue.enqueue('ns/timer');
    await waitFor(() => runsAt.length === 1, { what: 'immediate run despite a delayed wake-up', timeoutMs: 5000 });
    assert.ok((runsAt[0] ?? Infinity) - t0 < 60_000);
    // The delayed wake-up is still there and a later, longer delay does not postpone it.
    const wake1 = await queue.wakeupAt('ns/timer');
    assert.ok(wake1 !== undefined);
    await queue.enqueue('ns/timer', { delayMs: 120_000 });
    assert.equal(await queue.wakeupAt('ns/timer'), wake1);
    // An earlier one replaces it and fires.
    const t1 = Date.now();
    await queue.enqueue('ns/timer', { delayMs: 400 });
    const wake2 = await queue.wakeupAt('ns/timer');
    assert.ok(wake2 !== undefined && wake2 < (wake1 ?? 0));
    await waitFor(() => runsAt.length === 2, { what: 'the delayed run', timeoutMs: 5000 });
    assert.ok((runsAt[1] ?? 0) - t1 >= 390, 'a delayed run does not come early');
    await waitFor(async () => (await queue.wakeupAt('ns/timer')) === undefined, { what: 'wake-up consumed' });
  });

  test('a round that asks to come back is re-run after its delay', async () => {
    let runs = 0;
    const queue = await startQueue(async () => {
      runs += 1;
      return runs < 3 ? { requeueAfterMs: 100 } : undefined;
    });
    await queue.enqueue('ns/requeue');
    await waitFor(() => runs === 3, { what: 'three rounds through requeueAfterMs' });
    await sleep(400);
    assert.equal(runs, 3);
  });

  test('a processor error retries with back-off and never loses the key', async () => {
    const attempts: number[] = [];
    const queue = await startQueue(async (_key, ctx) => {
      attempts.push(ctx.attempt);
      if (attempts.length <= 2) throw new Error('boom');
    });
    await queue.enqueue('ns/flaky');
    await waitFor(() => attempts.length === 3, { what: 'third attempt', timeoutMs: 5000 });
    assert.deepEqual(attempts, [1, 2, 3]);
    await waitFor(async () => (await queue.counts()).delayed === 0 && (await queue.counts()).active === 0, {
      what: 'settled',
    });
  });

  test('a terminal error is not retried; a retryable typed error is, and the key runs again on the next enqueue', async () => {
    const attempts: string[] = [];
    const queue = await startQueue(async (key, ctx) => {
      attempts.push(`${key}#${ctx.attempt}`);
      if (key === 'ns/terminal') throw new QueueError('InvalidKey', 'never right');
      if (ctx.attempt === 1) throw new QueueError('Redis', 'for now');
    });
    await queue.enqueue('ns/terminal');
    await queue.enqueue('ns/retryable');
    await waitFor(() => attempts.includes('ns/retryable#2'), { what: 'retryable second attempt', timeoutMs: 5000 });
    await sleep(500);
    assert.deepEqual(
      attempts.filter((a) => a.startsWith('ns/terminal')),
      ['ns/terminal#1'],
    );
    await queue.enqueue('ns/terminal');
    await waitFor(() => attempts.filter((a) => a.startsWith('ns/terminal')).length === 2, {
      what: 'terminal key runs again on a new enqueue',
      timeoutMs: 5000,
    });
  });

  test('concurrency bounds the rounds at once; counts report waiting, delayed and active', async () => {
    const hold = gate();
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = await startQueue(
      async () => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await hold.promise;
        concurrent -= 1;
      },
      { concurrency: 2 },
    );
    for (const name of ['a', 'b', 'c', 'd']) await queue.enqueue(`ns/${name}`);
    await queue.enqueue('ns/later', { delayMs: 60_000 });
    await waitFor(() => concurrent === 2, { what: 'two active' });
    await sleep(200);
    assert.equal(maxConcurrent, 2);
    assert.deepEqual(await queue.counts(), { waiting: 2, delayed: 1, active: 2 });
    assert.equal(queue.activeHere, 2);
    hold.open();
    await waitFor(async () => (await queue.counts()).waiting === 0 && (await queue.counts()).active === 0, {
      what: 'drained',
    });
    assert.equal(maxConcurrent, 2);
  });

  test('stop lets a short round finish, aborts a long one and hands it back to the next owner', async () => {
    const shard = nextShard++;
    const seen: Array<{ owner: string; key: string; aborted?: boolean }> = [];
    const oldOwner = await startQueue(
      async (key, ctx) => {
        const entry: { owner: string; key: string; aborted?: boolean } = { owner: 'old', key };
        seen.push(entry);
        if (key === 'ns/short') return void (await sleep(300));
        await new Promise<void>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            entry.aborted = true;
            reject(new Error('aborted'));
          });
        });
      },
      { shard, concurrency: 2 },
    );
    await oldOwner.enqueue('ns/long');
    await oldOwner.enqueue('ns/short');
    await waitFor(() => seen.length === 2, { what: 'both rounds active' });
    await oldOwner.stop({ graceMs: 800 });
    assert.equal(seen.find((s) => s.key === 'ns/long')?.aborted, true);
    const newRuns: string[] = [];
    const newOwner = await startQueue(async (key) => void newRuns.push(key), { shard });
    await waitFor(() => newRuns.includes('ns/long'), { what: 'the aborted round handed back to the new owner' });
    await sleep(200);
    assert.deepEqual(newRuns, ['ns/long'], 'the finished short round is not re-run');
    // The key is usable again on the new owner.
    await newOwner.enqueue('ns/long');
    await waitFor(() => newRuns.length === 2, { what: 'another run' });
  });

  test('invalid keys are refused with a typed error', async () => {
    const queue = await startQueue(async () => undefined);
    await assert.rejects(
      queue.enqueue('no-slash'),
      (error: unknown) => error instanceof Error && 'code' in error && error.code === 'InvalidKey',
    );
  });

  test('the Redis layout: dedup key per workflow, finished jobs removed', async () => {
    const shard = nextShard++;
    let runs = 0;
    const queue = await startQueue(async () => void (runs += 1), { shard });
    await queue.enqueue('ns/layout');
    await waitFor(() => runs === 1, { what: 'run' });
    await waitFor(async () => (await queue.counts()).active === 0, { what: 'finished' });
    const client = new Redis(redis.url);
    try {
      const prefix = `${queuePrefix(shard)}:${queueName(shard)}`;
      assert.equal(await client.exists(`${prefix}:de:ns/layout`), 0, 'dedup key released after the run');
      assert.equal(await client.zcard(`${prefix}:completed`), 0, 'completed jobs are removed');
    } finally {
      client.disconnect();
    }
  });

  test('start fails with a typed error when Redis does not answer', async () => {
    const port = await freePort();
    const queue = new ShardQueue({
      shard: 999,
      redisUrl: `redis://127.0.0.1:${port}`,
      processor: async () => undefined,
      startTimeoutMs: 1000,
    });
    await assert.rejects(queue.start(), (error: unknown) => error instanceof QueueError && error.code === 'Redis');
  });
});
