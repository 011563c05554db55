/**
 * The execution events of one workflow as the event sink stored them, read through the sink's
 * gRPC List (src/events/client.ts) for the workflow page's "Execution events" list. Read when the
 * page asks (when it opens and when the workflow changes): the sink is the record, the console
 * keeps no copy. Outputs are left out of the rows (the node panel shows them from the status).
 */
import { createEventSinkClient, listEvents } from '../events/client.js';
import type { ClientSecurityOptions } from '../security/grpc.js';
import { ConsoleError } from './errors.js';

/** One row of the list: the time, the node (null for the workflow's own), the phase, the message. */
export interface SinkEventRow {
  occurredAt: string;
  scope: string;
  nodeId: string | null;
  attempt: number | null;
  phase: string;
  message: string | null;
}

export interface SinkEvents {
  /** False when the console runs without `--event-sink` (the page says so). */
  configured: boolean;
  events: SinkEventRow[];
  /** More events were stored than `limit`; the newest are the ones left out. */
  truncated: boolean;
}

export interface SinkReaderOptions {
  /** The sink's `host:port`. */
  address: string;
  security?: ClientSecurityOptions;
  /** Most events read for one workflow. @defaultValue 2000 */
  limit?: number;
  /** Deadline of one List call. @defaultValue 5000 */
  timeoutMs?: number;
}

export class SinkReader {
  private readonly client: ReturnType<typeof createEventSinkClient>;
  private readonly limit: number;

  constructor(private readonly options: SinkReaderOptions) {
    this.client = createEventSinkClient(options.address, options.security ?? {});
    this.limit = options.limit ?? 2000;
  }

  get address(): string {
    return this.options.address;
  }

  /** Every stored event of `namespace/name` (up to the limit), in the sink's order (stored order). */
  async events(namespace: string, name: string): Promise<SinkEvents> {
    const events: SinkEventRow[] = [];
    let pageToken = '';
    try {
      do {
        const page = await listEvents(this.client, {
          namespace,
          name,
          pageSize: Math.min(500, this.limit - events.length),
          pageToken,
          timeoutMs: this.options.timeoutMs ?? 5_000,
        });
        for (const { event } of page.events)
          events.push({
            occurredAt: event.occurredAt,
            scope: event.scope,
            nodeId: event.nodeId ?? null,
            attempt: event.attempt ?? null,
            phase: event.phase,
            message: event.message ?? event.failure?.message ?? null,
          });
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && events.length < this.limit);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new ConsoleError(
        'Unavailable',
        `cannot read the events of ${namespace}/${name} from the event sink ${this.options.address}: ${message}`,
        { cause },
      );
    }
    return { configured: true, events: events.slice(0, this.limit), truncated: pageToken !== '' };
  }

  close(): void {
    this.client.close();
  }
}
