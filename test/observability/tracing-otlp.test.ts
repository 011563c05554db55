/** OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing on and spans reach an OTLP/HTTP receiver. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTracer, roundSpan, setupTracing } from '../../src/observability/tracing.js';

const received: Array<{ path: string; type: string; bytes: number }> = [];
let server: Server;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        type: req.headers['content-type'] ?? '',
        bytes: Buffer.concat(chunks).length,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('spans are exported over OTLP/HTTP to the configured endpoint', async () => {
  const port = (server.address() as AddressInfo).port;
  const tracing = await setupTracing({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'replica-test' },
  });
  assert.equal(tracing.enabled, true);
  await roundSpan(getTracer(), { shard: 2, key: 'ns/otlp' }, async () => undefined);
  await tracing.shutdown();
  assert.ok(
    received.some((r) => r.path === '/v1/traces' && r.bytes > 0),
    JSON.stringify(received),
  );
});
