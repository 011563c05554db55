/**
 * The event sink's Prometheus metrics, on its own registry (no global one), served on its
 * `/metrics` by `startEventSink` when given a metrics port:
 * - `flotilla_event_sink_events_total{outcome}`: events handled: stored, duplicate, dropped (late:
 *   the entity was terminal already), invalid;
 * - `flotilla_event_sink_record_duration_seconds`: one Record call (a batch), store writes included;
 * - prom-client's standard `process_*` and `nodejs_*`.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { createRegistry, type MetricsSource } from '../../observability/metrics.js';

export type SinkOutcome = 'stored' | 'duplicate' | 'dropped' | 'invalid';

export class EventSinkMetrics implements MetricsSource {
  readonly registry: Registry;
  readonly events: Counter<'outcome'>;
  readonly recordDuration: Histogram;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.registry = createRegistry({ processMetrics: options.processMetrics ?? true });
    const registers = [this.registry];
    this.events = new Counter({
      name: 'flotilla_event_sink_events_total',
      help: 'Execution events received by the event sink, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome is a series from the start, so rates and alerts see 0 rather than nothing.
    for (const outcome of ['stored', 'duplicate', 'dropped', 'invalid'] satisfies SinkOutcome[])
      this.events.inc({ outcome }, 0);
    this.recordDuration = new Histogram({
      name: 'flotilla_event_sink_record_duration_seconds',
      help: 'Duration of one Record call (a batch of events), store writes included',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
