/**
 * The FlyteAdmin client's OAuth2 client credentials against a real token endpoint (a local HTTP
 * server checking HTTP Basic and the form) and the recording admin requiring that access token:
 * the token is fetched once and sent as a bearer token; a wrong secret gets no token, and the
 * call fails as retryable (AdminError Unavailable) without reaching admin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AdminEventClient } from '../../src/events/admin/client.js';
import { AdminError } from '../../src/events/admin/errors.js';
import { WorkflowExecutionEvent } from '../../src/generated/flyteidl/flyteidl/event/event.js';
import { startRecordingAdmin, type RecordingAdmin } from '../../sandbox/admin/server.js';

const ACCESS_TOKEN = 'access-token-from-the-idp';

describe('admin client credentials', () => {
  let dir: string;
  let idp: Server;
  let tokenUrl: string;
  let admin: RecordingAdmin;
  let issued = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-adminauth-'));
    await writeFile(join(dir, 'secret'), 's3cret\n');
    await writeFile(join(dir, 'wrong'), 'nope\n');
    idp = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const basic = `Basic ${Buffer.from('flotilla:s3cret').toString('base64')}`;
        if (req.headers.authorization !== basic || form.get('grant_type') !== 'client_credentials') {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
          return;
        }
        issued += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: ACCESS_TOKEN,
            token_type: 'Bearer',
            expires_in: 3600,
            scope: form.get('scope'),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/oauth2/token`;
    admin = await startRecordingAdmin({ security: { token: ACCESS_TOKEN } });
  });
  after(async () => {
    await admin.stop();
    await new Promise<void>((resolve) => idp.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const event = (name: string) => ({
    kind: 'workflow' as const,
    requestId: `${name}/RUNNING`,
    event: WorkflowExecutionEvent.fromJSON({
      executionId: { project: 'p', domain: 'd', name },
      phase: 'RUNNING',
      occurredAt: '2026-01-01T00:00:00Z',
    }),
  });

  test('the access token is fetched once and accepted by admin', async () => {
    const client = new AdminEventClient({
      endpoint: admin.address,
      insecure: true,
      auth: {
        kind: 'client-credentials',
        clientId: 'flotilla',
        clientSecretFile: join(dir, 'secret'),
        tokenUrl,
        scopes: ['all'],
      },
    });
    try {
      const first = await client.record([event('cc1')]);
      const second = await client.record([event('cc2')]);
      assert.deepEqual(
        [...first, ...second].map((r) => r.outcome),
        ['recorded', 'recorded'],
      );
      assert.equal(issued, 1);
      assert.equal(admin.records.events('p:d:cc1').length, 1);
    } finally {
      client.close();
    }
  });

  test('a wrong secret: no token, a retryable failure, nothing recorded', async () => {
    const client = new AdminEventClient({
      endpoint: admin.address,
      insecure: true,
      auth: { kind: 'client-credentials', clientId: 'flotilla', clientSecretFile: join(dir, 'wrong'), tokenUrl },
    });
    try {
      await assert.rejects(
        client.record([event('cc3')]),
        (error: unknown) => error instanceof AdminError && error.retryable && /401/.test(error.message),
      );
      assert.equal(admin.records.events('p:d:cc3').length, 0);
    } finally {
      client.close();
    }
  });
});
