/**
 * The replica's Prometheus metrics: one typed object, created once per process and handed to the
 * parts that record (no global registry). Our own names start with `flotilla_`; where Kubernetes
 * operators have conventions the conventional names are used: prom-client's default `process_*`
 * and `nodejs_*`, client-go's `workqueue_*` (workqueue.ts), `rest_client_*` (kube-client.ts) and
 * `leader_election_master_status`. Gauges that are read rather than counted (queue depth, active
 * jobs, owned shards, workflows by phase) are refreshed at scrape time by the callbacks given to
 * `addCollector`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { KubeClientMetrics } from './kube-client.js';
import { WorkQueueMetrics } from './workqueue.js';

export type RoundResult = 'success' | 'requeue' | 'conflict' | 'error' | 'skipped' | 'invalid';

export interface MetricsOptions {
  /** Also export Node's process metrics (`process_*`, `nodejs_*`). @defaultValue true */
  processMetrics?: boolean;
  /** Labels on every series, e.g. `{ replica: 'r1' }`. @defaultValue {} */
  defaultLabels?: Record<string, string>;
}

/** Called at scrape time to refresh gauges that are read rather than counted (queue depth). */
export type Collector = () => Promise<void> | void;

/** What an HTTP endpoint serves on `/metrics`. */
export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}

/**
 * A registry with prom-client's default metrics (`process_*`, `nodejs_*`) when asked: once per
 * registry, as prom-client requires, and without a prefix, so the usual Node dashboards find them.
 */
