/**
 * Trace context leaves the replica with its calls and comes back in its logs: a round's trace goes
 * on to an agent (gRPC metadata of CreateTask) and to the event sink (the publisher's Record span is
 * a child of the round's, the sink's span a child of that one), and log lines written inside a
 * span carry its trace and span ids. Real gRPC on loopback; spans from an in-memory exporter.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import * as pb from '../../src/generated/flotilla/agent/v1/agent.js';
import { EventPublisher } from '../../src/events/client.js';
import { startEventSink, type RunningEventSink } from '../../src/events/sink/index.js';
import { createAgentPlugin } from '../../src/plugins/agent/index.js';
import {
  getTracer,
  nodeSpan,
  roundSpan,
  setupTracing,
  traceLogFields,
  type Tracing,
} from '../../src/observability/tracing.js';
import { runEvents } from '../grpc/events-fixtures.js';
import { waitFor } from '../support/wait.js';

/** A minimal AgentService that keeps the metadata of every CreateTask call. */
async function startRecordingAgent(): Promise<{ address: string; metadata: grpc.Metadata[]; stop(): Promise<void> }> {
  const metadata: grpc.Metadata[] = [];
  const server = new grpc.Server();
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test' }, null);
  server.addService(pb.AgentServiceService, {
    createTask: (
      call: grpc.ServerUnaryCall<pb.CreateTaskRequest, pb.CreateTaskResponse>,
      callback: grpc.sendUnaryData<pb.CreateTaskResponse>,
    ) => {
      metadata.push(call.metadata);
      callback(null, { resourceMeta: Buffer.from(call.request.idempotencyKey) });
    },
    getTask: unimplemented,
    deleteTask: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    metadata,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

describe('trace context across processes and in logs', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let sink: RunningEventSink;
  before(async () => {
    tracing = await setupTracing({ exporter });
    sink = await startEventSink({ store: { kind: 'memory' }, logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await sink?.stop();
    await tracing?.shutdown();
  });

  test("an agent call carries the round's trace in its metadata", async () => {
    const agent = await startRecordingAgent();
    const plugin = createAgentPlugin({ services: { notifier: { address: agent.address } } });
    try {
      const traceId = await roundSpan(getTracer(), { shard: 0, key: 'team-a/wf' }, async (round) =>
        nodeSpan(getTracer(), { id: 'notify', kind: 'task' }, async () => {
          await plugin.start({
            workflow: { namespace: 'team-a', name: 'wf', uid: 'uid-1' },
            nodeId: 'notify',
            attempt: 1,
            taskName: 'notify',
            task: { plugin: 'agent', agent: { service: 'notifier', config: {} } },
            inputs: {},
            attemptStartedAt: new Date().toISOString(),
          });
          return round.spanContext().traceId;
        }),
      );
      const traceparent = String(agent.metadata[0]?.get('traceparent')[0] ?? '');
      assert.match(traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    } finally {
      plugin.close();
      await agent.stop();
    }
  });

  test("the publisher's Record span is a child of the round's, and the sink's a child of that", async () => {
    exporter.reset();
    const publisher = new EventPublisher({ address: sink.address, logger: pino({ level: 'silent' }) });
    try {
      const roundSpanId = await roundSpan(getTracer(), { shard: 1, key: 'team-a/traced' }, async (span) => {
        for (const event of runEvents('traced', ['a'])) publisher.publish(event);
        return span.spanContext().spanId;
      });
      assert.equal(await publisher.flush(5_000), true);
      await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'flotilla.event-sink.record'), {
        what: "the sink's span",
      });
      const spans = exporter.getFinishedSpans();
      const round = spans.find((s) => s.spanContext().spanId === roundSpanId);
      const record = spans.find((s) => s.name === 'flotilla.events.record');
      const received = spans.find((s) => s.name === 'flotilla.event-sink.record');
      assert.ok(round && record && received);
      assert.equal(record.parentSpanContext?.spanId, roundSpanId);
      assert.equal(record.spanContext().traceId, round.spanContext().traceId);
      assert.equal(received.parentSpanContext?.spanId, record.spanContext().spanId, 'the sink continued the trace');
      assert.equal(received.spanContext().traceId, round.spanContext().traceId);
    } finally {
      await publisher.close(1_000);
    }
  });

  test('log lines written inside a span carry its trace_id and span_id; others carry none', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    const log = pino({ mixin: traceLogFields }, stream).child({ component: 'replica' });
    const ids = await roundSpan(getTracer(), { shard: 0, key: 'team-a/logged' }, async (span) => {
      await new Promise((r) => setTimeout(r, 1));
      log.info('inside the round');
      return span.spanContext();
    });
    log.info('outside');
    assert.equal(lines[0]?.trace_id, ids.traceId);
    assert.equal(lines[0]?.span_id, ids.spanId);
    assert.equal(lines[1]?.trace_id, undefined);
  });
});
