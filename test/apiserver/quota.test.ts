/**
 * Pod validation and ResourceQuota admission of the embedded API server, through client-node,
 * answered as the real kube-apiserver answers: 400 for a quantity that does not parse, 422 with
 * field causes for an invalid pod, 403 "exceeded quota" / "must specify" for a quota refusal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';

const ns = 'quota';

interface Status {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; reason?: string }> };
}

function statusOf(error: unknown): Status {
  assert.ok(error instanceof ApiException, String(error));
  return (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as Status;
}

function pod(
  name: string,
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> },
  container: Record<string, unknown> = {},
): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'task', image: 'busybox', ...(resources ? { resources } : {}), ...container }],
    },
  };
}

describe('embedded API server: pod validation and ResourceQuota admission', () => {
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

  test('a quantity that does not parse is a 400; requests default to limits', async () => {
    const refused = await core
      .createNamespacedPod({ namespace: ns, body: pod('lots', { requests: { cpu: 'lots' } }) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const status = statusOf(refused);
    assert.equal(status.code, 400);
    assert.equal(status.reason, 'BadRequest');
    assert.match(status.message ?? '', /quantities must match the regular expression/);
    const created = await core.createNamespacedPod({
      namespace: ns,
      body: pod('defaulted', { limits: { cpu: '1', memory: '1Gi' } }),
    });
    assert.deepEqual(created.spec?.containers[0]?.resources?.requests, { cpu: '1', memory: '1Gi' });
    await core.deleteNamespacedPod({ namespace: ns, name: 'defaulted' });
  });

  test('an invalid pod is a 422 with the field causes', async () => {
    const bad = pod('bad', { requests: { cpu: '2' }, limits: { cpu: '1' } }, { name: 'Bad_Name' });
    bad.spec?.containers.push({ name: 'side', image: '' });
    const status = statusOf(
      await core.createNamespacedPod({ namespace: ns, body: bad }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.equal(status.code, 422);
    assert.equal(status.reason, 'Invalid');
    const fields = (status.details?.causes ?? []).map((c) => c.field);
    assert.deepEqual(
      fields.sort(),
      ['spec.containers[0].name', 'spec.containers[0].resources.requests', 'spec.containers[1].image'].sort(),
    );
    assert.match(status.message ?? '', /^Pod "bad" is invalid: /);
  });

  test('a quota refuses what exceeds it (403) and frees what terminal pods used', async () => {
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '1', pods: '2' } } },
    });
    const missing = statusOf(
      await core.createNamespacedPod({ namespace: ns, body: pod('no-requests') }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.equal(missing.code, 403);
    assert.equal(missing.reason, 'Forbidden');
    assert.equal(
      missing.message,
      'pods "no-requests" is forbidden: failed quota: compute: must specify requests.cpu for: task',
    );

    await core.createNamespacedPod({ namespace: ns, body: pod('first', { requests: { cpu: '600m' } }) });
    const exceeded = statusOf(
      await core.createNamespacedPod({ namespace: ns, body: pod('second', { requests: { cpu: '500m' } }) }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.equal(exceeded.code, 403);
    assert.equal(exceeded.reason, 'Forbidden');
    assert.equal(
      exceeded.message,
      'pods "second" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
    const quota = await core.readNamespacedResourceQuota({ namespace: ns, name: 'compute' });
    assert.deepEqual(quota.status?.used, { pods: '1', 'requests.cpu': '600m' });

    // The first pod finishes: its quota is free again.
    await core.replaceNamespacedPodStatus({
      namespace: ns,
      name: 'first',
      body: { ...(await core.readNamespacedPod({ namespace: ns, name: 'first' })), status: { phase: 'Succeeded' } },
    });
    await core.createNamespacedPod({ namespace: ns, body: pod('second', { requests: { cpu: '500m' } }) });
    const after = await core.readNamespacedResourceQuota({ namespace: ns, name: 'compute' });
    assert.deepEqual(after.status?.used, { pods: '1', 'requests.cpu': '500m' });
  });
});
