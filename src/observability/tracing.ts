/**
 * Traces: a span per round, child spans per node and per API call, through `@opentelemetry/api`;
 * trace context carried over gRPC metadata (to agents and the event sink) and trace ids in log lines.
 *
 * Off by default. `setupTracing` starts the OpenTelemetry Node SDK (`@opentelemetry/sdk-node`'s
 * `startNodeSdk`) only when the environment asks for traces: `OTEL_TRACES_EXPORTER` set to
 * something other than `none`, or `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * set (and `OTEL_SDK_DISABLED` not `true`). The SDK then reads the standard variables itself:
 * `OTEL_TRACES_EXPORTER` (otlp, console, zipkin), `OTEL_EXPORTER_OTLP_PROTOCOL` /
 * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (`http/protobuf`, `http/json`, `grpc`), the endpoints and
 * headers, `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`, `OTEL_PROPAGATORS`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`, `OTEL_BSP_*`. Metrics and logs are not exported
 * through OpenTelemetry (Prometheus scrapes `/metrics`; logs go to stderr). Values we can check
 * before the SDK starts (exporter, protocol, sampler names) fail with `ObservabilityError` rather
 * than being ignored. Without an SDK the helpers below run on the API's no-op tracer.
 */
import {
  SpanStatusCode,
  context,
  diag,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { ObservabilityError } from './errors.js';

export const TRACER_NAME = 'flotilla';

export interface TracingOptions {
  /**
   * Environment to read `OTEL_*` from. The SDK reads `process.env` itself: a different `env` (a
   * test's) is copied into `process.env` while the SDK starts, then restored. @defaultValue process.env
   */
  env?: Record<string, string | undefined>;
  /** Use this exporter (spans exported one by one), whatever the environment says. For tests. */
  exporter?: SpanExporter;
  /** `service.name` when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` names one. @defaultValue 'flotilla-controller' */
  serviceName?: string;
}

export interface Tracing {
  /** Whether an SDK is installed (spans are recorded and exported). */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Flushes and uninstalls the SDK. */
  shutdown(): Promise<void>;
}

const EXPORTERS = new Set(['otlp', 'console', 'zipkin', 'none']);
const PROTOCOLS = new Set(['grpc', 'http/protobuf', 'http/json']);
const SAMPLERS = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);

/** Installs the tracing SDK when the environment (or `options.exporter`) asks for it. */
export async function setupTracing(options: TracingOptions = {}): Promise<Tracing> {
  const env = options.env ?? process.env;
  const kinds = list(env.OTEL_TRACES_EXPORTER);
  for (const kind of kinds)
    if (!EXPORTERS.has(kind))
      throw new ObservabilityError(
        'TracingConfig',
        `unsupported OTEL_TRACES_EXPORTER ${JSON.stringify(kind)} (otlp, console, zipkin or none)`,
      );
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] as const) {
    const protocol = env[name]?.trim();
    if (protocol && !PROTOCOLS.has(protocol))
      throw new ObservabilityError(
        'TracingConfig',
        `unsupported ${name} ${JSON.stringify(protocol)} (grpc, http/protobuf or http/json)`,
      );
  }
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (sampler && !SAMPLERS.has(sampler))
    throw new ObservabilityError(
      'TracingConfig',
      `unsupported OTEL_TRACES_SAMPLER ${JSON.stringify(sampler)} (${[...SAMPLERS].join(', ')})`,
    );
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporting = kinds.length > 0 ? kinds.some((kind) => kind !== 'none') : Boolean(endpoint);
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  if (disabled || (!exporting && options.exporter === undefined))
    return { enabled: false, tracer: trace.getTracer(TRACER_NAME), shutdown: async () => undefined };

  const { startNodeSdk } = await import('@opentelemetry/sdk-node');
  const { SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const named = Boolean(env.OTEL_SERVICE_NAME) || /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  const sdk = withEnvironment(env, () =>
    startNodeSdk({
      // Prometheus scrapes the metrics and logs go to stderr: only traces go through the SDK.
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
      // A test's exporter gets each span as it ends: no resource detectors, whose asynchronous
      // attributes would hold the export back.
      ...(options.exporter
        ? { spanProcessors: [new SimpleSpanProcessor({ exporter: options.exporter })], resourceDetectors: [] }
        : {}),
      ...(named ? {} : { resourceAttributes: { 'service.name': options.serviceName ?? 'flotilla-controller' } }),
    }),
  );
  return {
    enabled: true,
    tracer: trace.getTracer(TRACER_NAME),
    shutdown: async () => {
      await sdk.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
}

/** Runs `fn` with `env`'s `OTEL_*` variables in `process.env` (the SDK reads only that), then restores it. */
function withEnvironment<T>(env: Record<string, string | undefined>, fn: () => T): T {
  if (env === process.env) return fn();
  const saved = Object.fromEntries(
    Object.keys(process.env)
      .filter(isOtel)
      .map((key) => [key, process.env[key]]),
  );
  for (const key of Object.keys(saved)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (isOtel(key) && value !== undefined) process.env[key] = value;
  try {
    return fn();
  } finally {
    for (const key of Object.keys(process.env).filter(isOtel)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

function isOtel(key: string): boolean {
  return key.startsWith('OTEL_');
}

/** gRPC metadata as the propagators see it (structurally `@grpc/grpc-js`'s `Metadata`). */
export interface MetadataCarrier {
  set(key: string, value: string): void;
  get(key: string): unknown[];
  getMap(): Record<string, unknown>;
}

/** Writes `ctx`'s trace context (`traceparent`, baggage: whatever `OTEL_PROPAGATORS` names) into gRPC metadata. */
export function injectTraceContext<T extends MetadataCarrier>(metadata: T, ctx: Context = context.active()): T {
  propagation.inject(ctx, metadata, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
  return metadata;
}

/** The trace context a caller sent in gRPC metadata (the active context when it sent none). */
export function extractTraceContext(metadata: MetadataCarrier): Context {
  return propagation.extract(context.active(), metadata, {
    get: (carrier, key) => {
      const values = carrier.get(key).map(String);
      return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
    },
    keys: (carrier) => Object.keys(carrier.getMap()),
  });
}

/**
 * Fields for every log line (a pino `mixin`): the active span's `trace_id` and `span_id`, so a
 * log line leads to its trace. Empty outside a recorded span.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  const spanContext = span?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
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
