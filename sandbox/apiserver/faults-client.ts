/**
 * A small typed HTTP client for the `/_flotilla/` endpoints, for tests that run the API server in
 * another process: `new FaultsClient({ url, token, caPem })`.
 */
import { request } from 'node:https';
import { FlotillaError } from '../../src/api/errors.js';
import type {
  AuditEntry,
  AuditFilter,
  AuditStats,
  ConflictFault,
  LatencyFault,
  PartitionFault,
  RequestRecord,
} from './faults.js';
import type { TrafficStats } from './traffic.js';

export interface FaultsClientOptions {
  /** Server URL, e.g. https://127.0.0.1:6443 */
  url: string;
  token: string;
  /** CA that signed the server's certificate. */
  caPem: string;
}

/** Raised when an endpoint answers with a non-2xx status. */
export class FaultsClientError extends FlotillaError<'RequestFailed'> {
  override readonly name = 'FaultsClientError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('RequestFailed', message, { ...options, retryable: status >= 500 });
  }
}

export class FaultsClient {
  constructor(private readonly o: FaultsClientOptions) {}

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.o.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.o.caPem,
          headers: {
            Authorization: `Bearer ${this.o.token}`,
            Accept: 'application/json',
            ...(payload !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new FaultsClientError(status, `${method} ${path}: ${status} ${text}`));
              return;
            }
            try {
              resolve((text === '' ? {} : JSON.parse(text)) as T);
            } catch (cause) {
              reject(new FaultsClientError(status, `${method} ${path}: invalid JSON answer`, { cause }));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', (cause) => reject(new FaultsClientError(0, `${method} ${path}: ${cause.message}`, { cause })));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Every open watch gets ERROR 410 Expired and ends; resolves to how many were open. */
  async expireWatches(): Promise<number> {
    const r = await this.call<{ expired?: number }>('POST', '/_flotilla/faults/expire-watches', {});
    return r.expired ?? 0;
  }

  async compact(): Promise<void> {
    await this.call('POST', '/_flotilla/faults/compact', {});
  }

  async conflicts(fault: ConflictFault): Promise<void> {
    await this.call('POST', '/_flotilla/faults/conflicts', fault);
  }

  async latency(fault: LatencyFault): Promise<void> {
    await this.call('POST', '/_flotilla/faults/latency', fault);
  }

  async partition(fault: PartitionFault): Promise<void> {
    await this.call('POST', '/_flotilla/faults/partition', fault);
  }

  async clear(): Promise<void> {
    await this.call('DELETE', '/_flotilla/faults');
  }

  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (typeof v === 'string') q.set(k, v);
    const qs = q.toString();
    return this.call<AuditEntry[]>('GET', `/_flotilla/audit${qs ? `?${qs}` : ''}`);
  }

  /** Every resource request since start or the last {@link clearRequests} (reads included). */
  async requests(): Promise<RequestRecord[]> {
    return this.call<RequestRecord[]>('GET', '/_flotilla/requests');
  }

  async clearRequests(): Promise<void> {
    await this.call('DELETE', '/_flotilla/requests');
  }

  async stats(): Promise<AuditStats> {
    return this.call<AuditStats>('GET', '/_flotilla/stats');
  }

  /** Cumulative traffic counters since start (take deltas). */
  async traffic(): Promise<TrafficStats> {
    return this.call<TrafficStats>('GET', '/_flotilla/traffic');
  }
}
