/**
 * The BullMQ queue of one shard, with its worker pool and its delayed wake-ups.
 *
 * Guarantees (each proved by test/controller/queue.test.ts against a real Redis):
 * - One job per workflow key: the job's deduplication id is the key `namespace/name`, with
 *   `keepLastIfActive` (BullMQ ≥ 5.72). A burst of enqueues for an idle key is one run; an enqueue
 *   that arrives while the key's job is active makes BullMQ create one more job when the active one
 *   finishes, so no update is lost. Job ids are BullMQ's own counters, NOT the key: the follow-up
 *   job is created by the same Lua script that finishes the active one, and with a custom job id
 *   equal to the key the finishing job's `removeOnComplete` would delete the follow-up's hash.
 * - Finished jobs are removed (`removeOnComplete`/`removeOnFail`), so they never block re-adds.
 * - Delayed re-queues live in our own sorted set (see wakeups.ts): an immediate enqueue is never
 *   held back by them, and the earliest wake-up wins. A due wake-up is taken out of the set before
 *   its job is added, so a wake-up asked for meanwhile (by the round that job runs) is never lost.
 * - A processor error retries with capped exponential back-off (`attempts`, custom strategy); an
 *   enqueue during a retry back-off is absorbed by the retrying job (which re-reads state anyway).
 *   A terminal error (a `FlotillaError` that is not retryable) is not retried: it becomes BullMQ's
 *   `UnrecoverableError`, the job fails at once, and the next enqueue of the key runs again.
 * - `stop()` stops fetching, lets in-flight jobs finish for `graceMs`, then aborts them: an aborted
 *   job is moved back to `wait` (not failed) so the next owner runs it at once. `stop()` never
 *   resolves while a processor call of this queue is still running (a JS round cannot be killed:
 *   it sees the abort at its next await), however long that takes and even when BullMQ's close
 *   hangs (Redis gone), and no processor call starts once the rounds were aborted. The caller ends
 *   the shard's ownership (lease released or left to expire) only after `stop()`, so the next
 *   owner can never start while one of our rounds runs.
 * - A job left active by a SIGKILLed owner returns to `wait` through the stalled check of the next
 *   owner's worker: after its lock expires (`lockDurationMs`), within about two
 *   `stalledIntervalMs`.
 * - Enqueues that fail while Redis is unreachable are kept in memory and retried on every tick;
 *   when the connection comes back `onRedisReconnect(shard)` fires so the owner can re-list its
 *   informers and re-enqueue everything (Redis may have come back empty, or a promoted replica may
 *   lack the last writes). On Redis Cluster a node leaving the client's pool (a master failed over)
 *   counts as a loss too: the hook fires after the next tick that reaches the shard's slot.
 */
import { Queue, UnrecoverableError, Worker, WaitingError, type ConnectionOptions, type Job } from 'bullmq';
import { describeError, isTerminal } from '../../api/errors.js';
import type { Cluster } from 'ioredis';
import { pino, type Logger } from 'pino';
import { bullmqConnection, createRedisClient, parseRedisConfig, type RedisClient } from '../../redis/index.js';
import { QueueError } from './errors.js';
import { countQueue, waitedSeconds, withTimeout } from './counts.js';
import { assertWorkflowKey, queueName, queuePrefix, wakeupsKey } from './keys.js';
import { forceDisconnect, keepConnectionErrorsHandled, within } from './bullmq-workarounds.js';
import { Wakeups } from './wakeups.js';
import { NO_WORK_QUEUE_FIGURES, type WorkQueueRecorder } from '../../observability/workqueue.js';
import type { EnqueueOptions, QueueCounts, ShardQueueOptions, StopOptions } from './contracts.js';

export type {
  EnqueueOptions,
  ProcessContext,
  ProcessResult,
  QueueCounts,
  RoundProcessor,
  ShardQueueOptions,
  StopOptions,
} from './contracts.js';

/** What a round returns: when to come back (a delayed re-queue), if at all. */
interface JobData {
  key: string;
}

const JOB_NAME = 'round';

