/**
 * Kubernetes API requests as client-go counts them, so the usual controller dashboards work:
 * `rest_client_requests_total{code,method,host}` (code `<error>` when no HTTP answer came) and
 * `rest_client_request_duration_seconds{verb,host}` (verb = the HTTP method).
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** What the Kubernetes layer reports per request (src/kube/keepalive.ts). */
export interface KubeRequestRecorder {
  /** One request ended: `code` is the HTTP status, or undefined when the request failed without one. */
  request(method: string, host: string, code: number | undefined, seconds: number): void;
}

export class KubeClientMetrics implements KubeRequestRecorder {
  private readonly requests: Counter<'code' | 'method' | 'host'>;
  private readonly duration: Histogram<'verb' | 'host'>;

  constructor(registers: Registry[]) {
    this.requests = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests to the Kubernetes API, partitioned by status code, method, and host',
      labelNames: ['code', 'method', 'host'],
      registers,
    });
    this.duration = new Histogram({
      name: 'rest_client_request_duration_seconds',
      help: 'Request latency in seconds, broken down by verb and host',
      labelNames: ['verb', 'host'],
      // client-go's buckets
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers,
    });
  }

  request(method: string, host: string, code: number | undefined, seconds: number): void {
    const verb = method.toUpperCase();
    this.requests.inc({ code: code === undefined ? '<error>' : String(code), method: verb, host });
    this.duration.observe({ verb, host }, seconds);
  }
}
