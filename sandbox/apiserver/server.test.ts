/**
 * The server end to end over HTTPS (own checks beside the black-box suite in test/apiserver):
 * fault endpoints through FaultsClient, audit, persistence with a torn log line, namespace and
 * owner garbage collection, and the in-process kubelet start/stop.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { startApiServer, type RunningApiServer } from './index.js';
import { FaultsClient } from './faults-client.js';

interface Reply {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

function call(
  s: RunningApiServer,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, s.url),
      {
        method,
        ca: s.caPem,
        headers: { Authorization: `Bearer ${s.token}`, ...(payload ? { 'Content-Type': contentType } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // streams
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const cm = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data: { a: '1' },
});
const meta = (r: Reply): Record<string, unknown> => r.body['metadata'] as Record<string, unknown>;

describe('embedded API server', () => {
  let s: RunningApiServer;
  let faults: FaultsClient;
  before(async () => {
    s = await startApiServer({ kubelet: false, bookmarkIntervalMs: 100 });
    faults = new FaultsClient({ url: s.url, token: s.token, caPem: s.caPem });
  });
  after(async () => {
    await s.stop();
  });

  test('forced conflicts, audit and stats', async () => {
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('c1'))).status, 201);
    await faults.conflicts({ resource: 'configmaps', count: 1, name: 'c1' });
    const first = await call(
      s,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/c1',
      { data: { a: '2' } },
      'application/merge-patch+json',
    );
    assert.equal(first.status, 409);
    assert.equal(first.body['reason'], 'Conflict');
    assert.equal(
      first.body['message'],
      'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal(
      (
        await call(
          s,
          'PATCH',
          '/api/v1/namespaces/default/configmaps/c1',
          { data: { a: '2' } },
          'application/merge-patch+json',
        )
      ).status,
      200,
    );
    const audit = await faults.audit({ resource: 'configmaps', name: 'c1' });
    assert.deepEqual(
      audit.map((e) => [e.verb, e.code]),
      [
        ['create', 201],
        ['patch', 409],
        ['patch', 200],
      ],
    );
    assert.ok((await faults.audit({ verb: 'patch' })).length >= 2);
    const stats = await faults.stats();
    assert.equal(stats['configmaps']?.['patch'], 2);
    assert.equal(s.faults.audit({ resource: 'configmaps', verb: 'create' }).length, 1);
  });

  test('traffic counters: requests and body bytes by verb, wire bytes, watch events', async () => {
    const before = await faults.traffic();
    const body = cm('t1');
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/configmaps', body)).status, 201);
    assert.equal((await call(s, 'GET', '/api/v1/namespaces/default/configmaps/t1')).status, 200);
    const watch = await call(
      s,
      'GET',
      '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dt1',
    );
    assert.equal(watch.status, 200);
    const after = await faults.traffic();
    const delta = (m: Record<string, number>, b: Record<string, number>, k: string): number =>
      (m[k] ?? 0) - (b[k] ?? 0);
    assert.equal(delta(after.requests, before.requests, 'create'), 1);
    assert.equal(delta(after.requests, before.requests, 'get'), 1);
    assert.equal(delta(after.requests, before.requests, 'watch'), 1);
    assert.equal(delta(after.requestsByResource, before.requestsByResource, 'create configmaps'), 1);
    assert.equal(
      delta(after.requestBodyBytes, before.requestBodyBytes, 'create'),
      0,
      'this helper sends no Content-Length: chunked bodies count 0',
    );
    assert.equal(after.watchEvents - before.watchEvents, 1, 'one synthetic ADDED');
    assert.ok(after.watchBytes - before.watchBytes >= watch.text.split('\n')[0]!.length);
    assert.ok(
      after.bytesReceived - before.bytesReceived > JSON.stringify(body).length,
      'TLS records and headers included',
    );
    assert.ok(after.bytesSent > before.bytesSent);
    assert.ok(after.connections >= 1, 'keep-alive may reuse one connection');
  });

  test('latency delays answers; a partition holds requests until it ends', async () => {
    await faults.latency({ ms: 300 });
    let t0 = Date.now();
    assert.equal((await call(s, 'GET', '/api/v1/namespaces')).status, 200);
    assert.ok(Date.now() - t0 >= 250, 'latency applied');
    await faults.clear();
    await faults.partition({ ms: 600 });
    t0 = Date.now();
    assert.equal((await call(s, 'GET', '/api/v1/namespaces')).status, 200);
    assert.ok(Date.now() - t0 >= 450, 'request held during the partition');
  });

  test('expire-watches ends open watches with ERROR 410; compaction makes old versions 410', async () => {
    const created = await call(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('w1'));
    const rv = String(meta(created)['resourceVersion']);
    const watch = call(
      s,
      'GET',
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await faults.expireWatches(), 1);
    const lines = (await watch).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
    assert.ok(lines.some((l) => l.type === 'BOOKMARK'));
    const last = lines[lines.length - 1];
    assert.equal(last?.type, 'ERROR');
    assert.equal(last?.object['code'], 410);
    assert.equal(last?.object['reason'], 'Expired');
    await faults.compact();
    const old = await call(s, 'GET', `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${Number(rv) - 1}`);
    assert.match(old.text, /"code":410/);
  });

  test('deleting a namespace removes its contents, then the namespace; owners collect dependents', async () => {
    assert.equal((await call(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'gone' } })).status, 201);
    const owner = await call(s, 'POST', '/api/v1/namespaces/gone/configmaps', cm('owner'));
    const uid = String(meta(owner)['uid']);
    await call(
      s,
      'POST',
      '/api/v1/namespaces/gone/configmaps',
      cm('dep', { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] }),
    );
    assert.equal((await call(s, 'DELETE', '/api/v1/namespaces/gone/configmaps/owner')).status, 200);
    for (let i = 0; i < 50 && (await call(s, 'GET', '/api/v1/namespaces/gone/configmaps/dep')).status !== 404; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await call(s, 'GET', '/api/v1/namespaces/gone/configmaps/dep')).status, 404);
    await call(s, 'POST', '/api/v1/namespaces/gone/configmaps', cm('left', { finalizers: ['example.com/hold'] }));
    const del = await call(s, 'DELETE', '/api/v1/namespaces/gone');
    assert.equal(del.status, 200);
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/gone/configmaps', cm('late'))).status, 403);
    const held = await call(s, 'GET', '/api/v1/namespaces/gone');
    assert.equal((held.body['status'] as Record<string, unknown>)['phase'], 'Terminating');
    assert.ok(meta(await call(s, 'GET', '/api/v1/namespaces/gone/configmaps/left'))['deletionTimestamp']);
    await call(
      s,
      'PATCH',
      '/api/v1/namespaces/gone/configmaps/left',
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    for (let i = 0; i < 50 && (await call(s, 'GET', '/api/v1/namespaces/gone')).status !== 404; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await call(s, 'GET', '/api/v1/namespaces/gone')).status, 404);
    assert.equal((await call(s, 'DELETE', '/api/v1/namespaces/default')).status, 403);
    assert.equal((await call(s, 'POST', '/api/v1/namespaces/nope/configmaps', cm('x'))).status, 404);
  });
});

describe('persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-apiserver-persist-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('objects, counter, CA and token survive a restart; a torn log line is ignored', async () => {
    const a = await startApiServer({ kubelet: false, dataDir: dir });
    await call(a, 'POST', '/api/v1/namespaces/default/configmaps', cm('kept'));
    const removed = await call(a, 'POST', '/api/v1/namespaces/default/configmaps', cm('removed'));
    assert.equal(removed.status, 201);
    await call(a, 'DELETE', '/api/v1/namespaces/default/configmaps/removed');
    const lastRv = Number(meta(await call(a, 'GET', '/api/v1/namespaces/default/configmaps'))['resourceVersion']);
    await a.stop();
    appendFileSync(join(dir, 'log.jsonl'), '{"op":"put","resourceKey":"/configmaps","rv":99');
    const b = await startApiServer({ kubelet: false, dataDir: dir });
    try {
      assert.equal(b.token, a.token);
      assert.equal(b.caPem, a.caPem);
      assert.equal((await call(b, 'GET', '/api/v1/namespaces/default/configmaps/kept')).status, 200);
      assert.equal((await call(b, 'GET', '/api/v1/namespaces/default/configmaps/removed')).status, 404);
      const next = await call(b, 'POST', '/api/v1/namespaces/default/configmaps', cm('after'));
      assert.ok(Number(meta(next)['resourceVersion']) > lastRv, 'resourceVersion never reused');
    } finally {
      await b.stop();
    }
  });
});

describe('with the simulated kubelet', () => {
  test('starts and stops with the server', async () => {
    const s = await startApiServer({});
    try {
      assert.equal((await call(s, 'GET', '/api/v1/namespaces/default')).status, 200);
    } finally {
      await s.stop();
    }
  });
});
