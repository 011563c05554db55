/**
 * The shard queue's contracts: what a round processor gets and returns, the queue's options,
 * counts and stop options. The queue itself is `shard-queue.ts`.
 */
import type { Logger } from 'pino';
import type { WorkQueueMetrics } from '../../observability/workqueue.js';
import type { RedisConfig } from '../../redis/index.js';

export interface ProcessResult {
  requeueAfterMs?: number;
}

export interface ProcessContext {
  shard: number;
  /** Aborted when BullMQ cancels the job or the shard stops past its grace period. */
  signal: AbortSignal;
  /** 1 for the first attempt of this job. */
  attempt: number;
  jobId: string;
}

/** Runs one round for a workflow key. Must be idempotent: a job may run again after a crash. */
export type RoundProcessor = (key: string, context: ProcessContext) => Promise<ProcessResult | void>;

export interface ShardQueueOptions {
  shard: number;
  /**
   * `redis://host:port[/db]`, `rediss://…`, `redis+cluster://h:p,h:p` or
   * `redis+sentinel://h:p,h:p/<master>` (see src/redis/config.ts). Ignored when `redis` is given.
   */
  redisUrl: string;
  /** The parsed connection (with secrets and CA merged in). @defaultValue parsed from `redisUrl` */
  redis?: RedisConfig;
  processor: RoundProcessor;
  /** Jobs of this shard processed at once by this replica. @defaultValue 4 */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal (renewed every half of it). A SIGKILLed owner's
   * jobs are recovered only after it expires, so it is shorter than BullMQ's 30 s.
   * @defaultValue 10000
   */
  lockDurationMs?: number;
  /** How often the worker looks for stalled jobs. @defaultValue 5000 */
  stalledIntervalMs?: number;
  /** A job stalled more often than this fails; high, since stalls come from owner crashes. @defaultValue 100 */
  maxStalledCount?: number;
  /** Attempts per job before it fails (the key then waits for its next event). @defaultValue 1000 */
  attempts?: number;
  /** First retry back-off. @defaultValue 500 */
  backoffBaseMs?: number;
  /** Back-off cap. @defaultValue 60000 */
  backoffMaxMs?: number;
  /** Longest sleep of the wake-up poller (it also wakes for the earliest known wake-up). @defaultValue 1000 */
  wakeupPollMs?: number;
  /** Key prefix base; the shard's hash tag is `{<base>:shard-<id>}`. @defaultValue 'flotilla' */
  prefixBase?: string;
  /** Time limit of one enqueue before it is kept for retry. @defaultValue 5000 */
  enqueueTimeoutMs?: number;
  /** How long `start()` waits for Redis before it fails with `QueueError('Redis')`. @defaultValue 30000 */
  startTimeoutMs?: number;
  /**
   * The clock wake-ups are scored and claimed by. Wake-ups outlive their replica (the next owner of
   * the shard claims them), so every replica must read the same clock: the controller gives the
   * API server's (src/kube/server-clock.ts), not its own wall clock, which may be minutes off.
   * @defaultValue Date.now
   */
  clock?: () => number;
  /** Called when the Redis connection comes back after a loss. */
  onRedisReconnect?: (shard: number) => void;
  /**
   * client-go's `workqueue_*` figures under `name="shard-<id>"`: adds (an enqueue now, or a wake-up
   * or kept enqueue when it reaches the queue), retries (a failed round BullMQ will try again),
   * the wait from a job's creation (or the end of its retry back-off) to its round, round
   * durations and rounds in progress; `workqueue_depth` (jobs waiting now) whenever `counts()` is read.
   * @defaultValue none
   */
  workQueueMetrics?: WorkQueueMetrics;
  logger?: Logger;
}

export interface EnqueueOptions {
  /** Run no earlier than this many ms from now (0 or absent: now). */
  delayMs?: number;
}

export interface QueueCounts {
  /** Jobs waiting to run now. */
  waiting: number;
  /** BullMQ delayed jobs (retry back-offs) plus scheduled wake-ups. */
  delayed: number;
  active: number;
}

export interface StopOptions {
  /** How long in-flight jobs may take to finish before they are aborted. @defaultValue 10000 */
  graceMs?: number;
  /**
   * Once the aborted rounds returned, how long the worker's close (its jobs' Redis bookkeeping) may
   * take before its sockets and timers are forced shut (Redis gone). @defaultValue 5000
   */
  forceMs?: number;
  /**
   * Aborted rounds are waited for without a time limit (a JS round cannot be killed, and the shard
   * is ours until it ended); while they run, an error is logged this often. @defaultValue 5000
   */
  lingerLogMs?: number;
}
