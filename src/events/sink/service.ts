/**
 * The `flotilla.events.v1.EventSink` gRPC service over an `EventStore`.
 *
 * Record handles a batch in request order and answers one result per event; a store failure
 * answers UNAVAILABLE (the publisher retries the whole batch; what was stored comes back as
 * duplicates). Invalid events answer INVALID_ARGUMENT before anything of the batch is stored.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import * as pb from '../../generated/flotilla/events/v1/events.js';
import { eventFromPb, eventToPb } from '../convert.js';
import { EventSinkError } from '../errors.js';
import type { ExecutionEvent } from '../../engine/events.js';
import type { EventStore, RecordOutcome, StoredEvent, WatchFrom } from './store.js';
import type { EventSinkMetrics } from './metrics.js';
import type { ServiceRegistration } from '../../security/grpc.js';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { extractTraceContext, getTracer } from '../../observability/tracing.js';

/** Max events in one Record call. */
export const MAX_RECORD_BATCH = 1000;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

const outcomeToPb: Record<RecordOutcome, pb.RecordOutcome> = {
  stored: pb.RecordOutcome.RECORD_OUTCOME_STORED,
  duplicate: pb.RecordOutcome.RECORD_OUTCOME_DUPLICATE,
  dropped: pb.RecordOutcome.RECORD_OUTCOME_DROPPED_TERMINAL,
};

function toStatus(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof EventSinkError) {
    const code =
      error.code === 'InvalidEvent' || error.code === 'InvalidCursor'
        ? grpc.status.INVALID_ARGUMENT
        : grpc.status.UNAVAILABLE;
    return { code, details: error.message };
  }
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}

function storedToPb(stored: StoredEvent): pb.StoredEvent {
  return { cursor: stored.cursor, event: eventToPb(stored.event) };
}

function parseFrom(from: string): WatchFrom {
  if (from === '' || from === 'now') return 'now';
  if (from === 'beginning') return 'beginning';
  return { after: from };
}

export interface EventSinkServiceOptions {
  readonly store: EventStore;
  readonly logger: Logger;
  /** Counts events by outcome and times Record calls. @defaultValue none */
  readonly metrics?: EventSinkMetrics;
}

export function eventSinkService(options: EventSinkServiceOptions): ServiceRegistration {
  const { store, logger, metrics } = options;
  const implementation: pb.EventSinkServer = {
    record(call, callback) {
      const timer = metrics?.recordDuration.startTimer();
      // A child of the publisher's span (its trace context came in the metadata).
      const span = getTracer().startSpan(
        'flotilla.event-sink.record',
        { kind: SpanKind.SERVER, attributes: { 'flotilla.events': call.request.events.length } },
        extractTraceContext(call.metadata),
      );
      void context
        .with(trace.setSpan(context.active(), span), async () => {
          const events: ExecutionEvent[] = [];
          try {
            if (call.request.events.length > MAX_RECORD_BATCH)
              throw new EventSinkError('InvalidEvent', `at most ${MAX_RECORD_BATCH} events per Record call`);
            for (const event of call.request.events) events.push(eventFromPb(event));
          } catch (error) {
            metrics?.events.inc({ outcome: 'invalid' });
            callback(toStatus(error), null);
            return;
          }
          const results: pb.RecordResult[] = [];
          try {
            for (const event of events) {
              const result = await store.record(event);
              metrics?.events.inc({ outcome: result.outcome });
              if (result.outcome === 'dropped')
                logger.info({ eventId: event.id, phase: event.phase }, 'late event for a terminal entity dropped');
              results.push({ id: result.id, outcome: outcomeToPb[result.outcome], cursor: result.cursor ?? '' });
            }
          } catch (error) {
            logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'record failed');
            callback(toStatus(error), null);
            return;
          }
          callback(null, { results });
        })
        .finally(() => {
          timer?.();
          span.end();
        });
    },
    list(call, callback) {
      void (async () => {
        const { namespace, name, pageToken } = call.request;
        if (!namespace || !name) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'namespace and name are required' }, null);
          return;
        }
        const pageSize = Math.min(call.request.pageSize || DEFAULT_PAGE, MAX_PAGE);
        try {
          const page = await store.list({ namespace, name }, { pageSize, ...(pageToken ? { after: pageToken } : {}) });
          callback(null, { events: page.events.map(storedToPb), nextPageToken: page.next ?? '' });
        } catch (error) {
          callback(toStatus(error), null);
        }
      })();
    },
    watch(call) {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      call.on('close', () => abort.abort());
      const { namespace, name } = call.request;
      void (async () => {
        try {
          for await (const stored of store.watch(parseFrom(call.request.from), abort.signal)) {
            if (namespace && stored.event.workflow.namespace !== namespace) continue;
            if (name && stored.event.workflow.name !== name) continue;
            if (!call.write({ event: storedToPb(stored) })) {
              await new Promise((resolve) => call.once('drain', resolve));
            }
          }
          if (!abort.signal.aborted) call.end();
        } catch (error) {
          if (!abort.signal.aborted) call.emit('error', toStatus(error));
        }
      })();
    },
  };
  return { definition: pb.EventSinkService, implementation };
}
