/**
 * The status store and the typed Workflow client against the real embedded API server: no stale
 * read after our own write while watch delivery lags, 409 as a typed error, error codes mapped from
 * real answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeError, StatusConflictError } from '../../src/kube/errors.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import { ShardInformers } from '../../src/controller/shard-informers.js';
import { StatusStore } from '../../src/controller/status-store.js';
import { addAbortFinalizer, removeAbortFinalizer } from '../../src/controller/finalizer.js';
import type { WorkflowStatus } from '../../src/api/status.js';
import { createWorkflow, startEnv, workflowObject, type TestEnv } from './support/env.js';
import { waitFor } from '../support/wait.js';

const statusWith = (n: number) => ({ phase: 'Running', nodes: {}, observedGeneration: n }) as unknown as WorkflowStatus;

describe('status store and workflow client (embedded API server)', () => {
  let env: TestEnv;
  let client: WorkflowClient;
  let informers: ShardInformers;
  let store: StatusStore;

  before(async () => {
    env = await startEnv();
    client = new WorkflowClient(env.kubeConfig);
    informers = new ShardInformers({ kubeConfig: env.kubeConfig, scope: { strategy: 'hash', shard: 4 } });
    informers.start();
    await informers.waitForSync(10_000);
    store = new StatusStore({ client, informer: informers.workflows, waitMs: 100 });
  });
  after(async () => {
    store.close();
    await informers.stop();
    await env.stop();
  });

  test('typed errors from real answers: NotFound, AlreadyExists, Conflict, Invalid', async () => {
    await assert.rejects(
      client.get('default', 'missing'),
      (e: unknown) => e instanceof KubeError && e.code === 'NotFound' && e.status === 404,
    );
    await client.create(workflowObject('default', 'dup', { 'flotilla.io/shard': '9' }));
    await assert.rejects(
      client.create(workflowObject('default', 'dup')),
      (e: unknown) => e instanceof KubeError && e.code === 'AlreadyExists',
    );
    const current = await client.get('default', 'dup');
    await client.replaceStatus({ ...current, status: statusWith(1) });
    await assert.rejects(
      client.replaceStatus({ ...current, status: statusWith(2) }),
      (e: unknown) => e instanceof KubeError && e.code === 'Conflict',
    );
    await assert.rejects(
      client.create(workflowObject('default', 'Not_A_Valid_Name')),
      (e: unknown) => e instanceof KubeError && e.code === 'Invalid',
    );
    await assert.rejects(
      client.delete('default', 'missing'),
      (e: unknown) => e instanceof KubeError && e.code === 'NotFound',
    );
  });

  test('merge patch is sent as a merge patch; list applies the selector', async () => {
    await client.create(workflowObject('default', 'patched', { 'flotilla.io/shard': '9' }));
    const patched = await client.mergePatch('default', 'patched', { metadata: { labels: { extra: 'yes' } } });
    assert.deepEqual(patched.metadata.labels, { 'flotilla.io/shard': '9', extra: 'yes' });
    const list = await client.list({ labelSelector: 'extra=yes' });
    assert.deepEqual(
      list.items.map((w) => w.metadata.name),
      ['patched'],
    );
    assert.ok(list.resourceVersion);
  });

  test('an unreachable server is Unavailable', async () => {
    const kc = loadKubeConfig({ yaml: env.server.kubeconfig.replace(`:${env.server.port}`, ':1') });
    await assert.rejects(
      new WorkflowClient(kc).get('default', 'x'),
      (e: unknown) => e instanceof KubeError && e.code === 'Unavailable' && e.retryable,
    );
  });

  test('with watch delivery lagging, a read after our write never returns the old version', async () => {
    await createWorkflow(env, 'default', 'lagging', { 'flotilla.io/shard': '4' });
    await waitFor(() => informers.workflows.get('default/lagging'), { what: 'cached' });
    env.server.faults.latency({ ms: 700, watchOnly: true });
    try {
      const versions: string[] = [];
      for (let i = 1; i <= 4; i++) {
        const read = await store.read('default/lagging');
        assert.ok(read);
        if (versions.length > 0)
          assert.equal(read.metadata.resourceVersion, versions.at(-1), 'read returns our last write, not the cache');
        // A stale read would make this write fail with 409.
        const written = await store.writeStatus(read, statusWith(i));
        versions.push(written.metadata.resourceVersion ?? '');
      }
      assert.ok(store.staleSkips >= 3, `stale skips: ${store.staleSkips}`);
      const fromStore = await store.read('default/lagging');
      assert.equal((fromStore?.status as { observedGeneration?: number } | undefined)?.observedGeneration, 4);
    } finally {
      env.server.faults.clear();
    }
    // Once the informer catches up the cache is trusted again (no more skips).
    await waitFor(() => store.awaitedVersion('default/lagging') === undefined, { what: 'informer caught up' });
    const skips = store.staleSkips;
    const cached = await store.read('default/lagging');
    assert.equal(store.staleSkips, skips);
    assert.equal(cached, informers.workflows.get('default/lagging'));
  });

  test('a forced conflict is a StatusConflictError and nothing is overwritten', async () => {
    await createWorkflow(env, 'default', 'contested', { 'flotilla.io/shard': '4' });
    const workflow = await waitFor(() => informers.workflows.get('default/contested'), { what: 'cached' });
    env.server.faults.conflicts({ resource: 'workflows', count: 1, namespace: 'default', name: 'contested' });
    await assert.rejects(
      store.writeStatus(workflow, statusWith(7)),
      (e: unknown) => e instanceof StatusConflictError && e.code === 'Conflict' && e.key === 'default/contested',
    );
    assert.equal(store.conflicts, 1);
    const stored = await client.get('default', 'contested');
    assert.equal(stored.status, undefined);
    // A real stale precondition is a conflict too.
    const fresh = await store.writeStatus(stored, statusWith(8));
    await assert.rejects(store.writeStatus(stored, statusWith(9)), (e: unknown) => e instanceof StatusConflictError);
    assert.equal(
      ((await client.get('default', 'contested')).status as { observedGeneration?: number }).observedGeneration,
      8,
    );
    assert.ok(fresh.metadata.resourceVersion);
  });

  test('finalizer patches carry the resourceVersion: a stale one is a conflict, not a lost change', async () => {
    const created = await createWorkflow(env, 'default', 'finalized', { 'flotilla.io/shard': '9' });
    const added = await addAbortFinalizer(client, created);
    assert.deepEqual(added.metadata.finalizers, ['flotilla.io/abort']);
    assert.equal(await addAbortFinalizer(client, added), added, 'no-op when present');
    // The finalizer as seen at a stale resourceVersion (the one before it was added).
    const stale = { ...created, metadata: { ...created.metadata, finalizers: ['flotilla.io/abort'] } };
    await assert.rejects(
      removeAbortFinalizer(client, stale),
      (e: unknown) => e instanceof KubeError && e.code === 'Conflict',
    );
    const removed = await removeAbortFinalizer(client, added);
    assert.deepEqual(removed?.metadata.finalizers ?? [], []);
  });

  test("the echo of our own write is recognised once; another writer's change never is", async () => {
    await createWorkflow(env, 'default', 'echoed', { 'flotilla.io/shard': '4' });
    const cached = await waitFor(() => informers.workflows.get('default/echoed'), { what: 'cached' });
    const seen: Array<{ rv: string | undefined; own: boolean }> = [];
    const off = informers.onEvent((key, source, type, rv) => {
      if (key === 'default/echoed' && source === 'workflow' && type === 'update')
        seen.push({ rv, own: store.consumeOwnWrite(key, rv) });
    });
    try {
      env.server.faults.latency({ ms: 300, watchOnly: true });
      // Watch delivery lags, so our write's answer comes before its echo (as it mostly does).
      const ours = await store.writeStatus(cached, statusWith(1));
      await waitFor(() => seen.length >= 1, { what: 'our update delivered' });
      env.server.faults.clear();
      // Someone else (not this store) writes next: its version must not pass for ours.
      const foreign = await client.replaceStatus({ ...ours, status: statusWith(2) });
      await waitFor(() => seen.length >= 2, { what: 'both updates delivered' });
      assert.deepEqual(seen, [
        { rv: ours.metadata.resourceVersion, own: true },
        { rv: foreign.metadata.resourceVersion, own: false },
      ]);
      assert.equal(store.consumeOwnWrite('default/echoed', ours.metadata.resourceVersion), false, 'consumed once');
    } finally {
      env.server.faults.clear();
      off();
    }
  });
});
