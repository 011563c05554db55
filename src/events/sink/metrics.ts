/** Prometheus metrics of the event sink and the event publisher (default registry). */
import { Counter, register } from 'prom-client';

function counter(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames: [...labelNames] });
}

/** Events the sink handled, by outcome: stored, duplicate, dropped (late, entity terminal), invalid. */
export const sinkEventsTotal = counter(
  'flotilla_event_sink_events_total',
  'Execution events received by the event sink, by outcome.',
  ['outcome'],
);

/** Publisher side: events published, delivered, dropped on buffer overflow, and Record retries. */
export const publisherEventsTotal = counter(
  'flotilla_event_publisher_events_total',
  'Execution events handled by the event publisher, by result.',
  ['result'],
);
