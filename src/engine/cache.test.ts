/**
 * Cacheable tasks in the pure engine, driven over the in-memory catalog backend: a hit runs
 * nothing, a miss runs and stores, a reservation makes identical concurrent nodes run once,
 * overwriteCache skips the lookup and replaces the entry, a failed put still succeeds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowSpec } from '../api/schema.js';
import { Harness } from '../plugins/testing.js';
import { CatalogClient } from '../catalog/catalog.js';
import { MemoryCatalogBackend } from '../catalog/memory.js';
import { nativeCatalogFrontEnd } from '../catalog/native.js';
import type { CatalogBackend } from '../catalog/model.js';
import type { TaskObservation } from './plugins.js';
import { makeWorkflow, ScriptedPlugin } from './testing.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A task that runs for 5 s (by the clock) and returns its input doubled. */
function slowDouble(clock: () => number): ScriptedPlugin {
  const startedAt = new Map<string, number>();
  return new ScriptedPlugin('double', (ctx, method): TaskObservation => {
    const key = `${ctx.workflow.uid}/${ctx.nodeId}/${ctx.attempt}`;
    if (method === 'start') startedAt.set(key, clock());
    if (clock() - (startedAt.get(key) ?? clock()) < 5000) return { phase: 'Running', checkAfterMs: 1000 };
    return { phase: 'Succeeded', outputs: { y: Number(ctx.inputs['x']) * 2 } };
  });
}

function spec(x: number, extra: Partial<WorkflowSpec> = {}): WorkflowSpec {
  return {
    tasks: { double: { plugin: 'double', cache: { version: 'v1' } } },
    nodes: [{ id: 'd', kind: 'task', task: 'double', inputs: { x: { value: x } } }],
    outputs: { y: { fromNode: 'd', output: 'y' } },
    ...extra,
  };
}

function setup(backend?: CatalogBackend) {
  const clock = { now: T0 };
  const store = backend ?? new MemoryCatalogBackend(() => clock.now);
  const lookups: string[] = [];
  const catalog = new CatalogClient({
    backend: store,
    frontEnd: nativeCatalogFrontEnd,
    onLookup: (result) => lookups.push(result),
  });
  const plugin = slowDouble(() => clock.now);
  const harness = (uid: string, s: WorkflowSpec) => {
    const h = new Harness(makeWorkflow(s, { uid, name: uid }), { plugins: [plugin], catalog, startAt: T0 });
    return h;
  };
  return { clock, store, catalog, plugin, harness, lookups };
}

/** Rounds over several harnesses on one clock until all are terminal. */
async function runTogether(clock: { now: number }, ...hs: Harness[]): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (hs.every((h) => ['Succeeded', 'Failed'].includes(h.status.phase ?? ''))) return;
    let next = Number.POSITIVE_INFINITY;
    for (const h of hs) {
      h.now = clock.now;
      const r = await h.round();
      if (r.changed || r.requeueAfterMs === 0) next = 0;
      else if (r.requeueAfterMs !== undefined) next = Math.min(next, r.requeueAfterMs);
    }
    clock.now += next === Number.POSITIVE_INFINITY ? 1000 : Math.max(0, next);
  }
  throw new Error('not done');
}

