/**
 * The shards one replica runs: `startShard` / `stopShard` are one call each way.
 *
 * Per shard: the Workflow and Pod informers, the status store over the Workflow cache, a round
 * runner and the shard's queue. Informer events enqueue the workflow key (a Pod its owner's key),
 * except a Workflow update that only echoes this replica's own write (see `StatusStore`): updates
 * arriving while the key's round runs are held and judged when it ends, since the echo of a write
 * often arrives before the write's answer.
 * Start order: queue (worker) → informers (their initial list enqueues every key); a round waits
 * for the informers' first sync before it reads, so jobs handed over from a previous owner never
 * read an empty cache. Stop order is the reverse of what matters: the queue stops first (no new
 * rounds, in-flight ones finish within the grace period or are handed back), then the informers.
 * When Redis comes back after an outage every cached key is enqueued again (Redis may be empty).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { RedisConfig } from '../redis/index.js';
import { pino, type Logger } from 'pino';
import type { Workflow } from '../api/workflow.js';
import type { Metrics } from '../observability/metrics.js';
import { ShardInformers, type ShardScope } from './shard-informers.js';
import { WorkflowClient } from '../kube/workflow-client.js';
import { QueueError, ShardQueue, type QueueCounts, type ShardQueueOptions } from './queue/index.js';
import { RoundRunner, type RoundOptions, type RoundOutcome } from './round.js';
import { StatusStore } from './status-store.js';
import type { ShardEpochs } from './shard-epochs.js';
import { isFlyteKey } from './flyte/keys.js';
import type { FlyteShardFactory, FlyteShardRuntime } from './flyte/shard.js';

export interface ReplicaOptions {
  kubeConfig: KubeConfig;
  /** Redis URL of the shard queues, any form of src/redis/config.ts. Ignored when `redis` is given. */
  redisUrl: string;
  /** The parsed Redis connection (secrets and CA merged in). @defaultValue parsed from `redisUrl` */
  redis?: RedisConfig;
  /** How a shard's objects are found. @defaultValue (shard) => ({ strategy: 'hash', shard }) */
  scopeOf?: (shard: number) => ShardScope;
  /** The round's collaborators shared by all shards. */
  round: Pick<
    RoundOptions,
    'driver' | 'validate' | 'events' | 'recorder' | 'tracer' | 'maxConflictRetries' | 'clock' | 'deferFinalizer'
  >;
  /** Whether the replica can still prove it holds `shard`'s lease. @defaultValue () => true */
  canRun?: (shard: number) => boolean;
  /** Queue settings (concurrency, lock and stalled intervals, ...). */
  queue?: Omit<ShardQueueOptions, 'shard' | 'redisUrl' | 'processor' | 'onRedisReconnect'>;
  /** Manage the abort finalizer on Workflows (add while running, remove when terminal). @defaultValue true */
  manageFinalizer?: boolean;
  /** Informer watchdog. @defaultValue 120000 */
  watchdogMs?: number;
  /** How long a round waits for the shard's informers to sync. @defaultValue 30000 */
  syncTimeoutMs?: number;
  /** How long `status` reads wait for the cache. @defaultValue 250 */
  cacheWaitMs?: number;
  metrics?: Metrics;
  logger?: Logger;
  /**
   * Called synchronously right before each round starts and after it ends (the ownership audit);
   * at the end with what the round did (`error` when it threw).
   */
  onRound?: (phase: 'start' | 'end', shard: number, key: string, outcome?: RoundOutcome, provenAt?: number) => void;
  /** Task attempts a round's status write recorded as started, right after that write (the ownership audit). */
  onTasksStarted?: RoundOptions['onTasksStarted'];
  /** FlyteWorkflows beside the native Workflows, on the same queue (src/controller/flyte). @defaultValue none */
  flyte?: FlyteShardFactory;
  /**
   * Where the epoch a shard starts with is recorded (shared with the Pod gateway, which stamps
   * Pods with it); status writes of the shard carry it. @defaultValue none: nothing is stamped
   */
  epochs?: ShardEpochs;
}

interface RunningShard {
  shard: number;
  informers: ShardInformers;
  store: StatusStore;
  runner: RoundRunner;
  queue: ShardQueue;
  synced: boolean;
  /** Rounds ended on this shard since it started here (published on the member lease's load). */
  rounds: number;
  /** Aborted when the shard's stop begins: rounds still waiting for the first sync give up. */
  stopping: AbortController;
  /** Flyte hook: the shard's FlyteWorkflow side. */
  flyte?: FlyteShardRuntime;
}

export class Replica {
  private readonly shardsRunning = new Map<number, RunningShard>();
  private readonly client: WorkflowClient;
  private readonly log: Logger;