export class ShardQueue {
  readonly shard: number;
  private readonly opts: Required<
    Omit<ShardQueueOptions, 'onRedisReconnect' | 'logger' | 'redis' | 'workQueueMetrics'>
  >;
  /** `workqueue_*` of this shard's queue (a no-op without metrics). */
  readonly figures: WorkQueueRecorder;
  private readonly log: Logger;
  private client: RedisClient | undefined;
  /** Cluster clients handed to BullMQ, which never closes them (shared): disconnected by `stop()`. */
  private readonly owned: Cluster[] = [];
  private queue: Queue<JobData> | undefined;
  private worker: Worker<JobData> | undefined;
  private wakeups: Wakeups | undefined;
  private readonly pending = new Map<string, number>();
  private readonly stopController = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private nextTickAt = Infinity;
  private ticking = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private lostConnection = false;
  /** Cluster: a node left the pool (failover); fire the reconnect hook once Redis answers again. */
  private nodeLost = false;
  /** Processor calls running now: settle when the processor returned or threw (not BullMQ's bookkeeping). */
  private readonly rounds = new Set<Promise<void>>();

  constructor(private readonly options: ShardQueueOptions) {
    this.shard = options.shard;
    this.opts = {
      shard: options.shard,
      redisUrl: options.redisUrl,
      processor: options.processor,
      concurrency: options.concurrency ?? 4,
      lockDurationMs: options.lockDurationMs ?? 10_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 5_000,
      maxStalledCount: options.maxStalledCount ?? 100,
      attempts: options.attempts ?? 1000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 60_000,
      wakeupPollMs: options.wakeupPollMs ?? 1000,
      prefixBase: options.prefixBase ?? 'flotilla',
      enqueueTimeoutMs: options.enqueueTimeoutMs ?? 5000,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      clock: options.clock ?? Date.now,
    };
    this.figures = options.workQueueMetrics?.queue(queueName(options.shard)) ?? NO_WORK_QUEUE_FIGURES;
    this.log = (
      options.logger ?? pino({ name: 'queue', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2))
    ).child({
      shard: options.shard,
    });
  }

  /**
   * Connects, starts the worker pool and the wake-up poller. Resolves once Redis answered; fails
   * with `QueueError('Redis')` (everything closed again) when it does not within `startTimeoutMs`.
   */
  async start(): Promise<void> {
    if (this.client) throw new QueueError('AlreadyStarted', `queue of shard ${this.shard} already started`);
    try {
      await withTimeout(this.connect(), this.opts.startTimeoutMs);
    } catch (error) {
      await this.stop({ graceMs: 0, forceMs: 500 });
      throw error instanceof QueueError
        ? error
        : new QueueError('Redis', `cannot start the queue of shard ${this.shard}`, { cause: error });
    }
  }

