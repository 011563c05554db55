/**
 * The event sink server: `flotilla.events.v1.EventSink` over a Redis, memory or file store,
 * with TLS / mTLS / bearer token when configured, plus any extra services to serve on the same
 * port (`flotilla event-sink --kubeconfig` adds the SignalService).
 *
 * Lifecycle components: the store (`cache`: connected before anything is served) and the gRPC
 * server (`worker`: its handlers write to the store). Stopped in reverse: the server (in-flight
 * calls get the grace), then the store.
 */
import { pino, type Logger } from 'pino';
import { Lifecycle, LifecycleError, component } from '../../lifecycle/index.js';
import {
  startGrpcServer,
  type RunningServer,
  type ServerSecurityOptions,
  type ServiceRegistration,
} from '../../security/grpc.js';
import { MemoryEventStore, type EventStore } from './store.js';
import { RedisEventStore } from './redis-store.js';
import { isRedisUrl, type RedisConfig } from '../../redis/index.js';
import { eventSinkService } from './service.js';
import { EventSinkMetrics } from './metrics.js';
import { startObservabilityServer, type ObservabilityServer } from '../../observability/http.js';

export {
  MemoryEventStore,
  TERMINAL_PHASES,
  type EventStore,
  type RecordResult,
  type StoredEvent,
  type WatchFrom,
} from './store.js';
export { RedisEventStore } from './redis-store.js';
export { EventSinkMetrics } from './metrics.js';

/** Which store: Redis streams, process memory, or memory persisted to a JSON-lines file. */
export type EventStoreSpec =
  | {
      readonly kind: 'redis';
      /** Any form of src/redis/config.ts; ignored when `redis` is given. */
      readonly url: string;
      /** The parsed connection (secrets and CA merged in). @defaultValue parsed from `url` */
      readonly redis?: RedisConfig;
      readonly prefix?: string;
      /** Partitions of the events (see redis-store.ts). @defaultValue 1 */
      readonly partitions?: number;
    }
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly path: string };

export interface EventSinkOptions {
  readonly store: EventStoreSpec;
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  readonly port?: number;
  readonly security?: ServerSecurityOptions;
  /** More services on the same server (e.g. the SignalService). @defaultValue [] */
  readonly extraServices?: readonly ServiceRegistration[];
  /** @defaultValue pino at level info, to stderr */
  readonly logger?: Logger;
  /**
   * Serve `/metrics`, `/healthz` and `/readyz` over plain HTTP here (`port` 0 picks a free one).
   * @defaultValue none (metrics are still counted in `RunningEventSink.metrics`)
   */
  readonly metricsServer?: { readonly host?: string; readonly port: number };
}

export interface RunningEventSink {
  readonly address: string;
  readonly port: number;
  readonly store: EventStore;
  readonly metrics: EventSinkMetrics;
  /** `http://host:port` of `/metrics`, when `metricsServer` was given. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<void>;
}

/** Parses `--store` / `--redis` CLI values: `memory`, `file:PATH`, or a Redis URL (any form of src/redis). */
export function parseStoreSpec(store: string | undefined, redisUrl: string | undefined): EventStoreSpec {
  if (store === 'memory') return { kind: 'memory' };
  if (store?.startsWith('file:')) return { kind: 'file', path: store.slice('file:'.length) };
  if (store !== undefined && isRedisUrl(store)) return { kind: 'redis', url: store };
  if (store === undefined || store === 'redis') {
    if (!redisUrl) throw new Error('--redis URL is required for the redis store (or use --store memory)');
    return { kind: 'redis', url: redisUrl };
  }
  throw new Error(`unknown --store ${store}: use redis, memory or file:PATH`);
}

export async function startEventSink(options: EventSinkOptions): Promise<RunningEventSink> {
  const logger = options.logger ?? pino({ level: 'info', base: { component: 'event-sink' } }, pino.destination(2));
  const spec = options.store;
  const store: EventStore =
    spec.kind === 'redis'
      ? new RedisEventStore({
          url: spec.url,
          ...(spec.redis ? { redis: spec.redis } : {}),
          ...(spec.prefix ? { prefix: spec.prefix } : {}),
          ...(spec.partitions ? { partitions: spec.partitions } : {}),
        })
      : new MemoryEventStore(spec.kind === 'file' ? { file: spec.path } : {});
  let server: RunningServer | undefined;
  let http: ObservabilityServer | undefined;
  const metrics = new EventSinkMetrics();
  const metricsServer = options.metricsServer;
  const lifecycle: Lifecycle = new Lifecycle(
    [
      ...(metricsServer
        ? [
            component({
              name: 'observability server',
              stage: 'server',
              start: async () => {
                http = await startObservabilityServer({
                  metrics,
                  host: metricsServer.host ?? '127.0.0.1',
                  port: metricsServer.port,
                  ready: () => lifecycle.ready(),
                });
              },
              stop: () => http?.stop(),
            }),
          ]
        : []),
      component({
        name: 'event store',
        stage: 'cache',
        start: async () => {
          if (!(store instanceof RedisEventStore)) return;
          try {
            await store.ready();
          } catch (error) {
            await store.close();
            throw error;
          }
        },
        stop: () => store.close(),
      }),
      component({
        name: 'event sink gRPC server',
        stage: 'worker',
        start: async () => {
          server = await startGrpcServer({
            services: [eventSinkService({ store, logger, metrics }), ...(options.extraServices ?? [])],
            host: options.host ?? '127.0.0.1',
            port: options.port ?? 0,
            ...(options.security ? { security: options.security } : {}),
          });
        },
        // The server's own default grace (2 s) for the calls in flight.
        stop: () => server?.stop(),
      }),
    ],
    { logger },
  );
  try {
    await lifecycle.start();
  } catch (error) {
    // Callers get the store's or the server's own error, as before the lifecycle.
    throw error instanceof LifecycleError && error.code === 'StartFailed' ? error.cause : error;
  }
  const running = server as RunningServer;
  logger.info(
    {
      address: running.address,
      store: spec.kind,
      tls: Boolean(options.security?.tls),
      mtls: Boolean(options.security?.tls?.clientCaPem),
      token: Boolean(options.security?.token),
      metrics: http?.url,
    },
    'event sink listening',
  );
  return {
    address: running.address,
    port: running.port,
    store,
    metrics,
    metricsUrl: http?.url,
    async stop() {
      await lifecycle.stop({ graceMs: 2000 });
      logger.info('event sink stopped');
    },
  };
}