  constructor(private readonly options: ReplicaOptions) {
    this.client = new WorkflowClient(options.kubeConfig);
    this.log =
      options.logger ?? pino({ name: 'replica', level: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    options.metrics?.addCollector(() => this.collectPhases());
  }

  /**
   * `flotilla_workflows{shard,phase}` (phase `Pending` when unset) and
   * `flotilla_workflows_running{namespace}` from the informer caches.
   */
  private collectPhases(): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const gauge = metrics.workflowsByPhase;
    gauge.reset();
    const runningByNamespace = new Map<string, number>();
    for (const running of this.shardsRunning.values()) {
      const counts = new Map<string, number>();
      for (const workflow of running.informers.workflows.list()) {
        const phase = workflow.status?.phase ?? 'Pending';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
        if (phase === 'Running') {
          const namespace = workflow.metadata.namespace ?? '';
          runningByNamespace.set(namespace, (runningByNamespace.get(namespace) ?? 0) + 1);
        }
      }
      for (const [phase, count] of counts) gauge.set({ shard: String(running.shard), phase }, count);
    }
    metrics.runningWorkflows.reset();
    for (const [namespace, count] of runningByNamespace) metrics.runningWorkflows.set({ namespace }, count);
  }

  /**
   * Starts running `shard` (idempotent). Resolves when its queue runs and its informers started.
   * `epoch`: the shard lease's epoch this replica holds (lease mode), stamped on the shard's writes.
   */
  async startShard(shard: number, epoch?: number): Promise<void> {
    if (this.shardsRunning.has(shard)) return;
    const { metrics } = this.options;
    if (epoch !== undefined) this.options.epochs?.set(shard, epoch);
    const shardEpoch = this.options.epochs?.get(shard);
    const label = { shard: String(shard) };
    const informers = new ShardInformers({
      kubeConfig: this.options.kubeConfig,
      scope: this.options.scopeOf?.(shard) ?? { strategy: 'hash', shard },
      watchdogMs: this.options.watchdogMs,
      onRestart: (resource, reason) => metrics?.informerRestarts.inc({ resource, shard: String(shard), reason }),
      logger: this.log,
    });
    const store = new StatusStore({
      client: this.client,
      informer: informers.workflows,
      waitMs: this.options.cacheWaitMs,
      onStaleSkip: () => metrics?.staleCacheSkips.inc(label),
      ...(shardEpoch !== undefined ? { shardEpoch } : {}),
    });
    const runner = new RoundRunner({
      ...this.options.round,
      shard,
      store,
      ...(this.options.manageFinalizer === false ? {} : { finalizers: this.client }),
      ...(metrics ? { metrics } : {}),
      canRun: () => this.options.canRun?.(shard) ?? true,
      ...(this.options.onTasksStarted ? { onTasksStarted: this.options.onTasksStarted } : {}),
    });
    /** Workflow updates that arrived while their key's round ran (resourceVersions), by key. */
    const holding = new Map<string, string[]>();
    const enqueue = (key: string): void => {
      void running.queue
        .enqueue(key)
        .catch((error: unknown) => this.log.error({ key, err: String(error) }, 'enqueue refused'));
    };
    const running: RunningShard = {
      shard,
      informers,
      store,
      runner,
      queue: undefined as unknown as ShardQueue,
      synced: false,
      rounds: 0,
      stopping: new AbortController(),
    };
    // Flyte hook: FlyteWorkflow keys (`flyte:ns/name`) share this shard's queue, lease fence and Pod informer.
    const flyte = this.options.flyte?.forShard({ shard, canRun: () => this.options.canRun?.(shard) ?? true });
    if (flyte) running.flyte = flyte;
    const queue = new ShardQueue({
      ...this.options.queue,
      shard,
      redisUrl: this.options.redisUrl,
      ...(this.options.redis ? { redis: this.options.redis } : {}),
      ...(metrics ? { workQueueMetrics: metrics.workQueues } : {}),
      logger: this.log,
      processor: async (key, context) => {
        if (!running.synced) {
          // A stop never waits on a first sync that may not come (the API server unreachable): the
          // round has done nothing yet, and the next run of the shard lists (and enqueues) every key.
          if (!(await untilSyncedOrStopped(informers, this.options.syncTimeoutMs ?? 30_000, running.stopping.signal)))
            return {};
          running.synced = true;
        }
        this.options.onRound?.('start', shard, key);
        let outcome: RoundOutcome = 'error';
        let provenAt: number | undefined;
        // The last lease proof of a round that throws (a request cut off by a partition) still ends it in the audit.
        const proof: { provenAt?: number } = {};
        const held: string[] = [];
        holding.set(key, held);
        try {
          const run =
            flyte && isFlyteKey(key) ? await flyte.run(key, context) : await runner.run(key, { ...context, proof });
          outcome = run.outcome;
          provenAt = run.provenAt;
          return run.requeueAfterMs !== undefined ? { requeueAfterMs: run.requeueAfterMs } : {};
        } finally {
          if (holding.get(key) === held) holding.delete(key);
          // Every held update is checked (each own echo is consumed once); any other writer's runs a round.
          if (held.filter((rv) => !store.consumeOwnWrite(key, rv)).length > 0) enqueue(key);
          running.rounds += 1;
          this.options.onRound?.('end', shard, key, outcome, provenAt ?? proof.provenAt);
        }
      },
      onRedisReconnect: () => {
        for (const key of informers.workflows.keys()) void queue.enqueue(key);
        for (const key of flyte?.keys() ?? []) void queue.enqueue(key);
      },
    });
    running.queue = queue;
    this.shardsRunning.set(shard, running);
    void Promise.all([informers.workflows.synced, informers.pods.synced]).then(() => {
      running.synced = true;
    });
    informers.onEvent((key, source, type, resourceVersion) => {
      if (source === 'workflow' && type === 'delete') {
        runner.forget(key);
        store.forget(key);
        return;
      }
      if (source === 'workflow' && type === 'update') {
        // Judged when the key's round ends: its own writes' echoes often beat their answers.
        const held = holding.get(key);
        if (held) {
          held.push(resourceVersion ?? '');
          return;
        }
        // The echo of our own write: the round that wrote it already acted on that state.
        if (store.consumeOwnWrite(key, resourceVersion)) return;
      }
      enqueue(key);
    });
    // Flyte hook: FlyteWorkflow changes enqueue their `flyte:` key (a delete forgets it).
    flyte?.onEvent((key, type) => {
      if (type === 'delete') return flyte.forget(key);
      void queue.enqueue(key).catch((error: unknown) => this.log.error({ key, err: String(error) }, 'enqueue refused'));
    });
    await queue.start();
    informers.start();
    flyte?.start();
    metrics?.ownedShards.set(this.shardsRunning.size);
  }

  /** Stops running `shard`: no new rounds, in-flight ones finish within `graceMs`, informers stop. */
  async stopShard(shard: number, options: { graceMs?: number } = {}): Promise<void> {
    const running = this.shardsRunning.get(shard);
    if (!running) return;
    this.shardsRunning.delete(shard);
    running.stopping.abort();
    await running.queue.stop(options);
    await running.informers.stop();
    await running.flyte?.stop();
    running.store.close();
    this.options.metrics?.ownedShards.set(this.shardsRunning.size);
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    await Promise.all(this.shards().map((shard) => this.stopShard(shard, options)));
  }

  shards(): number[] {
    return [...this.shardsRunning.keys()].sort((a, b) => a - b);
  }

  /** Queue depth and active jobs of a running shard (for metrics: see `collectQueueMetrics`). */
  async counts(shard: number): Promise<QueueCounts> {
    const queue = this.shardsRunning.get(shard)?.queue;
    if (!queue) throw new QueueError('NotStarted', `shard ${shard} is not running here`);
    return queue.counts();
  }

  /** The queue of a running shard (for metrics and tests). */
  queueOf(shard: number): ShardQueue | undefined {
    return this.shardsRunning.get(shard)?.queue;
  }

  /** Records a write of this process to a Workflow of `shard` made outside a round (its echo then runs no round). */
  noteWrite(shard: number, stored: Workflow): void {
    this.shardsRunning.get(shard)?.store.noteWrite(stored);
  }

  /** The Workflows in a running shard's informer cache (empty when the shard is not running here). */
  cachedWorkflows(shard: number): Workflow[] {
    return this.shardsRunning.get(shard)?.informers.workflows.list() ?? [];
  }

  /**
   * Workflows in each running shard's informer cache: the shard's load as the fleet member
   * publishes it, read from the cache so it is right with metrics off.
   */
  workflowsByShard(): Map<number, number> {
    return new Map(
      [...this.shardsRunning.values()].map((running) => [running.shard, running.informers.workflows.list().length]),
    );
  }

  /** Rounds ended on each running shard since it started here (a counter: the console derives rounds/s). */
  roundsByShard(): Map<number, number> {
    return new Map([...this.shardsRunning.values()].map((running) => [running.shard, running.rounds]));
  }

  /** Ready when every running shard's informers have synced. */
  ready(): true | string {
    for (const running of this.shardsRunning.values()) {
      if (!running.synced) {
        // Name what it waits on (connection refused, RBAC, …), not just that it waits.
        const cause = running.informers.workflows.lastError ?? running.informers.pods.lastError;
        return `shard ${running.shard} informers not synced${cause ? `: ${cause}` : ''}`;
      }
    }
    return true;
  }
}

/**
 * Waits for the shard's informers' first sync: true once synced, false when the shard's stop began
 * first; a sync that times out throws (the job is retried).
 */
async function untilSyncedOrStopped(informers: ShardInformers, timeoutMs: number, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return false;
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    stop.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([informers.waitForSync(timeoutMs).then(() => true as const), stopped]);
  } finally {
    stop.removeEventListener('abort', onAbort);
  }
}
