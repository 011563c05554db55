/** The manager's labeller against the real embedded API server with the real CRD. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { CRD_FILE } from '../../src/api/crd.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import { WorkflowLabeller } from '../../shard-manager/manager/labeller.js';
import { SHARD_LABEL, hashShardId } from '../../shard-manager/sharding/hash.js';
import type { NewWorkflow } from '../../src/api/workflow.js';

let api: TestApiServer;
before(async () => {
  api = await startTestApiServer();
  const applied = await api.kubectl(['apply', '-f', CRD_FILE]);
  assert.equal(applied.code, 0, applied.stderr);
  await api.kubectl(['wait', '--for', 'condition=established', 'crd/workflows.flotilla.io', '--timeout=30s']);
  await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'team-a' } } });
});
after(async () => {
  await api.stop();
});

const workflow = (name: string, labels?: Record<string, string>): NewWorkflow => ({
  apiVersion: 'flotilla.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, namespace: 'team-a', ...(labels ? { labels } : {}) },
  spec: { tasks: { t: { plugin: 'echo' } }, nodes: [{ id: 'a', kind: 'task', task: 't' }] },
});

test('labels every Workflow that arrives without a shard label, and leaves labelled ones alone', async () => {
  const client = new WorkflowClient(api.kc);
  // One exists before the labeller starts (it must be found by the initial list) ...
  await client.create(workflow('before-start'));
  await client.create(workflow('already-labelled', { [SHARD_LABEL]: '7' }));
  const labelled: string[] = [];
  const labeller = new WorkflowLabeller({
    kubeConfig: api.kc,
    shardCount: 32,
    onLabelled: (key) => labelled.push(key),
  });
  await labeller.start();
  try {
    // ... and the rest arrive while it runs.
    for (let i = 0; i < 20; i++) await client.create(workflow(`wf-${i}`));
    await waitFor(
      async () => (await client.list({ namespace: 'team-a', labelSelector: `!${SHARD_LABEL}` })).items.length === 0,
      { what: 'every workflow labelled' },
    );
    const all = await client.list({ namespace: 'team-a' });
    for (const wf of all.items) {
      const expected = wf.metadata.name === 'already-labelled' ? '7' : hashShardId('team-a', wf.metadata.name, 32);
      assert.equal(wf.metadata.labels?.[SHARD_LABEL], expected, wf.metadata.name);
    }
    assert.ok(!labelled.includes('team-a/already-labelled'));
    assert.equal(new Set(labelled).size, 21);
  } finally {
    await labeller.stop();
  }
});

test('a label write that failed while it led is made when it leads again (the retry timer died with stop)', async () => {
  const client = new WorkflowClient(api.kc);
  // Every patch of this workflow fails for a while: the first leader's write and its retries.
  api.server.faults.conflicts({ resource: 'workflows.flotilla.io', name: 'unlucky', count: 1_000 });
  await client.create(workflow('unlucky'));
  const errors: string[] = [];
  const first = new WorkflowLabeller({
    kubeConfig: api.kc,
    shardCount: 32,
    onError: (_error, key) => errors.push(key),
  });
  await first.start();
  await waitFor(() => errors.includes('team-a/unlucky'), { what: 'the label write refused' });
  await first.stop(); // leadership lost: the pending retry goes with it
  api.server.faults.clear();
  // The same object leads again (as the manager does): nothing about the workflow changes, so
  // only a look at the cache on start can find it.
  await first.start();
  try {
    await waitFor(
      async () =>
        (await client.get('team-a', 'unlucky'))?.metadata.labels?.[SHARD_LABEL] ===
        hashShardId('team-a', 'unlucky', 32),
      { what: 'unlucky labelled' },
    );
  } finally {
    await first.stop();
  }
});
