import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, type StoreEvent } from './store.js';
import { WatchHub, type WatchSink } from './watch.js';
import type { KubeObject } from './types.js';

const cm = (name: string, labels: Record<string, string> = {}, owner?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: 'ns',
    labels,
    ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: owner }] } : {}),
  },
});

test('one global counter, history resumes, ring overflow expires old versions', () => {
  const store = new Store({ historyLimit: 3 });
  store.put('/configmaps', cm('a'));
  store.put('/configmaps', cm('b'));
  assert.equal(store.currentRv, 2);
  assert.equal(store.get('/configmaps', 'ns', 'a')?.metadata.resourceVersion, '1');
  const since1 = store.eventsSince(1, '/configmaps');
  assert.ok(Array.isArray(since1));
  assert.deepEqual(
    since1.map((e) => [e.type, e.object.metadata.name]),
    [['ADDED', 'b']],
  );
  store.put('/configmaps', cm('a', { x: 'y' }));
  store.remove('/configmaps', 'ns', 'b');
  assert.equal(store.currentRv, 4);
  assert.equal(store.eventsSince(0, '/configmaps'), 'expired');
  const since2 = store.eventsSince(2, '/configmaps');
  assert.ok(Array.isArray(since2));
  assert.deepEqual(
    since2.map((e) => e.type),
    ['MODIFIED', 'DELETED'],
  );
  store.compact();
  assert.equal(store.eventsSince(3, '/configmaps'), 'expired');
  assert.deepEqual(store.eventsSince(4, '/configmaps'), []);
});

test('owner index follows ownerReferences', () => {
  const store = new Store();
  store.put('/configmaps', cm('d1', {}, 'u1'));
  store.put('/configmaps', cm('d2', {}, 'u1'));
  assert.equal(store.dependentsOf('u1').length, 2);
  store.put('/configmaps', cm('d2'));
  assert.deepEqual(
    store.dependentsOf('u1').map((d) => d.name),
    ['d1'],
  );
  store.remove('/configmaps', 'ns', 'd1');
  assert.deepEqual(store.dependentsOf('u1'), []);
});

test('watch hub turns selector transitions into ADDED/DELETED and serialises once', () => {
  const store = new Store();
  const hub = new WatchHub();
  store.addListener((e) => hub.dispatch(e));
  const seen: string[][] = [];
  const make = (id: string): WatchSink => ({
    resourceKey: '/configmaps',
    namespace: 'ns',
    matcher: (o) => o.metadata.labels?.['app'] === 'web',
    deliver: (e: StoreEvent, type) => {
      seen.push([id, type, e.object.metadata.name ?? '']);
      if (!e.lines.has(type)) e.lines.set(type, JSON.stringify(e.object));
    },
    expire: () => seen.push([id, 'EXPIRED', '']),
    close: () => undefined,
  });
  const a = make('a');
  hub.add(a);
  hub.add(make('b'));
  store.put('/configmaps', cm('x', { app: 'db' }));
  store.put('/configmaps', cm('x', { app: 'web' }));
  store.put('/configmaps', cm('x', { app: 'web', v: '2' }));
  store.put('/configmaps', cm('x', { app: 'db' }));
  hub.remove(a);
  store.remove('/configmaps', 'ns', 'x');
  assert.deepEqual(seen, [
    ['a', 'ADDED', 'x'],
    ['b', 'ADDED', 'x'],
    ['a', 'MODIFIED', 'x'],
    ['b', 'MODIFIED', 'x'],
    ['a', 'DELETED', 'x'],
    ['b', 'DELETED', 'x'],
  ]);
  assert.equal(hub.expireAll('gone'), 1);
});
