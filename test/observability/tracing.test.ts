/** Tracing with an in-memory exporter: the span tree of a round, errors, off by default, bad settings named. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  apiSpan,
  getTracer,
  nodeSpan,
  roundSpan,
  setupTracing,
  type Tracing,
} from '../../src/observability/tracing.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;

  before(async () => {
    tracing = await setupTracing({ exporter });
  });
  after(async () => {
    await tracing.shutdown();
  });

  test('is off without OTEL_* variables, and OTEL_TRACES_EXPORTER=none keeps it off', async () => {
    const off = await setupTracing({ env: {} });
    assert.equal(off.enabled, false);
    const none = await setupTracing({
      env: { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
    });
    assert.equal(none.enabled, false);
    const disabled = await setupTracing({ env: { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' } });
    assert.equal(disabled.enabled, false);
    for (const env of [
      { OTEL_TRACES_EXPORTER: 'jaeger' },
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' },
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'sometimes' },
    ])
      await assert.rejects(
        setupTracing({ env }),
        (e: unknown) =>
          e instanceof Error &&
          'code' in e &&
          e.code === 'TracingConfig' &&
          e.message.includes(Object.values(env).at(-1) ?? ''),
      );
  });

  test('a round span holds node spans, which hold API call spans, across awaits', async () => {
    assert.equal(tracing.enabled, true);
    const tracer = getTracer();
    await roundSpan(tracer, { shard: 3, key: 'ns/wf', attempt: 1 }, async () => {
      await apiSpan(
        tracer,
        { verb: 'get', resource: 'workflows', key: 'ns/wf' },
        async () => new Promise((r) => setTimeout(r, 5)),
      );
      await Promise.all(
        ['a', 'b'].map((id) =>
          nodeSpan(tracer, { id, kind: 'task' }, async () => {
            await new Promise((r) => setTimeout(r, 5));
            await apiSpan(tracer, { verb: 'create', resource: 'pods' }, async () => undefined);
          }),
        ),
      );
      await apiSpan(tracer, { verb: 'update', resource: 'workflows/status', key: 'ns/wf' }, async () => undefined);
    });
    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentName = (s: ReadableSpan) =>
      s.parentSpanContext ? byId.get(s.parentSpanContext.spanId)?.name : undefined;
    const tree = spans.map((s) => `${parentName(s) ?? '-'} > ${s.name}`).sort();
    assert.deepEqual(tree, [
      '- > flotilla.round',
      'flotilla.node > k8s create pods',
      'flotilla.node > k8s create pods',
      'flotilla.round > flotilla.node',
      'flotilla.round > flotilla.node',
      'flotilla.round > k8s get workflows',
      'flotilla.round > k8s update workflows/status',
    ]);
    const round = spans.find((s) => s.name === 'flotilla.round');
    assert.equal(round?.attributes['flotilla.workflow'], 'ns/wf');
    assert.equal(round?.attributes['flotilla.shard'], 3);
    assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, 'one trace');
    assert.equal(round?.resource.attributes['service.name'], 'flotilla-controller');
  });

  test('a failing call marks its span and its round as errors', async () => {
    exporter.reset();
    const tracer = getTracer();
    await assert.rejects(
      roundSpan(tracer, { shard: 1, key: 'ns/bad' }, async () => {
        await apiSpan(tracer, { verb: 'get', resource: 'workflows' }, async () => {
          throw new Error('boom');
        });
      }),
    );
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 2);
    for (const span of spans) assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(spans.find((s) => s.name === 'k8s get workflows')?.events[0]?.name, 'exception');
  });
});
