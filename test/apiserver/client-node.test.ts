/**
 * Conformance of the embedded API server against @kubernetes/client-node: informers through
 * expiry and compaction, 410 on too-old watches, bookmarks, paging, leases with MicroTime,
 * conflicts, patches, authentication and persistence.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  V1MicroTime,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { rawRequest } from '../support/https.js';
import { waitFor } from '../support/wait.js';

const ns = 'cn';

interface WatchEvent {
  type: string;
  object: KubernetesObject & { code?: number; reason?: string };
}

/** Opens a raw watch and collects its events until `done`. */
async function collectWatch(kc: KubeConfig, path: string, query: Record<string, string | boolean | number>) {
  const events: WatchEvent[] = [];
  let ended: unknown = 'open';
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object: object as WatchEvent['object'] }),
    (error: unknown) => (ended = error ?? null),
  );
  return { events, ended: () => ended, stop: () => controller.abort() };
}

function apiCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

function apiBody(error: unknown): { reason?: string; message?: string; code?: number } {
  if (!(error instanceof ApiException)) return {};
  const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
  return (body ?? {}) as { reason?: string; message?: string };
}

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the request should have failed');
}

describe('client-node against the embedded API server', () => {
  let api: TestApiServer;
  let core: CoreV1Api;

  before(async () => {
    api = await startTestApiServer();
    core = api.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  after(async () => {
    await api?.stop();
  });

  test('an informer sees add, update and delete', async () => {
    const seen: string[] = [];
    const informer = makeInformer<V1ConfigMap>(
      api.kc,
      `/api/v1/namespaces/${ns}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'suite=informer' }),
      'suite=informer',
    );
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name} ${o.data?.['v']}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.['v']}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => seen.push(`error ${String(e)}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'inf-a', labels: { suite: 'informer' } }, data: { v: '1' } },
      });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other' }, data: { v: '1' } } });
      await waitFor(() => seen.includes('add inf-a 1'), { what: `add in ${seen.join('; ')}` });
      await core.patchNamespacedConfigMap(
        { namespace: ns, name: 'inf-a', body: { data: { v: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await waitFor(() => seen.includes('update inf-a 2'), { what: `update in ${seen.join('; ')}` });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'inf-a' });
      await waitFor(() => seen.includes('delete inf-a'), { what: `delete in ${seen.join('; ')}` });
      assert.deepEqual(seen, ['add inf-a 1', 'update inf-a 2', 'delete inf-a']);
      assert.equal(informer.list(ns).length, 0);
    } finally {
      await informer.stop();
    }
  });

  test('after expired watches and compaction the informer re-lists and converges', async () => {
    let lists = 0;
    const errors: unknown[] = [];
    const listFn = () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'suite=expire' });
    };
    const informer = new ListWatch<V1ConfigMap>(
      `/api/v1/namespaces/${ns}/configmaps`,
      new Watch(api.kc),
      listFn,
      false,
      'suite=expire',
    );
    informer.on('error', (e) => errors.push(e));
    const body = (name: string, v: string) => ({ metadata: { name, labels: { suite: 'expire' } }, data: { v } });
    for (const name of ['e1', 'e2', 'e3'])
      await core.createNamespacedConfigMap({ namespace: ns, body: body(name, '0') });
    await informer.start();
    const state = () =>
      informer
        .list(ns)
        .map((c) => `${c.metadata?.name}=${c.data?.['v']}`)
        .sort()
        .join(',');
    try {
      await waitFor(() => state() === 'e1=0,e2=0,e3=0', { what: 'the first list' });
      assert.equal(lists, 1);

      assert.ok(api.server.faults.expireWatches() >= 1, 'the informer had a watch open');
      await core.replaceNamespacedConfigMap({ namespace: ns, name: 'e1', body: body('e1', '1') });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'e2' });
      await core.createNamespacedConfigMap({ namespace: ns, body: body('e4', '1') });
      await waitFor(() => state() === 'e1=1,e3=0,e4=1', { what: `convergence after expiry, have ${state()}` });
      await waitFor(() => lists >= 2, { what: 'a re-list after 410' });

      api.server.faults.compact();
      await core.replaceNamespacedConfigMap({ namespace: ns, name: 'e3', body: body('e3', '2') });
      api.server.faults.expireWatches();
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'e1' });
      await core.createNamespacedConfigMap({ namespace: ns, body: body('e5', '2') });
      await waitFor(() => state() === 'e3=2,e4=1,e5=2', { what: `convergence after compaction, have ${state()}` });
      await waitFor(() => lists >= 3, { what: 'a re-list after compaction' });
      // one more change proves the watch is live again
      await core.replaceNamespacedConfigMap({ namespace: ns, name: 'e4', body: body('e4', '9') });
      await waitFor(() => state() === 'e3=2,e4=9,e5=2', { what: `the next change, have ${state()}` });
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  test('a watch from a too-old resourceVersion gets 410 Expired', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'old-rv' }, data: { v: '0' } },
    });
    const oldRv = created.metadata?.resourceVersion ?? '';
    for (let i = 1; i <= 3; i++)
      await core.patchNamespacedConfigMap(
        { namespace: ns, name: 'old-rv', body: { data: { v: String(i) } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    api.server.faults.compact();
    const watch = await collectWatch(api.kc, `/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: oldRv });
    try {
      await waitFor(() => watch.ended() !== 'open', { what: 'the watch to end', timeoutMs: 10_000 });
      const ended = watch.ended() as { statusCode?: number } | null;
      const inStream = watch.events.find((e) => e.type === 'ERROR');
      if (inStream) {
        assert.equal(inStream.object.code, 410);
        assert.equal(inStream.object.reason, 'Expired');
        assert.equal(inStream.object.kind, 'Status');
        assert.equal(watch.events.filter((e) => e.type !== 'ERROR').length, 0, 'no events before the error');
      } else {
        assert.equal(ended?.statusCode, 410, `expected HTTP 410, got ${JSON.stringify(ended)}`);
      }
    } finally {
      watch.stop();
    }
    const raw = await rawRequest({
      url: api.server.url,
      caPem: api.server.caPem,
      token: api.server.token,
      path: `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${oldRv}`,
    });
    if (raw.status === 410) {
      assert.equal(raw.json<{ reason: string }>().reason, 'Expired');
    } else {
      assert.equal(raw.status, 200);
      const first = JSON.parse(raw.text.split('\n')[0] ?? '{}') as WatchEvent;
      assert.deepEqual([first.type, first.object.code, first.object.reason], ['ERROR', 410, 'Expired']);
    }
  });

  test('bookmarks arrive when asked for (initial-events-end)', async () => {
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'bm-1', labels: { suite: 'bookmark' } } },
    });
    const watch = await collectWatch(api.kc, `/api/v1/namespaces/${ns}/configmaps`, {
      labelSelector: 'suite=bookmark',
      allowWatchBookmarks: true,
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      resourceVersion: '',
    });
    try {
      const bookmark = await waitFor(() => watch.events.find((e) => e.type === 'BOOKMARK'), {
        what: `a bookmark in ${JSON.stringify(watch.events.map((e) => e.type))}`,
        timeoutMs: 10_000,
      });
      assert.equal(watch.events[0]?.type, 'ADDED');
      assert.equal(watch.events[0]?.object.metadata?.name, 'bm-1');
      assert.equal(bookmark.object.metadata?.annotations?.['k8s.io/initial-events-end'], 'true');
      assert.ok(bookmark.object.metadata?.resourceVersion);
    } finally {
      watch.stop();
    }
  });

  test('limit and continue page through a list', async () => {
    for (let i = 0; i < 25; i++) {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: `page-${String(i).padStart(2, '0')}`, labels: { suite: 'paging' } } },
      });
    }
    const namesSeen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({
        namespace: ns,
        labelSelector: 'suite=paging',
        limit: 10,
        ...(token ? { _continue: token } : {}),
      });
      pages++;
      assert.ok(page.items.length <= 10);
      namesSeen.push(...page.items.map((c) => c.metadata?.name ?? ''));
      token = page.metadata?._continue || undefined;
      if (token) assert.equal(page.metadata?.remainingItemCount, 25 - namesSeen.length);
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(
      namesSeen,
      Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`),
    );
  });

  test('leases: MicroTime round-trips 6 digits; renew; a stale update is 409 Conflict', async () => {
    const leases = api.kc.makeApiClient(CoordinationV1Api);
    const raw = (method: string, path: string, body?: unknown) =>
      rawRequest({ url: api.server.url, caPem: api.server.caPem, token: api.server.token, method, path, body });
    const base = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
    const created = await raw('POST', base, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'leader' },
      spec: {
        holderIdentity: 'a',
        leaseDurationSeconds: 10,
        acquireTime: '2026-11-25T10:00:00.000001Z',
        renewTime: '2026-11-25T10:00:00.123456Z',
        leaseTransitions: 0,
      },
    });
    assert.equal(created.status, 201, created.text);
    const got = await raw('GET', `${base}/leader`);
    const spec = got.json<{ spec: { renewTime: string; acquireTime: string } }>().spec;
    assert.equal(spec.renewTime, '2026-11-25T10:00:00.123456Z');
    assert.equal(spec.acquireTime, '2026-11-25T10:00:00.000001Z');

    const lease = await leases.readNamespacedLease({ namespace: ns, name: 'leader' });
    const staleRv = lease.metadata?.resourceVersion;
    lease.spec!.renewTime = new V1MicroTime(Date.parse('2026-11-25T10:00:05.5Z'));
    const renewed = await leases.replaceNamespacedLease({ namespace: ns, name: 'leader', body: lease });
    assert.notEqual(renewed.metadata?.resourceVersion, staleRv);
    const afterRenew = (await raw('GET', `${base}/leader`)).json<{ spec: { renewTime: string } }>().spec;
    assert.equal(afterRenew.renewTime, '2026-11-25T10:00:05.500000Z');

    lease.spec!.holderIdentity = 'b';
    const error = await rejects(leases.replaceNamespacedLease({ namespace: ns, name: 'leader', body: lease }));
    assert.equal(apiCode(error), 409);
    const status = apiBody(error);
    assert.equal(status.reason, 'Conflict');
    assert.equal(
      status.message,
      'Operation cannot be fulfilled on leases.coordination.k8s.io "leader": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal((await leases.readNamespacedLease({ namespace: ns, name: 'leader' })).spec?.holderIdentity, 'a');
  });

  test('a lease time without six fractional digits is refused (400), as the real server does', async () => {
    const response = await rawRequest({
      url: api.server.url,
      caPem: api.server.caPem,
      token: api.server.token,
      method: 'POST',
      path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`,
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'plain-date' },
        spec: { holderIdentity: 'a', renewTime: '2026-11-25T10:00:00.123Z' },
      },
    });
    assert.equal(response.status, 400, response.text);
    assert.equal(response.json<{ reason: string }>().reason, 'BadRequest');
  });

  test('custom resources: status merge patch, json patch, forced conflicts', async () => {
    const ext = api.kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'gizmos.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { n: { type: 'integer' } } },
                    status: { type: 'object', properties: { phase: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const custom = api.kc.makeApiClient(CustomObjectsApi);
    const ref = { group: 'example.com', version: 'v1', namespace: ns, plural: 'gizmos' };
    await waitFor(
      async () => {
        try {
          await custom.createNamespacedCustomObject({
            ...ref,
            body: { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g1' }, spec: { n: 1 } },
          });
          return true;
        } catch (error) {
          if (apiCode(error) === 404) return false;
          throw error;
        }
      },
      { what: 'the CRD to serve' },
    );

    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const afterStatus = (await custom.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'g1', body: { status: { phase: 'Done' }, spec: { n: 50 } } },
      merge,
    )) as { spec: { n: number }; status: { phase: string }; metadata: { generation: number } };
    assert.equal(afterStatus.status.phase, 'Done');
    assert.equal(afterStatus.spec.n, 1);
    assert.equal(afterStatus.metadata.generation, 1);
    assert.ok(
      api.server.faults.audit({ resource: 'gizmos', verb: 'status-patch', name: 'g1' }).some((e) => e.code === 200),
    );

    const afterJson = (await custom.patchNamespacedCustomObject({
      ...ref,
      name: 'g1',
      body: [
        { op: 'replace', path: '/spec/n', value: 2 },
        { op: 'add', path: '/metadata/labels', value: { x: 'y' } },
      ],
    })) as { spec: { n: number }; metadata: { generation: number; labels: Record<string, string> } };
    assert.equal(afterJson.spec.n, 2);
    assert.equal(afterJson.metadata.labels['x'], 'y');
    assert.equal(afterJson.metadata.generation, 2);

    api.server.faults.conflicts({ resource: 'gizmos.example.com', count: 2, namespace: ns, name: 'g1' });
    for (let i = 0; i < 2; i++) {
      const error = await rejects(
        custom.patchNamespacedCustomObject({ ...ref, name: 'g1', body: { spec: { n: 3 } } }, merge),
      );
      assert.equal(apiCode(error), 409);
      assert.equal(apiBody(error).reason, 'Conflict');
    }
    const third = (await custom.patchNamespacedCustomObject(
      { ...ref, name: 'g1', body: { spec: { n: 3 } } },
      merge,
    )) as { spec: { n: number } };
    assert.equal(third.spec.n, 3);
  });

  test('requests without the token, or with a wrong one, are 401 Unauthorized', async () => {
    const anonymous = await rawRequest({ url: api.server.url, caPem: api.server.caPem, path: '/api/v1/namespaces' });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json<{ reason: string; code: number }>().reason, 'Unauthorized');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: api.server.url, caData: Buffer.from(api.server.caPem).toString('base64') }],
      users: [{ name: 'u', token: 'not-the-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const error = await rejects(kc.makeApiClient(CoreV1Api).listNamespace());
    assert.equal(apiCode(error), 401);
  });
});

describe('persistence across a restart on the same data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-persist-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('objects and resourceVersion continuity survive', async () => {
    const dataDir = join(dir, 'data');
    const first = await startTestApiServer({ dataDir, dir });
    let listRv: string;
    let objectRv: string;
    try {
      const core = first.kc.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: 'keep' } } });
      const cm = await core.createNamespacedConfigMap({
        namespace: 'keep',
        body: { metadata: { name: 'kept', labels: { a: 'b' } }, data: { k: 'v' } },
      });
      objectRv = cm.metadata?.resourceVersion ?? '';
      listRv = (await core.listNamespacedConfigMap({ namespace: 'keep' })).metadata?.resourceVersion ?? '';
    } finally {
      await first.stop({ keepDir: true });
    }
    const second = await startTestApiServer({ dataDir, dir });
    try {
      const core = second.kc.makeApiClient(CoreV1Api);
      const kept = await core.readNamespacedConfigMap({ namespace: 'keep', name: 'kept' });
      assert.deepEqual(kept.data, { k: 'v' });
      assert.deepEqual(kept.metadata?.labels, { a: 'b' });
      assert.equal(kept.metadata?.resourceVersion, objectRv);
      // a watch from the old list's resourceVersion continues on the new server: the next change, no 410
      const watch = await collectWatch(second.kc, '/api/v1/namespaces/keep/configmaps', { resourceVersion: listRv });
      try {
        const updated = await core.patchNamespacedConfigMap(
          { namespace: 'keep', name: 'kept', body: { data: { k: 'w' } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        assert.notEqual(updated.metadata?.resourceVersion, objectRv);
        const event = await waitFor(() => watch.events.find((e) => e.type === 'MODIFIED'), {
          what: `the change in ${JSON.stringify(watch.events)}`,
        });
        assert.equal(event.object.metadata?.resourceVersion, updated.metadata?.resourceVersion);
        assert.equal(watch.events.filter((e) => e.type === 'ERROR').length, 0);
      } finally {
        watch.stop();
      }
    } finally {
      await second.stop();
    }
  });
});