export function createRegistry(options: MetricsOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

export class Metrics {
  readonly registry: Registry;
  /** Seconds per round, by shard and result. */
  readonly roundDuration: Histogram<'shard' | 'result'>;
  readonly roundsTotal: Counter<'shard' | 'result'>;
  /** How many mutating passes one round made on one workflow (Flyte's streak). */
  readonly streakLength: Histogram<'shard'>;
  /** Waiting + delayed jobs (and wake-ups) of a shard's queue. */
  readonly queueDepth: Gauge<'shard'>;
  readonly activeJobs: Gauge<'shard'>;
  readonly workflowsByPhase: Gauge<'shard' | 'phase'>;
  readonly statusConflicts: Counter<'shard'>;
  readonly staleCacheSkips: Counter<'shard'>;
  readonly podsCreated: Counter<'shard'>;
  readonly eventsSent: Counter<'kind'>;
  readonly eventsFailed: Counter<'kind'>;
  readonly catalogLookups: Counter<'result'>;
  readonly informerRestarts: Counter<'resource' | 'shard' | 'reason'>;
  readonly ownedShards: Gauge;
  /** Shard manager (leader): shards each replica holds, from the shard leases' holders. */
  readonly shardsHeld: Gauge<'replica'>;
  /** Shard manager: assignment computations (one per pass while leading). */
  readonly assignmentComputations: Counter;
  /** Shard manager: planned moves written (drain, pin, balance). */
  readonly handoversTotal: Counter<'reason'>;
  /** Shard manager: moves away from a replica whose member lease expired. */
  readonly failoversTotal: Counter;
  /** Shard manager: seconds from writing a planned move to the new owner holding the lease. */
  readonly handoverDuration: Histogram;
  /** Shard manager: seconds from writing a failover move to the new owner holding the lease. */
  readonly failoverDuration: Histogram;
  /** Replica: ownership steps (acquire, release, resume, lost) by type. */
  readonly shardTransitions: Counter<'type'>;
  readonly shardTransitionDuration: Histogram<'type'>;
  /** Replica: member-lease renewals that failed. */
  readonly leaseRenewFailures: Counter;
  /** Shard manager (leader): shards whose lease has no holder. */
  readonly shardsWithoutOwner: Gauge;
  /** client-go's `leader_election_master_status{name}`: 1 while this process leads lease `name`. */
  readonly leaderStatus: Gauge<'name'>;
  /** Seconds from a Workflow's creation to its first status write (Flyte's acceptance latency). */
  readonly acceptanceLatency: Histogram;
  /** Seconds from a node becoming ready (its last upstream node finished, or the workflow started) to its start. */
  readonly nodeTransitionLatency: Histogram;
  /** Seconds from a Workflow's creation to its terminal status, by phase. */
  readonly completionLatency: Histogram<'phase'>;
  /** Running Workflows in the informer caches, by namespace. */
  readonly runningWorkflows: Gauge<'namespace'>;
  /** Execution events handled by the event publisher, by result. */
  readonly publisherEvents: Counter<'result'>;
  /** `workqueue_*` of the shard queues (`name="shard-<id>"`). */
  readonly workQueues: WorkQueueMetrics;
  /** `rest_client_*` of the process's Kubernetes clients. */
  readonly kubeClient: KubeClientMetrics;
  private readonly collectors = new Set<Collector>();

  constructor(options: MetricsOptions = {}) {
    this.registry = createRegistry(options);
    const registers = [this.registry];
    this.workQueues = new WorkQueueMetrics(registers);
    this.kubeClient = new KubeClientMetrics(registers);
    this.roundDuration = new Histogram({
      name: 'flotilla_round_duration_seconds',
      help: 'Duration of one round (read, execute, write) per workflow',
      labelNames: ['shard', 'result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.roundsTotal = new Counter({
      name: 'flotilla_rounds_total',
      help: 'Rounds run, by shard and result',
      labelNames: ['shard', 'result'],
      registers,
    });
    this.streakLength = new Histogram({
      name: 'flotilla_round_streak_length',
      help: 'Executor passes within one round while the status kept changing',
      labelNames: ['shard'],
      buckets: [1, 2, 3, 4, 6, 8, 12, 16],
      registers,
    });
    // prom-client reads all metrics at once, so every collected gauge awaits one shared refresh.
    let running: Promise<void> | undefined;
    const collectAll = (): Promise<void> => {
      running ??= Promise.all([...this.collectors].map(async (collect) => collect()))
        .then(() => undefined)
        .finally(() => {
          running = undefined;
        });
      return running;
    };
    this.queueDepth = new Gauge({
      name: 'flotilla_queue_depth',
      help: 'Jobs waiting or delayed (including wake-ups) in a shard queue',
      labelNames: ['shard'],
      registers,
      collect: collectAll,
    });
    this.activeJobs = new Gauge({
      name: 'flotilla_queue_active_jobs',
      help: 'Active jobs of a shard queue (all replicas)',
      labelNames: ['shard'],
      registers,
      collect: collectAll,
    });
    this.workflowsByPhase = new Gauge({
      name: 'flotilla_workflows',
      help: 'Workflows in the informer caches, by shard and phase',
      labelNames: ['shard', 'phase'],
      registers,
      collect: collectAll,
    });
    this.statusConflicts = new Counter({
      name: 'flotilla_status_update_conflicts_total',
      help: 'Status writes refused with 409 Conflict',
      labelNames: ['shard'],
      registers,
    });
    this.staleCacheSkips = new Counter({
      name: 'flotilla_stale_cache_skips_total',
      help: 'Reads where the informer cache was older than our own last write',
      labelNames: ['shard'],
      registers,
    });
    this.podsCreated = new Counter({
      name: 'flotilla_pods_created_total',
      help: 'Task pods created',
      labelNames: ['shard'],
      registers,
    });
    this.eventsSent = new Counter({
      name: 'flotilla_events_sent_total',
      help: 'Events delivered (execution events, Kubernetes Events)',
      labelNames: ['kind'],
      registers,
    });
    this.eventsFailed = new Counter({
      name: 'flotilla_events_failed_total',
      help: 'Events that could not be delivered',
      labelNames: ['kind'],
      registers,
    });
    this.catalogLookups = new Counter({
      name: 'flotilla_catalog_lookups_total',
      help: 'Catalog lookups of cacheable tasks by result',
      labelNames: ['result'],
      registers,
    });
    this.informerRestarts = new Counter({
      name: 'flotilla_informer_restarts_total',
      help: 'Informer restarts after an error or a silent watch',
      labelNames: ['resource', 'shard', 'reason'],
      registers,
    });
    this.ownedShards = new Gauge({
      name: 'flotilla_owned_shards',
      help: 'Shards this replica runs now',
      registers,
      collect: collectAll,
    });
    const handoverBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
    this.shardsHeld = new Gauge({
      name: 'flotilla_shards_held',
      help: 'Shards whose lease each replica holds (seen by the leading manager)',
      labelNames: ['replica'],
      registers,
    });
    this.assignmentComputations = new Counter({
      name: 'flotilla_assignment_computations_total',
      help: 'Assignment computations by the leading shard manager',
      registers,
    });
    this.handoversTotal = new Counter({
      name: 'flotilla_shard_handovers_total',
      help: 'Planned shard moves written by the manager',
      labelNames: ['reason'],
      registers,
    });
    this.failoversTotal = new Counter({
      name: 'flotilla_shard_failovers_total',
      help: 'Shards moved away from an expired replica',
      registers,
    });
    this.handoverDuration = new Histogram({
      name: 'flotilla_shard_handover_duration_seconds',
      help: 'Planned move written until the new owner holds the lease',
      buckets: handoverBuckets,
      registers,
    });
    this.failoverDuration = new Histogram({
      name: 'flotilla_shard_failover_duration_seconds',
      help: 'Failover move written until the new owner holds the lease',
      buckets: handoverBuckets,
      registers,
    });
    this.shardTransitions = new Counter({
      name: 'flotilla_shard_transitions_total',
      help: 'Ownership steps taken by this replica',
      labelNames: ['type'],
      registers,
    });
    this.shardTransitionDuration = new Histogram({
      name: 'flotilla_shard_transition_duration_seconds',
      help: 'Duration of one ownership step (stop/start the shard plus the lease write)',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.leaseRenewFailures = new Counter({
      name: 'flotilla_lease_renew_failures_total',
      help: 'Member-lease renewals that failed',
      registers,
    });
    this.shardsWithoutOwner = new Gauge({
      name: 'flotilla_shards_without_owner',
      help: 'Shards whose lease has no holder (seen by the leading manager)',
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'],
      registers,
    });
    const latencyBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
    this.acceptanceLatency = new Histogram({
      name: 'flotilla_workflow_acceptance_latency_seconds',
      help: 'Workflow created until its first status write (the first round that acted on it)',
      buckets: latencyBuckets,
      registers,
    });
    this.nodeTransitionLatency = new Histogram({
      name: 'flotilla_node_transition_latency_seconds',
      help: 'Node ready (upstream finished, or workflow started) until the node started',
      buckets: [0.001, 0.005, ...latencyBuckets],
      registers,
    });
    this.completionLatency = new Histogram({
      name: 'flotilla_workflow_completion_latency_seconds',
      help: 'Workflow created until its terminal status was written, by terminal phase',
      labelNames: ['phase'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600],
      registers,
    });
    this.runningWorkflows = new Gauge({
      name: 'flotilla_workflows_running',
      help: 'Running Workflows in the informer caches, by namespace',
      labelNames: ['namespace'],
      registers,
      collect: collectAll,
    });
    this.publisherEvents = new Counter({
      name: 'flotilla_event_publisher_events_total',
      help: 'Execution events handled by the event publisher, by result',
      labelNames: ['result'],
      registers,
    });
  }

  /** Registers a callback run before every scrape; returns its removal. */
  addCollector(collect: Collector): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /**
   * `flotilla_events_sent_total` / `_failed_total{kind="execution"}` follow a publisher's own
   * running totals, read at each collection.
   */
  followExecutionEvents(totals: () => { sent: number; failed: number }): void {
    const seen = { sent: 0, failed: 0 };
    this.addCollector(() => {
      const { sent, failed } = totals();
      if (sent > seen.sent) this.eventsSent.inc({ kind: 'execution' }, sent - seen.sent);
      if (failed > seen.failed) this.eventsFailed.inc({ kind: 'execution' }, failed - seen.failed);
      seen.sent = sent;
      seen.failed = failed;
    });
  }

  /** Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Label value of a shard. */
export function shardLabel(shard: number | string): string {
  return String(shard);
}
