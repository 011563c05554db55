/**
 * Clients of the EventSink: `EventPublisher` for the controller (buffered, batched, retried,
 * never blocking or throwing into a round) and small promise helpers for tools and tests.
 *
 * Publisher guarantees: events are sent in publish order, in batches; a batch is retried with
 * exponential back-off and jitter until acknowledged (the sink de-duplicates by event id, so a
 * retry after a lost answer stores nothing twice). The buffer is bounded (buffered + in flight):
 * on overflow the oldest buffered event is dropped and counted; a batch in flight is kept. `flush()` waits for the buffer to drain; `close()` flushes then
 * releases the channel.
 *
 * Traces: each Record call is a span `flotilla.events.record`, a child of the span that published
 * the batch's first event and linked to those of the others; its context goes to the sink in the
 * call's metadata.
 */
import * as grpc from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import * as pb from '../generated/flotilla/events/v1/events.js';
import { createClient, deadlineIn, isServiceError, type ClientSecurityOptions } from '../security/grpc.js';
import { eventFromPb, eventToPb } from './convert.js';
import { SpanKind, context, trace, type Link, type SpanContext } from '@opentelemetry/api';
import { getTracer, injectTraceContext } from '../observability/tracing.js';
import type { ExecutionEvent } from '../engine/events.js';
import type { RecordOutcome, StoredEvent } from './sink/store.js';

export function createEventSinkClient(address: string, security: ClientSecurityOptions = {}): pb.EventSinkClient {
  return createClient(pb.EventSinkClient, address, security);
}

const outcomeFromPb = (outcome: pb.RecordOutcome): RecordOutcome =>
  outcome === pb.RecordOutcome.RECORD_OUTCOME_DUPLICATE
    ? 'duplicate'
    : outcome === pb.RecordOutcome.RECORD_OUTCOME_DROPPED_TERMINAL
      ? 'dropped'
      : 'stored';

export interface RecordedResult {
  readonly id: string;
  readonly outcome: RecordOutcome;
  readonly cursor: string;
}

/** One Record call with a deadline (`metadata`: e.g. the caller's trace context). */
export function recordEvents(
  client: pb.EventSinkClient,
  events: readonly ExecutionEvent[],
  timeoutMs = 5_000,
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<RecordedResult[]> {
  return new Promise((resolve, reject) => {
    client.record(
      { events: events.map(eventToPb) },
      metadata,
      { deadline: deadlineIn(timeoutMs) },
      (error, response) => {
        if (error) reject(error);
        else resolve(response.results.map((r) => ({ id: r.id, outcome: outcomeFromPb(r.outcome), cursor: r.cursor })));
      },
    );
  });
}

export interface ListEventsOptions {
  readonly namespace: string;
  readonly name: string;
  /** @defaultValue 100 */
  readonly pageSize?: number;
  readonly pageToken?: string;
  /** @defaultValue 5000 */
  readonly timeoutMs?: number;
}

/** One page of a workflow's events. */
export function listEvents(
  client: pb.EventSinkClient,
  options: ListEventsOptions,
): Promise<{ events: StoredEvent[]; nextPageToken: string }> {
  return new Promise((resolve, reject) => {
    const request: pb.ListRequest = {
      namespace: options.namespace,
      name: options.name,
      pageSize: options.pageSize ?? 0,
      pageToken: options.pageToken ?? '',
    };
    client.list(
      request,
      new grpc.Metadata(),
      { deadline: deadlineIn(options.timeoutMs ?? 5_000) },
      (error, response) => {
        if (error) return reject(error);
        try {
          const events: StoredEvent[] = [];
          for (const e of response.events) if (e.event) events.push({ cursor: e.cursor, event: eventFromPb(e.event) });
          resolve({ events, nextPageToken: response.nextPageToken });
        } catch (cause) {
          reject(cause instanceof Error ? cause : new Error(String(cause)));
        }
      },
    );
  });
}

export interface WatchEventsOptions {
  /** 'beginning', 'now' or a cursor. @defaultValue 'now' */
  readonly from?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Ends the stream. */
  readonly signal: AbortSignal;
  /** A Watch is long-lived: its deadline is this far away. @defaultValue 1 hour */
  readonly timeoutMs?: number;
}

/** Streams stored events until `signal` aborts (then ends quietly). */
export async function* watchEvents(
  client: pb.EventSinkClient,
  options: WatchEventsOptions,
): AsyncIterable<StoredEvent> {
  const call = client.watch(
    { from: options.from ?? 'now', namespace: options.namespace ?? '', name: options.name ?? '' },
    new grpc.Metadata(),
    { deadline: deadlineIn(options.timeoutMs ?? 3_600_000) },
  );
  const onAbort = () => call.cancel();
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of call as AsyncIterable<pb.WatchResponse>) {
      const stored = message.event;
      if (!stored?.event) continue;
      yield { cursor: stored.cursor, event: eventFromPb(stored.event) };
    }
  } catch (error) {
    if (!(options.signal.aborted && isServiceError(error) && error.code === grpc.status.CANCELLED)) throw error;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    call.cancel();
  }
}