  private async connect(): Promise<void> {
    const config = this.options.redis ?? parseRedisConfig(this.opts.redisUrl);
    const prefix = queuePrefix(this.shard, this.opts.prefixBase);
    const name = queueName(this.shard);
    // Our own connection (wake-ups, reconnect detection) and the producer's: both fail commands
    // fast during an outage (enqueues are then kept in `pending`).
    const client = createRedisClient(config, { maxRetriesPerRequest: 1 });
    this.client = client;
    client.on('error', (error: Error) => this.log.debug({ err: error.message }, 'redis producer connection error'));
    client.on('close', () => {
      if (!this.stopping) this.lostConnection = true;
    });
    client.on('ready', () => {
      if (!this.lostConnection || this.stopping) return;
      this.lostConnection = false;
      this.redisBack();
    });
    client.on('-node', () => {
      if (this.stopping) return;
      this.nodeLost = true;
      this.schedule(250);
    });
    this.wakeups = new Wakeups(client, wakeupsKey(this.shard, this.opts.prefixBase));
    // The prefix is the shard's hash tag: on Redis Cluster every key of this queue is in one slot.
    const producer = bullmqConnection(config, { maxRetriesPerRequest: 1 });
    if (producer.owned) this.owned.push(producer.owned);
    // BullMQ bundles a newer ioredis: its Cluster type differs from ours only in commands it never uses.
    this.queue = new Queue<JobData>(name, { connection: producer.connection as ConnectionOptions, prefix });
    this.queue.on('error', (error: Error) => this.log.debug({ err: error.message }, 'queue error'));
    keepConnectionErrorsHandled(this.queue, (error) =>
      this.log.debug({ err: error.message }, 'queue connection error'),
    );
    await this.queue.waitUntilReady();
    if (this.stopping) return;

    const backoffBase = this.opts.backoffBaseMs;
    const backoffMax = this.opts.backoffMaxMs;
    const consumer = bullmqConnection(config, { maxRetriesPerRequest: null });
    if (consumer.owned) this.owned.push(consumer.owned);
    this.worker = new Worker<JobData>(name, (job, token, signal) => this.process(job, token, signal), {
      prefix,
      connection: consumer.connection as ConnectionOptions,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockDurationMs,
      stalledInterval: this.opts.stalledIntervalMs,
      maxStalledCount: this.opts.maxStalledCount,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          Math.min(backoffMax, backoffBase * 2 ** Math.max(0, attemptsMade - 1)),
      },
    });
    this.worker.on('error', (error: Error) => this.log.debug({ err: error.message }, 'worker error'));
    keepConnectionErrorsHandled(this.worker, (error) =>
      this.log.debug({ err: error.message }, 'worker connection error'),
    );
    this.worker.on('failed', (job, error) =>
      this.log.warn(
        { key: job?.data.key, err: describeError(error), terminal: error instanceof UnrecoverableError },
        'round failed',
      ),
    );
    if (this.stopping) {
      void this.worker.close(true);
      return;
    }
    await this.worker.waitUntilReady();
    this.schedule(0);
  }

  /**
   * Asks for a round of `key` now, or after `delayMs`. Never throws for Redis trouble: an enqueue
   * that cannot reach Redis is kept and retried. Throws `QueueError('InvalidKey')` for a bad key.
   * A no-op once `stop()` began.
   */
  async enqueue(key: string, options: EnqueueOptions = {}): Promise<void> {
    assertWorkflowKey(key);
    if (!this.queue || !this.wakeups) throw new QueueError('NotStarted', `queue of shard ${this.shard} is not started`);
    // A stopped shard belongs to its next owner, whose informers enqueue everything anyway.
    if (this.stopping) return;
    const delayMs = Math.max(0, options.delayMs ?? 0);
    const atMs = this.opts.clock() + delayMs;
    try {
      if (delayMs > 0) await withTimeout(this.wakeups.add(key, atMs), this.opts.enqueueTimeoutMs);
      else await withTimeout(this.addJob(key), this.opts.enqueueTimeoutMs);
      if (delayMs > 0) this.schedule(delayMs);
    } catch (error) {
      this.log.warn(
        { key, err: error instanceof Error ? error.message : String(error) },
        'enqueue failed; kept for retry',
      );
      this.keepPending(key, delayMs > 0 ? atMs : 0);
    }
  }

  /** Queue depth and active jobs as Redis sees them (all replicas): ./counts.ts. */
  async counts(): Promise<QueueCounts> {
    if (!this.queue || !this.wakeups || !this.client)
      throw new QueueError('NotStarted', `queue of shard ${this.shard} is not started`);
    const result = await countQueue(this.client, this.queue.toKey.bind(this.queue), this.wakeups.key, this.shard);
    this.figures.depth(result.waiting);
    return result;
  }

  /** Rounds running in this process right now. */
  get activeHere(): number {
    return this.rounds.size;
  }

  /** Enqueues not yet accepted by Redis. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The wake-up time scheduled for `key`, if any (for tests and diagnostics). */
  async wakeupAt(key: string): Promise<number | undefined> {
    return this.wakeups?.get(key);
  }

  /**
   * Stops taking jobs, lets in-flight ones finish for `graceMs`, then aborts them (they go back to
   * `wait` for the next owner) and closes. Never `queue.pause()`: that would pause every replica.
   *
   * Resolves only once every processor call has returned: when BullMQ's close hangs (Redis gone)
   * its sockets are forced shut after `forceMs`, but a round still running then is waited for, with
   * no time limit. Ending a shard's ownership (releasing its lease, or letting it expire) must wait
   * for this; a concurrent call waits for the same stop. Idempotent.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopped ??= this.stopOnce(options);
    return this.stopped;
  }

  private async stopOnce(options: StopOptions): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const graceMs = options.graceMs ?? 10_000;
    const worker = this.worker;
    if (worker) {
      const closing = worker.close().then(
        () => true,
        () => true,
      );
      if (!(await within(closing, graceMs))) {
        this.log.warn({ inFlight: this.rounds.size }, 'rounds still running after the grace period; aborting them');
        this.stopController.abort();
        worker.cancelAllJobs('shard stopping');
        // They see the abort at their next await; until they returned the shard is still ours,
        // however long that takes. Only then may the worker's sockets be forced (a job that ends on
        // a force-closed connection makes BullMQ retry its bookkeeping in a tight loop).
        await this.roundsEnded(options.lingerLogMs ?? 5000);
        if (!(await within(closing, options.forceMs ?? 5000))) {
          // In 5.81 a second close(true) returns the first close's promise, so force the sockets.
          this.log.error('worker close hangs; disconnecting');
          void worker.close(true);
          await forceDisconnect(worker);
        }
      }
    }
    // A close that failed early must not let a round outlive the stop either.
    await this.roundsEnded(options.lingerLogMs ?? 5000);
    if (
      this.queue &&
      !(await within(
        this.queue.close().then(
          () => true,
          () => true,
        ),
        2000,
      ))
    )
      await forceDisconnect(this.queue);
    this.client?.disconnect();
    for (const cluster of this.owned) cluster.disconnect();
    this.figures.close();
    if (this.pending.size > 0)
      this.log.warn({ lost: this.pending.size }, 'stopping with enqueues Redis never accepted');
  }

  /** Redis answers again after a loss: retry what is kept now, and let the owner re-enqueue. */
  private redisBack(): void {
    this.log.info('redis connection back');
    this.schedule(0);
    try {
      this.options.onRedisReconnect?.(this.shard);
    } catch (error) {
      this.log.error({ err: String(error) }, 'onRedisReconnect hook threw');
    }
  }

  /** Waits until no processor call runs. */
  private async roundsEnded(logEveryMs: number): Promise<void> {
    const since = Date.now();
    while (this.rounds.size > 0) {
      if (
        await within(
          Promise.all([...this.rounds]).then(() => true),
          logEveryMs,
        )
      )
        continue;
      this.log.error(
        { inFlight: this.rounds.size, waitedMs: Date.now() - since },
        'aborted rounds still running; the shard stays ours until they end',
      );
    }
  }

  private async addJob(key: string): Promise<Job<JobData>> {
    const queue = this.queue;
    if (!queue) throw new QueueError('NotStarted', `queue of shard ${this.shard} is not started`);
    const job = await queue.add(
      JOB_NAME,
      { key },
      {
        deduplication: { id: key, keepLastIfActive: true },
        removeOnComplete: true,
        removeOnFail: true,
        attempts: this.opts.attempts,
        backoff: { type: 'flotilla' },
      },
    );
    this.figures.added();
    return job;
  }

  private async process(job: Job<JobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const key = job.data.key;
    const signals = [this.stopController.signal];
    if (signal) signals.push(signal);
    const combined = AbortSignal.any(signals);
    try {
      // Once the rounds were aborted the shard is being handed over: a job BullMQ fetched before its
      // close must not start a round now (`stop()` may be about to return).
      if (this.stopController.signal.aborted)
        throw new QueueError('NotStarted', `queue of shard ${this.shard} is stopping`);
      const done = this.figures.started(waitedSeconds(job, Date.now()));
      const result = await this.track(
        this.opts.processor(key, {
          shard: this.shard,
          signal: combined,
          attempt: job.attemptsMade + 1,
          jobId: job.id ?? '',
        }),
      ).finally(done);
      if (result && typeof result.requeueAfterMs === 'number' && result.requeueAfterMs >= 0) {
        if (this.stopping) await this.handBack(key, result.requeueAfterMs);
        else await this.enqueue(key, { delayMs: result.requeueAfterMs });
      }
    } catch (error) {
      if (this.stopController.signal.aborted && token) {
        // Handed over mid-round: give the job back to `wait` for the next owner, not a failure.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      // Retrying cannot help: BullMQ fails the job at once instead of backing off up to `attempts`.
      if (isTerminal(error)) throw new UnrecoverableError(`${error.name} ${error.code}: ${describeError(error)}`);
      if (job.attemptsMade + 1 < this.opts.attempts) this.figures.retried();
      throw error;
    }
  }

  /**
   * A round that asked to come back while the shard is being handed over (a lease check turned it
   * away) leaves its key in the shard's wake-ups in Redis, which the next owner's poller claims.
   * Not dropped: this stopping worker may have fetched the very job the next owner enqueued when it
   * listed the shard, and nothing would enqueue that key again.
   */
  private async handBack(key: string, delayMs: number): Promise<void> {
    if (!this.wakeups) return;
    try {
      await withTimeout(this.wakeups.add(key, this.opts.clock() + Math.max(0, delayMs)), this.opts.enqueueTimeoutMs);
    } catch (error) {
      this.log.warn(
        { key, err: error instanceof Error ? error.message : String(error) },
        'could not hand a turned-away round back to the next owner; its informers list the key on start',
      );
    }
  }

  /** Counts a processor call as running until it settles (what `stop()` waits for). */
  private track<T>(call: Promise<T>): Promise<T> {
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.rounds.add(settled);
    void settled.then(() => this.rounds.delete(settled));
    return call;
  }

  private keepPending(key: string, atMs: number): void {
    const current = this.pending.get(key);
    if (current === undefined || atMs < current) this.pending.set(key, atMs);
    this.schedule(Math.min(this.opts.wakeupPollMs, 250));
  }

  /** Arms the poller to tick within `inMs` (never later than an already armed tick). */
  private schedule(inMs: number): void {
    if (this.stopping) return;
    const at = Date.now() + Math.max(0, inMs);
    if (this.timer && at >= this.nextTickAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextTickAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.nextTickAt = Infinity;
        void this.tick();
      },
      Math.max(0, inMs),
    );
    this.timer.unref();
  }

  /** Retries kept enqueues, moves due wake-ups into the queue, and re-arms itself. */
  private async tick(): Promise<void> {
    if (this.ticking || this.stopping || !this.wakeups) return;
    this.ticking = true;
    let next = this.opts.wakeupPollMs;
    try {
      for (const [key, atMs] of [...this.pending]) {
        if (this.pending.get(key) !== atMs) continue;
        this.pending.delete(key);
        await this.enqueue(key, { delayMs: atMs === 0 ? 0 : Math.max(1, atMs - this.opts.clock()) });
      }
      // An idle tick is one ZRANGE; only a due wake-up runs the claim script (which answers the
      // next earliest too). Every shard ticks each `wakeupPollMs`, so this is most of an idle
      // fleet's Redis load.
      let earliest = await this.wakeups.earliest();
      if (this.nodeLost) {
        this.nodeLost = false;
        this.redisBack();
      }
      if (earliest !== undefined && earliest <= this.opts.clock()) {
        // Claimed (out of the set) before the add: a wake-up that the round an add triggers asks
        // for is then a new member, never removed with the due one (wakeups.ts, issue 9).
        const { claimed, nextAtMs } = await this.wakeups.claimDue(this.opts.clock());
        for (const [i, { member }] of claimed.entries()) {
          try {
            await withTimeout(this.addJob(member), this.opts.enqueueTimeoutMs);
          } catch (error) {
            for (const left of claimed.slice(i)) this.keepPending(left.member, 0);
            throw error;
          }
        }
        earliest = nextAtMs;
      }
      if (earliest !== undefined) next = Math.min(next, Math.max(0, earliest - this.opts.clock()));
    } catch (error) {
      this.log.debug({ err: error instanceof Error ? error.message : String(error) }, 'wake-up tick failed');
    } finally {
      this.ticking = false;
      if (this.pending.size > 0) next = Math.min(next, 250);
      this.schedule(next);
    }
  }
}
