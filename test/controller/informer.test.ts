/**
 * Shard informers against the real embedded API server (HTTPS, client-node): selectors on list and
 * watch, Pod → owner keys, cache convergence after expired watches and compaction, watchdog
 * recovery after a partition.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../../src/kube/workflow-client.js';
import type { InformerEventType } from '../../src/kube/informer.js';
import { ShardInformers, ownerKeyOfPod } from '../../src/controller/shard-informers.js';
import { createPod, createWorkflow, startEnv, type TestEnv } from './support/env.js';
import { waitFor } from '../support/wait.js';

const wfApi = { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL };

describe('shard informers (embedded API server)', () => {
  let env: TestEnv;
  let informers: ShardInformers;
  const events: Array<{ key: string; source: string; type: InformerEventType }> = [];
  const restarts: string[] = [];

  before(async () => {
    env = await startEnv();
    // Objects present before the informer starts: one of our shard, one of another shard.
    await createWorkflow(env, 'default', 'pre-existing', { 'flotilla.io/shard': '1' });
    await createWorkflow(env, 'default', 'other-shard', { 'flotilla.io/shard': '2' });
    informers = new ShardInformers({
      kubeConfig: env.kubeConfig,
      scope: { strategy: 'hash', shard: 1 },
      watchdogMs: 1500,
      backoffBaseMs: 50,
      onRestart: (resource, reason) => restarts.push(`${resource}:${reason}`),
    });
    informers.onEvent((key, source, type) => events.push({ key, source, type }));
    informers.start();
    await informers.waitForSync(10_000);
  });
  after(async () => {
    await informers.stop();
    await env.stop();
  });

  test('the initial list applies the shard selector', () => {
    assert.ok(informers.workflows.get('default/pre-existing'));
    assert.equal(informers.workflows.get('default/other-shard'), undefined);
    assert.deepEqual(informers.workflows.keys(), ['default/pre-existing']);
  });

  test('add, update and delete are seen, with resourceVersions, and other shards are not', async () => {
    const created = await createWorkflow(env, 'default', 'wf-a', { 'flotilla.io/shard': '1' });
    await createWorkflow(env, 'default', 'wf-b', { 'flotilla.io/shard': '2' });
    await waitFor(() => informers.workflows.get('default/wf-a'), { what: 'added' });
    assert.equal(informers.workflows.get('default/wf-a')?.metadata.resourceVersion, created.metadata.resourceVersion);
    const patched = (await env.custom.patchNamespacedCustomObject({
      ...wfApi,
      namespace: 'default',
      name: 'wf-a',
      body: [{ op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } }],
    })) as { metadata: { resourceVersion: string } };
    await waitFor(
      () => informers.workflows.get('default/wf-a')?.metadata.resourceVersion === patched.metadata.resourceVersion,
      { what: 'updated' },
    );
    await env.custom.deleteNamespacedCustomObject({ ...wfApi, namespace: 'default', name: 'wf-a' });
    await waitFor(() => informers.workflows.get('default/wf-a') === undefined, { what: 'deleted' });
    const forA = events.filter((e) => e.key === 'default/wf-a').map((e) => e.type);
    assert.deepEqual(forA, ['add', 'update', 'delete']);
    assert.ok(!events.some((e) => e.key === 'default/wf-b'), 'another shard never reaches us');
  });

  test('a Pod change is the owner workflow key (by label or by ownerReference)', async () => {
    const owner = await createWorkflow(env, 'default', 'owner', { 'flotilla.io/shard': '1' });
    await createPod(env, 'default', 'owner-a-1', { 'flotilla.io/shard': '1', 'flotilla.io/workflow': 'owner' });
    const byRef = await createPod(env, 'default', 'byref-a-1', { 'flotilla.io/shard': '1' }, owner);
    await createPod(env, 'default', 'foreign-a-1', { 'flotilla.io/shard': '2', 'flotilla.io/workflow': 'foreign' });
    await waitFor(() => events.filter((e) => e.source === 'pod' && e.key === 'default/owner').length >= 2, {
      what: 'pod events for the owner',
    });
    assert.equal(ownerKeyOfPod(byRef), 'default/owner');
    assert.ok(!events.some((e) => e.key === 'default/foreign'));
    assert.ok(informers.pods.get('default/owner-a-1'));
    assert.equal(informers.pods.get('default/foreign-a-1'), undefined);
  });

  test('after expired watches and compaction the cache converges (deletes missed meanwhile included)', async () => {
    await createWorkflow(env, 'default', 'survivor', { 'flotilla.io/shard': '1' });
    await createWorkflow(env, 'default', 'doomed', { 'flotilla.io/shard': '1' });
    await waitFor(() => informers.workflows.get('default/doomed'), { what: 'doomed seen' });
    env.server.faults.compact();
    env.server.faults.expireWatches();
    await env.custom.deleteNamespacedCustomObject({ ...wfApi, namespace: 'default', name: 'doomed' });
    await createWorkflow(env, 'default', 'newcomer', { 'flotilla.io/shard': '1' });
    env.server.faults.compact();
    env.server.faults.expireWatches();
    const expected = async () => {
      const listed = (await env.custom.listClusterCustomObject({ ...wfApi, labelSelector: 'flotilla.io/shard=1' })) as {
        items: Array<{ metadata: { namespace: string; name: string; resourceVersion: string } }>;
      };
      return listed.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
    };
    await waitFor(
      async () => {
        const cached = informers.workflows
          .list()
          .map((w) => `${w.metadata.namespace}/${w.metadata.name}@${w.metadata.resourceVersion ?? ''}`)
          .sort();
        return JSON.stringify(cached) === JSON.stringify(await expected());
      },
      { what: 'cache equals a fresh list', timeoutMs: 10_000 },
    );
    assert.equal(informers.workflows.get('default/doomed'), undefined);
    assert.ok(informers.workflows.get('default/newcomer'));
    // The watch keeps working afterwards.
    await createWorkflow(env, 'default', 'after-expiry', { 'flotilla.io/shard': '1' });
    await waitFor(() => informers.workflows.get('default/after-expiry'), { what: 'an object after the expiry' });
  });

  test('after a partition the watchdog restarts the silent watch and the cache recovers', async () => {
    const before = restarts.filter((r) => r.endsWith(':watchdog')).length;
    env.server.faults.partition({ ms: 3000 });
    // Written in-process while the network is partitioned: the informer must still get it.
    const creating = createWorkflow(env, 'default', 'during-partition', { 'flotilla.io/shard': '1' });
    await waitFor(() => restarts.filter((r) => r.endsWith(':watchdog')).length > before, {
      what: 'watchdog restart',
      timeoutMs: 6000,
    });
    await creating;
    await waitFor(() => informers.workflows.get('default/during-partition'), {
      what: 'object written during the partition',
      timeoutMs: 10_000,
    });
    await createWorkflow(env, 'default', 'after-partition', { 'flotilla.io/shard': '1' });
    await waitFor(() => informers.workflows.get('default/after-partition'), {
      what: 'object after the partition',
      timeoutMs: 10_000,
    });
    assert.ok(informers.restarts >= 1);
  });

  test('namespace strategy: the shard is a namespace (Workflows, and Pods with a workflow label)', async () => {
    await env.core.createNamespace({ body: { metadata: { name: 'team-b' } } });
    await createWorkflow(env, 'team-b', 'in-ns');
    await createWorkflow(env, 'default', 'out-of-ns');
    const scoped = new ShardInformers({
      kubeConfig: env.kubeConfig,
      scope: { strategy: 'namespace', namespace: 'team-b' },
    });
    const keys: string[] = [];
    scoped.onEvent((key) => keys.push(key));
    scoped.start();
    try {
      await scoped.waitForSync(10_000);
      assert.deepEqual(scoped.workflows.keys(), ['team-b/in-ns']);
      await createPod(env, 'team-b', 'in-ns-a-1', { 'flotilla.io/workflow': 'in-ns' });
      await createPod(env, 'team-b', 'unrelated', { app: 'x' });
      await waitFor(() => scoped.pods.get('team-b/in-ns-a-1'), { what: 'pod in the namespace' });
      assert.equal(scoped.pods.get('team-b/unrelated'), undefined);
      assert.ok(!keys.includes('default/out-of-ns'));
      assert.equal(keys.filter((k) => k === 'team-b/in-ns').length, 2, 'workflow add and pod add');
    } finally {
      await scoped.stop();
    }
  });
});