export interface EventPublisherOptions {
  /** The sink's `host:port`. */
  readonly address: string;
  readonly security?: ClientSecurityOptions;
  /** Max events held; on overflow the oldest is dropped. @defaultValue 10_000 */
  readonly bufferSize?: number;
  /** Max events per Record call. @defaultValue 100 */
  readonly batchSize?: number;
  /** How long a partial batch waits for more events. @defaultValue 50 */
  readonly lingerMs?: number;
  /** Deadline of one Record call. @defaultValue 5000 */
  readonly callTimeoutMs?: number;
  /** First retry delay; doubles per failure, with jitter. @defaultValue 100 */
  readonly retryBaseMs?: number;
  /** @defaultValue 10_000 */
  readonly retryMaxMs?: number;
  /** @defaultValue pino at level warn, to stderr */
  readonly logger?: Logger;
  /**
   * `flotilla_event_publisher_events_total{result}`: published, delivered, overflowed, rejected,
   * retried (the process's `Metrics.publisherEvents`). @defaultValue none
   */
  readonly metrics?: { inc(labels: { result: PublisherResult }): void };
}

export type PublisherResult = 'published' | 'delivered' | 'overflowed' | 'rejected' | 'retried';

export interface PublisherStats {
  published: number;
  /** Acknowledged by the sink (stored, duplicate or dropped as late). */
  delivered: number;
  /** Of the delivered, how many the sink already had. */
  duplicates: number;
  /** Of the delivered, how many the sink dropped as late (entity already terminal). */
  late: number;
  /** Dropped here: buffer overflow, or published after close. */
  overflowed: number;
  /** Rejected by the sink as invalid (INVALID_ARGUMENT). */
  rejected: number;
  retries: number;
}

export class EventPublisher {
  private readonly client: pb.EventSinkClient;
  private readonly buffer: ExecutionEvent[] = [];
  private readonly logger: Logger;
  private readonly capacity: number;
  private readonly batchSize: number;
  private sending: Promise<void> | undefined;
  private linger: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly wake = new Set<() => void>();
  private inFlight = 0;
  /** The span each buffered event was published in (weakly: a dropped event takes it along). */
  private readonly publishedIn = new WeakMap<ExecutionEvent, SpanContext>();
  readonly stats: PublisherStats = {
    published: 0,
    delivered: 0,
    duplicates: 0,
    late: 0,
    overflowed: 0,
    rejected: 0,
    retries: 0,
  };

  constructor(private readonly options: EventPublisherOptions) {
    this.client = createEventSinkClient(options.address, options.security);
    this.logger =
      options.logger ?? pino({ level: 'warn', base: { component: 'event-publisher' } }, pino.destination(2));
    this.capacity = options.bufferSize ?? 10_000;
    this.batchSize = options.batchSize ?? 100;
  }

  private count(result: PublisherResult): void {
    this.options.metrics?.inc({ result });
  }

  /** Queues an event; never blocks, never throws. */
  publish(event: ExecutionEvent): void {
    if (this.closed) {
      this.stats.overflowed += 1;
      this.count('overflowed');
      return;
    }
    this.stats.published += 1;
    this.count('published');
    const span = trace.getSpanContext(context.active());
    if (span && trace.isSpanContextValid(span)) this.publishedIn.set(event, span);
    this.buffer.push(event);
    this.trim();
    if (this.buffer.length >= this.batchSize) this.kick();
    else this.linger ??= setTimeout(() => this.kick(), this.options.lingerMs ?? 50);
  }

  /** Events waiting to be acknowledged (buffered and in flight). */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  private trim(): void {
    while (this.buffer.length + this.inFlight > this.capacity && this.buffer.length > 0) {
      this.buffer.shift();
      this.stats.overflowed += 1;
      this.count('overflowed');
    }
  }

