/**
 * The webhook's Prometheus metrics (own registry, names prefixed `flotilla_webhook_`):
 * - `flotilla_webhook_requests_total{path,result}`: reviews answered; result is `patched`,
 *   `unchanged`, `skipped` (mutate), `allowed`, `denied` (validate) or `error` (not a review).
 * - `flotilla_webhook_request_duration_seconds{path}`: time to answer one review.
 * - `flotilla_webhook_certificate_reloads_total{result}`: `ok` or `error` per reload attempt.
 * - `flotilla_webhook_certificate_expiry_timestamp_seconds`: notAfter of the serving certificate.
 * With `processMetrics`, prom-client's standard `process_*` and `nodejs_*` too.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '../observability/metrics.js';

export class WebhookMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'path' | 'result'>;
  readonly duration: Histogram<'path'>;
  readonly reloads: Counter<'result'>;
  readonly certExpiry: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.registry = createRegistry({ processMetrics: options.processMetrics ?? false });
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'flotilla_webhook_requests_total',
      help: 'Admission reviews answered, by path and result',
      labelNames: ['path', 'result'],
      registers,
    });
    this.duration = new Histogram({
      name: 'flotilla_webhook_request_duration_seconds',
      help: 'Time to answer one admission review',
      labelNames: ['path'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.reloads = new Counter({
      name: 'flotilla_webhook_certificate_reloads_total',
      help: 'Serving certificate (re)loads, by result',
      labelNames: ['result'],
      registers,
    });
    this.certExpiry = new Gauge({
      name: 'flotilla_webhook_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the serving certificate (Unix seconds)',
      registers,
    });
  }
}
