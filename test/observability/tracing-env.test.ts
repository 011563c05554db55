/**
 * Tracing configured by the standard OTEL_* variables through the SDK's own environment support:
 * OTLP over gRPC and over HTTP/protobuf to real receivers, the sampler, resource attributes and
 * service name, and the propagators that carry trace context in gRPC metadata.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import {
  extractTraceContext,
  getTracer,
  injectTraceContext,
  roundSpan,
  setupTracing,
} from '../../src/observability/tracing.js';
import { waitFor } from '../support/wait.js';

const raw = (b: Buffer) => b;

/** A bare OTLP/gRPC trace receiver: keeps each ExportTraceServiceRequest's bytes. */
async function startGrpcReceiver(): Promise<{ port: number; received: Buffer[]; stop(): Promise<void> }> {
  const received: Buffer[] = [];
  const server = new grpc.Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        received.push(call.request);
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, received, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

describe('OTEL_* configuration', () => {
  let http: Server;
  const posted: Array<{ path: string; type: string; body: Buffer }> = [];
  before(async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posted.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  });
  after(async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends spans over OTLP/gRPC, with the resource attributes and service name', async () => {
    const receiver = await startGrpcReceiver();
    try {
      const tracing = await setupTracing({
        env: {
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
          OTEL_SERVICE_NAME: 'replica-grpc',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging-7',
        },
      });
      assert.equal(tracing.enabled, true);
      await roundSpan(getTracer(), { shard: 1, key: 'ns/grpc' }, async () => undefined);
      await tracing.shutdown();
      await waitFor(() => receiver.received.length > 0, { what: 'an OTLP/gRPC export' });
      const body = Buffer.concat(receiver.received).toString('latin1');
      assert.ok(body.includes('flotilla.round'), 'the span');
      assert.ok(body.includes('replica-grpc'), 'service.name from OTEL_SERVICE_NAME');
      assert.ok(body.includes('staging-7'), 'an attribute from OTEL_RESOURCE_ATTRIBUTES');
    } finally {
      await receiver.stop();
    }
  });

  test('http/protobuf posts protobuf to <endpoint>/v1/traces; without OTEL_SERVICE_NAME the service is flotilla-controller', async () => {
    posted.length = 0;
    const port = (http.address() as AddressInfo).port;
    const tracing = await setupTracing({
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
    });
    await roundSpan(getTracer(), { shard: 2, key: 'ns/http' }, async () => undefined);
    await tracing.shutdown();
    const export_ = posted.find((p) => p.path === '/v1/traces');
    assert.ok(export_, JSON.stringify(posted.map((p) => p.path)));
    assert.equal(export_.type, 'application/x-protobuf');
    assert.ok(export_.body.toString('latin1').includes('flotilla-controller'));
  });

  test('OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG=0 records nothing; always_on records', async () => {
    const port = (http.address() as AddressInfo).port;
    const endpoint = `http://127.0.0.1:${port}`;
    const off = await setupTracing({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
      },
    });
    const unsampled = await roundSpan(getTracer(), { shard: 0, key: 'ns/s' }, async (span) => span.isRecording());
    await off.shutdown();
    assert.equal(unsampled, false);
    const on = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_on' } });
    const sampled = await roundSpan(getTracer(), { shard: 0, key: 'ns/s' }, async (span) => span.isRecording());
    await on.shutdown();
    assert.equal(sampled, true);
  });

  test('trace context crosses gRPC metadata with the propagators OTEL_PROPAGATORS names', async () => {
    const port = (http.address() as AddressInfo).port;
    const endpoint = `http://127.0.0.1:${port}`;
    const w3c = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
    const sent = await roundSpan(getTracer(), { shard: 0, key: 'ns/p' }, async (span) => ({
      metadata: injectTraceContext(new grpc.Metadata()),
      traceId: span.spanContext().traceId,
    }));
    assert.match(String(sent.metadata.get('traceparent')[0]), new RegExp(`^00-${sent.traceId}-[0-9a-f]{16}-01$`));
    // The receiving side continues the same trace.
    const received = trace.getSpanContext(extractTraceContext(sent.metadata));
    assert.equal(received?.traceId, sent.traceId);
    await w3c.shutdown();

    const b3 = await setupTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_PROPAGATORS: 'b3multi' } });
    const metadata = await roundSpan(getTracer(), { shard: 0, key: 'ns/p' }, async () =>
      injectTraceContext(new grpc.Metadata()),
    );
    await b3.shutdown();
    assert.equal(metadata.get('traceparent').length, 0);
    assert.equal(metadata.get('x-b3-traceid').length, 1);
  });
});
