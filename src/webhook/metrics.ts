/**
 * The webhook's Prometheus metrics (own registry, names prefixed `flotilla_webhook_`):
 * - `flotilla_webhook_requests_total{path,result}`: reviews answered; result is `patched`,
 *   `unchanged`, `skipped` (mutate), `allowed`, `denied` (validate) or `error` (not a review).
 * - `flotilla_webhook_request_duration_seconds{path}`: time to answer one review.
 * - `flotilla_webhook_certificate_reloads_total{result}`: `ok` or `error` per reload attempt.
 * - `flotilla_webhook_certificate_expiry_timestamp_seconds`: notAfter of the serving certificate.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class WebhookMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'path' | 'result'>;
  readonly duration: Histogram<'path'>;
  readonly reloads: Counter<'result'>;
  readonly certExpiry: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? false)
      collectDefaultMetrics({ register: this.registry, prefix: 'flotilla_webhook_' });
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
