/**
 * Work-queue figures in the shape controller-runtime (client-go's workqueue) exports, so the
 * dashboards and alerts written for Kubernetes controllers work unchanged: every series carries a
 * `name` label naming the queue (a shard queue is `shard-<id>`).
 *
 * - `workqueue_adds_total`: items added (a delayed add counts when it becomes due);
 * - `workqueue_retries_total`: failed items put back for another try;
 * - `workqueue_queue_duration_seconds`: how long an item waited before processing began;
 * - `workqueue_work_duration_seconds`: how long processing one item took;
 * - `workqueue_unfinished_work_seconds`: the summed age of the items being processed now (a stuck
 *   processor makes it grow without bound);
 * - `workqueue_longest_running_processor_seconds`: the age of the oldest item being processed now;
 * - `workqueue_depth`: items waiting now.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What one queue reports; obtained from `WorkQueueMetrics.queue(name)`. */
export interface WorkQueueRecorder {
  /** An item was added. */
  added(): void;
  /** A failed item will be tried again. */
  retried(): void;
  /**
   * Processing of an item begins after it waited `waitedSeconds` (undefined: unknown, not
   * observed); call the result when it ends.
   */
  started(waitedSeconds: number | undefined): () => void;
  /** Items waiting now. */
  depth(items: number): void;
  /** The queue stopped: its gauges go (its counters stay, as counters do). */
  close(): void;
}

/** A recorder that records nothing (a queue without metrics). */
export const NO_WORK_QUEUE_FIGURES: WorkQueueRecorder = {
  added: () => undefined,
  retried: () => undefined,
  started: () => () => undefined,
  depth: () => undefined,
  close: () => undefined,
};

// client-go's buckets: 10^-8 … 10^1 seconds, a decade apart (queue waits and work durations).
const BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10];

export class WorkQueueMetrics {
  private readonly adds: Counter<'name'>;
  private readonly retries: Counter<'name'>;
  private readonly queueDuration: Histogram<'name'>;
  private readonly workDuration: Histogram<'name'>;
  private readonly depthGauge: Gauge<'name'>;
  /** Start times (performance.now) of the items being processed, by queue name. */
  private readonly inFlight = new Map<string, Set<{ readonly at: number }>>();

  constructor(
    registers: Registry[],
    private readonly now: () => number = () => performance.now(),
  ) {
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total retries handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: BUCKETS,
      registers,
    });
    this.depthGauge = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
    });
    const inFlight = this.inFlight;
    const nowOf = this.now;
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'How many seconds of work has been done that is in progress and has not been observed by work_duration',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        const now = nowOf();
        for (const [name, items] of inFlight) {
          let sum = 0;
          for (const item of items) sum += now - item.at;
          this.set({ name }, sum / 1000);
        }
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        const now = nowOf();
        for (const [name, items] of inFlight) {
          let oldest = now;
          for (const item of items) oldest = Math.min(oldest, item.at);
          this.set({ name }, (now - oldest) / 1000);
        }
      },
    });
  }

  /** The recorder of queue `name` (one per queue; a second call for the same name shares its series). */
  queue(name: string): WorkQueueRecorder {
    const labels = { name };
    const items = this.inFlight.get(name) ?? new Set<{ readonly at: number }>();
    this.inFlight.set(name, items);
    let closed = false;
    const forget = () => {
      if (closed && items.size === 0 && this.inFlight.get(name) === items) this.inFlight.delete(name);
    };
    this.adds.inc(labels, 0);
    this.retries.inc(labels, 0);
    this.depthGauge.set(labels, 0);
    return {
      added: () => this.adds.inc(labels),
      retried: () => this.retries.inc(labels),
      started: (waitedSeconds) => {
        if (waitedSeconds !== undefined) this.queueDuration.observe(labels, Math.max(0, waitedSeconds));
        const item = { at: this.now() };
        items.add(item);
        return () => {
          if (!items.delete(item)) return;
          this.workDuration.observe(labels, (this.now() - item.at) / 1000);
          forget();
        };
      },
      depth: (n) => this.depthGauge.set(labels, n),
      close: () => {
        closed = true;
        this.depthGauge.remove(labels);
        forget();
      },
    };
  }
}
