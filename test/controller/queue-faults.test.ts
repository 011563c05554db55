/**
 * The shard queue under faults: an owner SIGKILLed mid-round (its job comes back through the next
 * owner's stalled check), Redis killed and restarted (workers reconnect, enqueues made during
 * the outage are not lost, the reconnect hook fires), and a round that ignores the abort of a
 * stop (the stop, on which the shard's lease is released, waits for it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { ShardQueue } from '../../src/controller/queue/index.js';

const fixture = fileURLToPath(new URL('./fixtures/queue-owner.ts', import.meta.url));

describe('shard queue faults (real Redis, real processes)', () => {
  let redis: RedisServer;
  const queues: ShardQueue[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    redis = await RedisServer.start({ persist: true });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(queues.map((q) => q.stop({ graceMs: 500 })));
    await redis.stop();
  });

  test('a round left active by a SIGKILLed owner runs again on the next owner', async () => {
    const shard = 300;
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, redis.url, String(shard), 'ns/orphan'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('active ns/orphan'), {
      what: 'round active in the old owner',
      timeoutMs: 20_000,
    });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;

    const runs: string[] = [];
    const newOwner = new ShardQueue({
      shard,
      redisUrl: redis.url,
      stalledIntervalMs: 1000,
      processor: async (key) => void runs.push(key),
    });
    queues.push(newOwner);
    await newOwner.start();
    // An informer re-list of the new owner enqueues the key while it is still "active" (stalled):
    // that must not be lost either.
    await newOwner.enqueue('ns/orphan');
    await waitFor(() => runs.length >= 1, { what: 'stalled round recovered by the new owner', timeoutMs: 15_000 });
    assert.equal(runs[0], 'ns/orphan');
    await waitFor(() => runs.length >= 2, { what: 'the enqueue made during the stall runs too', timeoutMs: 5000 });
  });

  test('Redis killed and restarted: enqueues during the outage run, the reconnect hook fires', async () => {
    const runs: string[] = [];
    const reconnects: number[] = [];
    const queue = new ShardQueue({
      shard: 301,
      redisUrl: redis.url,
      enqueueTimeoutMs: 1000,
      processor: async (key) => void runs.push(key),
      onRedisReconnect: (shard) => reconnects.push(shard),
    });
    queues.push(queue);
    await queue.start();
    await queue.enqueue('ns/before');
    await waitFor(() => runs.includes('ns/before'), { what: 'run before the outage' });

    await redis.kill();
    await queue.enqueue('ns/during');
    await queue.enqueue('ns/during-delayed', { delayMs: 200 });
    assert.ok(queue.pendingCount >= 1, 'enqueues Redis did not take are kept (one may be in a retry right now)');
    await redis.restart();
    await waitFor(() => reconnects.length >= 1, { what: 'reconnect hook', timeoutMs: 15_000 });
    assert.equal(reconnects[0], 301);
    await waitFor(() => runs.includes('ns/during') && runs.includes('ns/during-delayed'), {
      what: 'outage enqueues run',
      timeoutMs: 15_000,
    });
    assert.equal(queue.pendingCount, 0);
    await queue.enqueue('ns/after');
    await waitFor(() => runs.includes('ns/after'), { what: 'worker reconnected', timeoutMs: 15_000 });
  });

  test('stop returns while Redis is down, with a round in flight', { timeout: 30_000 }, async () => {
    let running = false;
    const queue = new ShardQueue({
      shard: 302,
      redisUrl: redis.url,
      processor: async (_key, ctx) => {
        running = true;
        await new Promise<void>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      },
    });
    await queue.start();
    await queue.enqueue('ns/stuck');
    await waitFor(() => running, { what: 'round in flight' });
    await redis.kill();
    await queue.stop({ graceMs: 300, forceMs: 1000 });
    await queue.enqueue('ns/after-stop');
    assert.equal(queue.pendingCount, 0, 'a stopped queue takes nothing');
    await redis.restart();
  });

  test(
    'stop never returns while an aborted round still runs, long past its grace and force times',
    { timeout: 30_000 },
    async () => {
      // A JS round cannot be killed: between two awaits it goes on whatever the abort says. The
      // shard's lease is released (or left to expire) when stop returns, so stop must outwait it.
      let endRound: () => void = () => undefined;
      const roundMayEnd = new Promise<void>((resolve) => (endRound = resolve));
      const order: string[] = [];
      let aborted = false;
      const logs: Array<Record<string, unknown>> = [];
      const logger = pino(
        { level: 'debug' },
        { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
      );
      const queue = new ShardQueue({
        shard: 303,
        redisUrl: redis.url,
        logger,
        processor: async (_key, ctx) => {
          order.push('round started');
          ctx.signal.addEventListener('abort', () => (aborted = true));
          await roundMayEnd; // ignores the abort
          order.push('round ended');
        },
      });
      queues.push(queue);
      await queue.start();
      await queue.enqueue('ns/slow');
      await waitFor(() => order.includes('round started'), { what: 'round in flight' });

      let returned = false;
      const stopping = queue.stop({ graceMs: 200, forceMs: 300, lingerLogMs: 200 }).then(() => {
        returned = true;
        order.push('stop returned');
      });
      // Past the grace period (abort) and the force time, the stop either returned (wrong) or says it
      // still waits for the round (a structured log line with how long it waited so far).
      const waiting = () => logs.some((line) => typeof line.waitedMs === 'number');
      await waitFor(() => returned || waiting(), {
        what: 'the stop past its grace and force times',
        timeoutMs: 15_000,
      });
      assert.equal(aborted, true, 'the round was aborted after the grace period');
      assert.equal(returned, false, 'stop returned while the aborted round was still running');
      assert.equal(queue.activeHere, 1);

      endRound();
      await stopping;
      assert.deepEqual(order, ['round started', 'round ended', 'stop returned']);
      assert.equal(queue.activeHere, 0);
    },
  );

  test(
    'Redis down and a round that ends only after the abort: stop returns after it, and nothing spins',
    { timeout: 30_000 },
    async () => {
      let endRound: () => void = () => undefined;
      const roundMayEnd = new Promise<void>((resolve) => (endRound = resolve));
      let started = false;
      let ended = false;
      const logs: Array<Record<string, unknown>> = [];
      const logger = pino(
        { level: 'debug' },
        { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
      );
      const queue = new ShardQueue({
        shard: 304,
        redisUrl: redis.url,
        logger,
        processor: async () => {
          started = true;
          await roundMayEnd; // ignores the abort
          ended = true;
        },
      });
      queues.push(queue);
      await queue.start();
      await queue.enqueue('ns/slow-offline');
      await waitFor(() => started, { what: 'round in flight' });
      await redis.kill();

      let returned = false;
      const stopping = queue.stop({ graceMs: 200, forceMs: 500, lingerLogMs: 200 }).then(() => (returned = true));
      await waitFor(() => returned || logs.some((line) => typeof line.waitedMs === 'number'), {
        what: 'the stop waiting for the round',
        timeoutMs: 15_000,
      });
      assert.equal(returned, false, 'stop returned while the round was still running');
      // The round ends now; its job's bookkeeping cannot reach Redis, so the worker is forced shut.
      endRound();
      await stopping;
      assert.equal(ended, true);
      // A worker retrying that bookkeeping without a pause would starve the event loop: timers fire.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await redis.restart();
    },
  );

  test("a round turned away while its shard is handed over comes back on the next owner (the stale worker may hold the next owner's job)", async () => {
    const shard = 303;
    let release: (() => void) | undefined;
    const turnedAway = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const old = new ShardQueue({
      shard,
      redisUrl: redis.url,
      logger: pino({ level: 'silent' }),
      // The stale owner's round: it starts, the shard's stop begins, then the lease check turns it away.
      processor: async () => {
        started = true;
        await turnedAway;
        return { requeueAfterMs: 100 };
      },
    });
    queues.push(old);
    await old.start();
    await old.enqueue('ns/handed-over');
    await waitFor(() => started, { what: 'the stale round started' });
    const stopping = old.stop({ graceMs: 5_000 });
    release?.();
    await stopping;
    const ran: string[] = [];
    const next = new ShardQueue({
      shard,
      redisUrl: redis.url,
      logger: pino({ level: 'silent' }),
      processor: async (key) => {
        ran.push(key);
        return {};
      },
    });
    queues.push(next);
    await next.start();
    await waitFor(() => ran.includes('ns/handed-over'), {
      what: 'the next owner runs the turned-away key',
      timeoutMs: 15_000,
    });
  });
});
