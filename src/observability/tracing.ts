/**
 * Traces: a span per round, child spans per node and per API call, through `@opentelemetry/api`.
 *
 * Off by default. `setupTracing` installs the SDK (a tracer provider and an AsyncLocalStorage
 * context manager, so child spans find their parent across `await`) only when
 * `OTEL_TRACES_EXPORTER` is set to something other than `none`, or `OTEL_EXPORTER_OTLP_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; the OTLP/HTTP exporter then reads the standard
 * `OTEL_EXPORTER_OTLP_*` variables itself. `OTEL_TRACES_EXPORTER=console` prints spans.
 * `OTEL_SERVICE_NAME` names the service. Tests pass their own exporter. The SDK modules are
 * imported only when tracing is on. Without it the helpers below run on the API's no-op tracer.
 */
import { SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { ObservabilityError } from './errors.js';

export const TRACER_NAME = 'flotilla';

export interface TracingOptions {
  /** Environment to read `OTEL_*` from. @defaultValue process.env */
  env?: Record<string, string | undefined>;
  /** Use this exporter (spans exported one by one), whatever the environment says. For tests. */
  exporter?: SpanExporter;
  /** Service name when `OTEL_SERVICE_NAME` is unset. @defaultValue 'flotilla-controller' */
  serviceName?: string;
}

export interface Tracing {
  /** Whether an SDK is installed (spans are recorded and exported). */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Flushes and uninstalls the SDK. */
  shutdown(): Promise<void>;
}

/** Installs the tracing SDK when the environment (or `options.exporter`) asks for it. */
export async function setupTracing(options: TracingOptions = {}): Promise<Tracing> {
  const env = options.env ?? process.env;
  const kind = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const wanted =
    options.exporter !== undefined || (kind !== '' && kind !== 'none') || (kind === '' && Boolean(endpoint));
  if (!wanted) return { enabled: false, tracer: trace.getTracer(TRACER_NAME), shutdown: async () => undefined };

  const sdk = await import('@opentelemetry/sdk-trace');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  let processor;
  if (options.exporter) processor = new sdk.SimpleSpanProcessor({ exporter: options.exporter });
  else if (kind === 'console') processor = new sdk.SimpleSpanProcessor({ exporter: new sdk.ConsoleSpanExporter() });
  else if (kind === '' || kind === 'otlp') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    // The endpoint comes from `env` (which may not be process.env); other OTLP settings from process.env.
    const url =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
      (env.OTEL_EXPORTER_OTLP_ENDPOINT
        ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
        : undefined);
    processor = new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter(url ? { url } : {}) });
  } else {
    throw new ObservabilityError(
      'TracingConfig',
      `unsupported OTEL_TRACES_EXPORTER ${JSON.stringify(kind)} (otlp, console or none)`,
    );
  }
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || options.serviceName || 'flotilla-controller',
    }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    tracer: provider.getTracer(TRACER_NAME),
    shutdown: async () => {
      await provider.forceFlush();
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** The process's tracer (no-op until `setupTracing` enabled an SDK). */
export function getTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` in a new active span (a child of the active one): the span ends when `fn` settles, an
 * exception is recorded with status ERROR and rethrown.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The span of one round of one workflow (root of its node and API spans). */
export function roundSpan<T>(
  tracer: Tracer,
  round: { shard: number; key: string; attempt?: number },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes: Attributes = { 'flotilla.shard': round.shard, 'flotilla.workflow': round.key };
  if (round.attempt !== undefined) attributes['flotilla.attempt'] = round.attempt;
  return inSpan(tracer, 'flotilla.round', attributes, fn);
}

/** A span per node handled within a round. */
export function nodeSpan<T>(
  tracer: Tracer,
  node: { id: string; kind?: string },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes: Attributes = { 'flotilla.node': node.id };
  if (node.kind) attributes['flotilla.node.kind'] = node.kind;
  return inSpan(tracer, 'flotilla.node', attributes, fn);
}

/** A span per Kubernetes API call, named like `k8s get workflows`. */
export function apiSpan<T>(
  tracer: Tracer,
  call: { verb: string; resource: string; key?: string },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes: Attributes = { 'k8s.verb': call.verb, 'k8s.resource': call.resource };
  if (call.key) attributes['k8s.object'] = call.key;
  return inSpan(tracer, `k8s ${call.verb} ${call.resource}`, attributes, fn);
}
