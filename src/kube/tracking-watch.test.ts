/**
 * The watch stream as `ListWatch` needs it, against a small local HTTP server that writes the
 * stream in awkward pieces: lines split across writes and several in one, a line that is not JSON,
 * a last line without a newline; `done` once with null at the end; a non-200 answer is an error
 * with its status code (410 makes ListWatch re-list); a killed watch delivers nothing more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { TrackingWatch } from './tracking-watch.js';

async function serve(handler: (url: URL, res: ServerResponse) => void) {
  const server = createServer((req, res) => handler(new URL(req.url ?? '/', 'http://x'), res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token: 'secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const line = (type: string, rv: string) =>
  `${JSON.stringify({ type, object: { metadata: { name: 'w', resourceVersion: rv } } })}\n`;

test('lines split across writes and joined in one are each delivered once; a bad line is skipped', async () => {
  let query: URL | undefined;
  const { kc, close } = await serve((url, res) => {
    query = url;
    res.writeHead(200, { 'content-type': 'application/json' });
    const a = line('ADDED', '1');
    res.write(a.slice(0, 10));
    setTimeout(() => {
      res.write(a.slice(10) + line('MODIFIED', '2') + 'not json\n' + line('MODIFIED', '3').slice(0, 5));
      setTimeout(() => res.end(line('MODIFIED', '3').slice(5).trimEnd()), 10);
    }, 10);
  });
  try {
    let traffic = 0;
    const watch = new TrackingWatch(kc, () => (traffic += 1));
    const seen: string[] = [];
    const ended = await new Promise<unknown>((resolve) => {
      void watch.watch(
        '/apis/flotilla.io/v1alpha1/workflows',
        { resourceVersion: '7', labelSelector: 'a=b' },
        (type, object) =>
          seen.push(`${type} ${(object as { metadata: { resourceVersion: string } }).metadata.resourceVersion}`),
        resolve,
      );
    });
    assert.deepEqual(seen, ['ADDED 1', 'MODIFIED 2', 'MODIFIED 3']);
    assert.equal(traffic, 3);
    assert.equal(ended, null);
    assert.equal(query?.searchParams.get('watch'), 'true');
    assert.equal(query?.searchParams.get('allowWatchBookmarks'), 'true');
    assert.equal(query?.searchParams.get('resourceVersion'), '7');
    assert.equal(query?.searchParams.get('labelSelector'), 'a=b');
  } finally {
    await close();
  }
});

test('a non-200 answer ends the watch with an error carrying its status code, once', async () => {
  const { kc, close } = await serve((_url, res) => {
    res.writeHead(410, { 'content-type': 'application/json' });
    res.end('{"kind":"Status","code":410}');
  });
  try {
    const ends: unknown[] = [];
    await new TrackingWatch(kc, () => undefined).watch(
      '/api/v1/pods',
      {},
      () => assert.fail('no event'),
      (e) => ends.push(e),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ends.length, 1);
    assert.equal((ends[0] as { statusCode?: number }).statusCode, 410);
  } finally {
    await close();
  }
});

test('a killed watch delivers nothing more and calls no done; the stream is aborted', async () => {
  let closedByClient = false;
  const { kc, close } = await serve((_url, res) => {
    res.writeHead(200);
    res.write(line('ADDED', '1'));
    res.on('close', () => (closedByClient = true));
  });
  try {
    const watch = new TrackingWatch(kc, () => undefined);
    const seen: string[] = [];
    let done = 0;
    await watch.watch(
      '/api/v1/pods',
      {},
      (type) => seen.push(type),
      () => (done += 1),
    );
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    watch.kill();
    for (let i = 0; i < 50 && !closedByClient; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['ADDED']);
    assert.equal(done, 0);
    assert.ok(closedByClient, 'the server saw the stream closed');
  } finally {
    await close();
  }
});