describe('cacheable tasks', () => {
  test('a miss runs and stores (CACHE_POPULATED); the same task and inputs later is a hit that starts nothing', async () => {
    const { clock, plugin, harness } = setup();
    const first = harness('first', spec(21));
    await runTogether(clock, first);
    assert.equal(first.status.phase, 'Succeeded');
    assert.deepEqual(first.status.outputs, { y: 42 });
    assert.equal(first.node('d').cacheStatus, 'CACHE_POPULATED');
    assert.equal(plugin.count('start'), 1);
    const running = first.events.find((e) => e.scope === 'node' && e.phase === 'Running');
    assert.equal(running?.cacheStatus, 'CACHE_MISS');

    const second = harness('second', spec(21));
    await runTogether(clock, second);
    assert.equal(second.status.phase, 'Succeeded');
    assert.deepEqual(second.status.outputs, { y: 42 });
    const ns = second.node('d');
    assert.equal(ns.cacheStatus, 'CACHE_HIT');
    assert.equal(ns.attempts, undefined);
    assert.equal(plugin.count('start'), 1, 'the hit started no attempt');
    assert.equal(second.rounds, 1, 'a hit finishes in one round');
    const succeeded = second.events.find((e) => e.scope === 'node' && e.nodeId === 'd' && e.phase === 'Succeeded');
    assert.equal(succeeded?.cacheStatus, 'CACHE_HIT');
    assert.equal(second.events.filter((e) => e.scope === 'task').length, 0);

    const other = harness('other', spec(5));
    await runTogether(clock, other);
    assert.deepEqual(other.status.outputs, { y: 10 });
    assert.equal(other.node('d').cacheStatus, 'CACHE_POPULATED', 'other inputs are another key');
    assert.equal(plugin.count('start'), 2);
  });

  test('another cache version is another key', async () => {
    const { clock, plugin, harness } = setup();
    await runTogether(clock, harness('a', spec(3)));
    const b = harness('b', {
      ...spec(3),
      tasks: { double: { plugin: 'double', cache: { version: 'v2' } } },
    });
    await runTogether(clock, b);
    assert.equal(b.node('d').cacheStatus, 'CACHE_POPULATED');
    assert.equal(plugin.count('start'), 2);
  });

  test('two identical nodes at once run once: the second waits on the reservation, then takes the outputs', async () => {
    const { clock, plugin, harness, lookups } = setup();
    const a = harness('a', spec(4));
    const b = harness('b', spec(4));
    await a.round();
    await b.round();
    assert.equal(a.node('d').cacheStatus, 'CACHE_MISS');
    assert.equal(b.node('d').taskPhase, 'WaitingForCache');
    assert.match(b.node('d').message ?? '', /waiting on serialized cache: a\/d holds the reservation until /);
    await runTogether(clock, a, b);
    assert.equal(plugin.count('start'), 1);
    assert.equal(a.node('d').cacheStatus, 'CACHE_POPULATED');
    assert.equal(b.node('d').cacheStatus, 'CACHE_HIT');
    assert.deepEqual(b.status.outputs, { y: 8 });
    assert.deepEqual([lookups[0], lookups[1], lookups.at(-1)], ['miss', 'waiting', 'hit'], lookups.join(' '));
  });

  test('without serialize both run', async () => {
    const { clock, plugin, harness } = setup();
    const s = { ...spec(4), tasks: { double: { plugin: 'double', cache: { version: 'v1', serialize: false } } } };
    await runTogether(clock, harness('a', s), harness('b', s));
    assert.equal(plugin.count('start'), 2);
  });

  test('the holder extends its reservation while it runs; a holder that fails releases it and the waiter runs', async () => {
    const { clock, catalog } = setup();
    const failing = new ScriptedPlugin('double', (ctx) =>
      ctx.workflow.uid === 'a'
        ? { phase: 'Failed', failure: { kind: 'user', reason: 'Boom', message: 'boom', retryable: false } }
        : { phase: 'Succeeded', outputs: { y: 1 } },
    );
    const s = spec(9);
    const a = new Harness(makeWorkflow(s, { uid: 'a', name: 'a' }), {
      plugins: [failing],
      catalog,
      startAt: T0,
    });
    const b = new Harness(makeWorkflow(s, { uid: 'b', name: 'b' }), {
      plugins: [failing],
      catalog,
      startAt: T0,
    });
    await runTogether(clock, a, b);
    assert.equal(a.status.phase, 'Failed');
    assert.equal(b.status.phase, 'Succeeded');
    assert.equal(b.node('d').cacheStatus, 'CACHE_POPULATED');
    assert.ok(clock.now < T0 + 30_000, 'b did not wait for the reservation to expire');
  });

  test('a long task sends heartbeats every cacheHeartbeatMs', async () => {
    const clock = { now: T0 };
    const backend = new MemoryCatalogBackend(() => clock.now);
    let extensions = 0;
    const counting: CatalogBackend = {
      getArtifact: (k) => backend.getArtifact(k),
      putArtifact: (k, d, o) => backend.putArtifact(k, d, o),
      getOrExtendReservation: async (k, o, h) => {
        extensions++;
        return backend.getOrExtendReservation(k, o, h);
      },
      releaseReservation: (k, o) => backend.releaseReservation(k, o),
      close: async () => {},
    };
    const catalog = new CatalogClient({ backend: counting, frontEnd: nativeCatalogFrontEnd });
    const h = new Harness(makeWorkflow(spec(1), { uid: 'a' }), {
      plugins: [slowDouble(() => clock.now)],
      catalog,
      startAt: T0,
      engine: { cacheHeartbeatMs: 1000 },
    });
    await runTogether(clock, h);
    assert.equal(h.node('d').cacheStatus, 'CACHE_POPULATED');
    // one reservation, then an extension per second of the 5 s run
    assert.ok(extensions >= 5, `extensions: ${extensions}`);
  });

  test('overwriteCache runs without a lookup (CACHE_SKIPPED) and replaces the stored outputs', async () => {
    const { clock, plugin, harness, store } = setup();
    await runTogether(clock, harness('a', spec(2)));
    const memory = store as MemoryCatalogBackend;
    const [entry] = [...memory.artifacts.values()];
    assert.ok(entry);
    const b = harness('b', { ...spec(2), overwriteCache: true });
    const running: string[] = [];
    await b.round();
    running.push(b.node('d').cacheStatus ?? '');
    await runTogether(clock, b);
    assert.deepEqual(running, ['CACHE_SKIPPED']);
    assert.equal(b.node('d').cacheStatus, 'CACHE_POPULATED');
    assert.equal(plugin.count('start'), 2);
    const [after] = [...memory.artifacts.values()];
    assert.notEqual(after?.createdAt, entry.createdAt, 'the entry was written again');
  });

  test('a failed put leaves the node Succeeded with CACHE_PUT_FAILURE', async () => {
    const clock = { now: T0 };
    const backend = new MemoryCatalogBackend(() => clock.now);
    const broken: CatalogBackend = {
      getArtifact: (k) => backend.getArtifact(k),
      putArtifact: async () => {
        throw new Error('disk full');
      },
      getOrExtendReservation: (k, o, h) => backend.getOrExtendReservation(k, o, h),
      releaseReservation: (k, o) => backend.releaseReservation(k, o),
      close: async () => {},
    };
    const h = new Harness(makeWorkflow(spec(1), { uid: 'a' }), {
      plugins: [slowDouble(() => clock.now)],
      catalog: new CatalogClient({ backend: broken, frontEnd: nativeCatalogFrontEnd }),
      startAt: T0,
    });
    await runTogether(clock, h);
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(h.node('d').cacheStatus, 'CACHE_PUT_FAILURE');
    assert.match(h.node('d').message ?? '', /caching its outputs failed: disk full/);
  });

  test('a catalog that cannot answer a lookup holds the node back (nothing runs on a guess)', async () => {
    const unreachable: CatalogBackend = {
      getArtifact: async () => {
        throw new Error('connection refused');
      },
      putArtifact: async () => {},
      getOrExtendReservation: async (_k, o) => ({ owner: o }),
      releaseReservation: async () => {},
      close: async () => {},
    };
    const clock = { now: T0 };
    const plugin = slowDouble(() => clock.now);
    const h = new Harness(makeWorkflow(spec(1), { uid: 'a' }), {
      plugins: [plugin],
      catalog: new CatalogClient({ backend: unreachable, frontEnd: nativeCatalogFrontEnd }),
      startAt: T0,
    });
    const r = await h.round();
    assert.equal(h.node('d').phase, 'Pending');
    assert.equal(plugin.count('start'), 0);
    assert.equal(r.errors.length, 1);
    assert.ok(r.requeueAfterMs !== undefined && r.requeueAfterMs > 0);
  });

  test('without a catalog a cacheable task simply runs', async () => {
    const clock = { now: T0 };
    const plugin = slowDouble(() => clock.now);
    const h = new Harness(makeWorkflow(spec(1), { uid: 'a' }), { plugins: [plugin], startAt: T0 });
    await runTogether(clock, h);
    assert.equal(h.status.phase, 'Succeeded');
    assert.equal(h.node('d').cacheStatus, undefined);
    assert.equal(plugin.count('start'), 1);
  });
});