  private kick(): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = undefined;
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
      if (this.buffer.length > 0 && !this.stopping) this.kick();
    });
  }

  private stopping = false;

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.buffer.length > 0 && !this.stopping) {
      const batch = this.buffer.splice(0, this.batchSize);
      this.inFlight = batch.length;
      try {
        await this.send(batch);
        failures = 0;
      } catch (error) {
        this.inFlight = 0;
        if (isServiceError(error) && error.code === grpc.status.INVALID_ARGUMENT && batch.length > 1) {
          // One bad event must not block the rest: send them one by one.
          this.buffer.unshift(...batch);
          try {
            await this.sendSingly(batch.length);
          } catch {
            failures += 1;
            this.stats.retries += 1;
            await this.sleep(this.backoff(failures));
          }
          continue;
        }
        if (isServiceError(error) && error.code === grpc.status.INVALID_ARGUMENT) {
          this.stats.rejected += 1;
          this.count('rejected');
          this.logger.warn(
            { eventId: batch[0]?.id, code: error.code, details: error.details },
            'event sink rejected an event',
          );
          continue;
        }
        this.buffer.unshift(...batch);
        this.trim();
        failures += 1;
        this.stats.retries += 1;
        this.count('retried');
        const delay = this.backoff(failures);
        this.logger.warn(
          { code: isServiceError(error) ? error.code : undefined, attempt: failures, retryInMs: delay },
          'event sink unreachable; retrying',
        );
        await this.sleep(delay);
      } finally {
        this.inFlight = 0;
      }
      this.notify();
    }
    this.notify();
  }

  private async sendSingly(count: number): Promise<void> {
    for (let i = 0; i < count && this.buffer.length > 0; i++) {
      const event = this.buffer.shift();
      if (!event) break;
      this.inFlight = 1;
      try {
        await this.send([event]);
      } catch (error) {
        if (isServiceError(error) && error.code === grpc.status.INVALID_ARGUMENT) {
          this.stats.rejected += 1;
          this.count('rejected');
          this.logger.warn({ eventId: event.id, details: error.details }, 'event sink rejected an event');
        } else {
          this.buffer.unshift(event);
          throw error;
        }
      } finally {
        this.inFlight = 0;
      }
    }
  }

  private async send(batch: readonly ExecutionEvent[]): Promise<void> {
    const origins = [...new Set(batch.map((event) => this.publishedIn.get(event)).filter((s) => s !== undefined))];
    const [first, ...others] = origins;
    const parent = first ? trace.setSpanContext(context.active(), first) : context.active();
    const links: Link[] = others.map((spanContext) => ({ context: spanContext }));
    const results = await getTracer().startActiveSpan(
      'flotilla.events.record',
      { kind: SpanKind.CLIENT, links, attributes: { 'flotilla.events': batch.length } },
      parent,
      async (span) => {
        try {
          return await recordEvents(
            this.client,
            batch,
            this.options.callTimeoutMs ?? 5_000,
            injectTraceContext(new grpc.Metadata()),
          );
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          throw error;
        } finally {
          span.end();
        }
      },
    );
    for (const result of results) {
      this.stats.delivered += 1;
      if (result.outcome === 'duplicate') this.stats.duplicates += 1;
      if (result.outcome === 'dropped') this.stats.late += 1;
      this.count('delivered');
    }
  }

  private backoff(failures: number): number {
    const base = this.options.retryBaseMs ?? 100;
    const max = this.options.retryMaxMs ?? 10_000;
    const exp = Math.min(max, base * 2 ** Math.min(failures - 1, 20));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }

  private wakeSleep: (() => void) | undefined;

  private notify(): void {
    for (const wake of this.wake) wake();
  }

  /** Sends everything buffered now; resolves true when drained, false after `timeoutMs`. */
  async flush(timeoutMs = 5_000): Promise<boolean> {
    if (this.pending === 0) return true;
    this.kick();
    this.wakeSleep?.();
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 100));
        this.wake.add(done);
      });
      if (!this.sending && this.buffer.length > 0) this.kick();
    }
    return true;
  }

  /** Flushes (up to `timeoutMs`), then stops and closes the channel. Later publishes are dropped. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const drained = await this.flush(timeoutMs);
    if (!drained) this.logger.warn({ pending: this.pending }, 'event publisher closed with undelivered events');
    this.stopping = true;
    if (this.linger) clearTimeout(this.linger);
    this.wakeSleep?.();
    this.client.close();
    await this.sending;
  }
}
