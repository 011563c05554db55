/**
 * The request log (`GET`/`DELETE /_flotilla/requests`, `FaultInjector#requests`) records every
 * resource request with its RBAC verb, and the stored built-ins added for charts (Services,
 * Deployments, PDBs, NetworkPolicies, RBAC kinds) are served with discovery, through client-node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  Watch,
} from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from './index.js';
import { FaultsClient } from './faults-client.js';
import { requestVerb } from './http/router.js';

describe('request log and chart built-ins', () => {
  let s: RunningApiServer;
  let kc: KubeConfig;
  let faults: FaultsClient;
  before(async () => {
    s = await startApiServer({ kubelet: false });
    kc = new KubeConfig();
    kc.loadFromString(s.kubeconfig);
    faults = new FaultsClient({ url: s.url, token: s.token, caPem: s.caPem });
  });
  after(async () => {
    await s.stop();
  });

  test('requestVerb maps method, name and watch= to the RBAC verb', () => {
    const q = (text: string) => new URLSearchParams(text);
    assert.equal(requestVerb('GET', 'a', q('')), 'get');
    assert.equal(requestVerb('GET', undefined, q('')), 'list');
    assert.equal(requestVerb('GET', undefined, q('watch=true')), 'watch');
    assert.equal(requestVerb('GET', undefined, q('watch=1')), 'watch');
    assert.equal(requestVerb('POST', undefined, q('')), 'create');
    assert.equal(requestVerb('PUT', 'a', q('')), 'update');
    assert.equal(requestVerb('PATCH', 'a', q('')), 'patch');
    assert.equal(requestVerb('DELETE', 'a', q('')), 'delete');
    assert.equal(requestVerb('DELETE', undefined, q('')), 'deletecollection');
  });

  test('every resource request is recorded with verb, group, resource, subresource and namespace', async () => {
    await faults.clearRequests();
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'r1' }, data: { a: '1' } },
    });
    await core.readNamespacedConfigMap({ namespace: 'default', name: 'r1' });
    await core.listConfigMapForAllNamespaces();
    await core.replaceNamespacedConfigMap({
      namespace: 'default',
      name: 'r1',
      body: { metadata: { name: 'r1' }, data: { a: '2' } },
    });
    await core.patchNamespacedConfigMap({
      namespace: 'default',
      name: 'r1',
      body: [{ op: 'replace', path: '/data/a', value: '3' }],
    });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'r1' });
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default' });
    await core.readNamespaceStatus({ name: 'default' });
    // A failed request is recorded too: an authorizer decides before the object is looked up.
    await assert.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'missing' }));
    const watch = new Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      {},
      () => undefined,
      () => undefined,
    );
    controller.abort();

    const got = await faults.requests();
    const cm = (verb: string, namespace = 'default') => ({
      verb,
      group: '',
      resource: 'configmaps',
      subresource: '',
      namespace,
    });
    assert.deepEqual(got, [
      cm('create'),
      cm('get'),
      cm('list', ''),
      cm('update'),
      cm('patch'),
      cm('delete'),
      cm('deletecollection'),
      { verb: 'get', group: '', resource: 'namespaces', subresource: 'status', namespace: '' },
      cm('get'),
      cm('watch'),
    ]);
    // Discovery and the /_flotilla endpoints themselves are not resource requests.
    await faults.clearRequests();
    assert.deepEqual(await faults.requests(), []);
  });

  test('grouped resources are recorded with their group; unserved ones not at all', async () => {
    await faults.clearRequests();
    const leases = kc.makeApiClient(CoordinationV1Api);
    await leases.createNamespacedLease({
      namespace: 'default',
      body: { metadata: { name: 'l' }, spec: { holderIdentity: 'a' } },
    });
    await leases.listNamespacedLease({ namespace: 'default' });
    // Not served (no CRD): a 404 before any resource is known is not a resource request.
    const custom = kc.makeApiClient(CustomObjectsApi);
    await assert.rejects(
      custom.listClusterCustomObject({ group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows' }),
    );
    assert.deepEqual(s.faults.requests(), [
      { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', subresource: '', namespace: 'default' },
      { verb: 'list', group: 'coordination.k8s.io', resource: 'leases', subresource: '', namespace: 'default' },
    ]);
  });

  test('Services, Deployments, PDBs, NetworkPolicies and RBAC kinds are stored and discoverable', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    const labels = { app: 'x' };
    await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'svc' }, spec: { selector: labels, ports: [{ name: 'm', port: 9090 }] } },
    });
    const dep = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'd' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    assert.equal(dep.metadata?.generation, 1);
    const scaled = await apps.patchNamespacedDeployment({
      namespace: 'default',
      name: 'd',
      body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    assert.equal(scaled.spec?.replicas, 3);
    assert.equal(scaled.metadata?.generation, 2);
    await rbac.createClusterRole({
      body: { metadata: { name: 'cr' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'default',
      body: {
        metadata: { name: 'rb' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cr' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'default' }],
      },
    });
    assert.deepEqual((await rbac.readClusterRole({ name: 'cr' })).rules?.[0]?.verbs, ['get']);
    const apis = await fetchJson(s, '/apis');
    const groups = (apis['groups'] as { name: string }[]).map((g) => g.name);
    for (const g of ['apps', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io'])
      assert.ok(groups.includes(g), `discovery lists ${g}`);
    const policy = await fetchJson(s, '/apis/policy/v1');
    assert.deepEqual(
      (policy['resources'] as { name: string }[]).map((r) => r.name),
      ['poddisruptionbudgets', 'poddisruptionbudgets/status'],
    );
  });
});

async function fetchJson(s: RunningApiServer, path: string): Promise<Record<string, unknown>> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, s.url),
      { ca: s.caPem, headers: { Authorization: `Bearer ${s.token}` } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
