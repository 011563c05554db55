/**
 * The embedded API server's users and RBAC (sandbox/apiserver/authz.ts) through client-node: the
 * admin token is allowed everything; a user gets what RoleBindings and ClusterRoleBindings grant
 * (verbs, groups, resources, subresources, resourceNames) and the real server's 403 text otherwise;
 * an unknown token is a 401; `/_flotilla/` is the admin's only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { toKubeError } from '../../src/kube/errors.js';

let api: TestApiServer;

function asUser(token: string): CoreV1Api {
  const kc = new KubeConfig();
  const cluster = api.kc.getCurrentCluster();
  assert.ok(cluster);
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'u', cluster: cluster.name, user: 'u' }],
    currentContext: 'u',
  });
  return kc.makeApiClient(CoreV1Api);
}

async function refusal(call: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  try {
    await call;
  } catch (error) {
    const kube = toKubeError(error, 'call');
    return { status: kube.status, message: kube.serverMessage ?? kube.message };
  }
  return { status: 200, message: '' };
}

describe('embedded API server: users and RBAC', () => {
  before(async () => {
    api = await startTestApiServer({
      users: [
        { token: 'alice-token', name: 'alice' },
        { token: 'bob-token', name: 'bob', groups: ['auditors'] },
      ],
    });
    const rbac = api.kc.makeApiClient(RbacAuthorizationV1Api);
    const core = api.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'team' } } });
    await core.createNamespacedConfigMap({
      namespace: 'team',
      body: { metadata: { name: 'public' }, data: { a: '1' } },
    });
    await core.createNamespacedConfigMap({
      namespace: 'team',
      body: { metadata: { name: 'private' }, data: { b: '2' } },
    });
    await rbac.createNamespacedRole({
      namespace: 'team',
      body: {
        metadata: { name: 'cm-reader' },
        rules: [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'delete'], resourceNames: ['public'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'team',
      body: {
        metadata: { name: 'alice-reads' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
        subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'ns-viewer' },
        rules: [{ apiGroups: ['*'], resources: ['namespaces'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'auditors-view-namespaces' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ns-viewer' },
        subjects: [{ kind: 'Group', name: 'auditors', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
  });
  after(async () => {
    await api.stop();
  });

  test('a Role grants verbs and names in its namespace only; everything else is the real 403 text', async () => {
    const alice = asUser('alice-token');
    assert.equal((await alice.listNamespacedConfigMap({ namespace: 'team' })).items.length, 2);
    assert.equal((await alice.readNamespacedConfigMap({ namespace: 'team', name: 'public' })).data?.['a'], '1');
    assert.deepEqual(await refusal(alice.readNamespacedConfigMap({ namespace: 'team', name: 'private' })), {
      status: 403,
      message:
        'configmaps "private" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "team"',
    });
    assert.deepEqual(await refusal(alice.listNamespacedConfigMap({ namespace: 'default' })), {
      status: 403,
      message:
        'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"',
    });
    assert.equal((await refusal(alice.listNamespace())).status, 403);
    await alice.deleteNamespacedConfigMap({ namespace: 'team', name: 'public' });
  });

  test('a ClusterRoleBinding to a group applies at the cluster scope', async () => {
    const bob = asUser('bob-token');
    assert.ok((await bob.listNamespace()).items.some((ns) => ns.metadata?.name === 'team'));
    const denied = await refusal(bob.deleteNamespace({ name: 'team' }));
    assert.equal(denied.status, 403);
    assert.match(denied.message, /User "bob" cannot delete resource "namespaces" in API group "" at the cluster scope/);
  });

  test('an unknown token is a 401; /_flotilla/ answers the admin only', async () => {
    assert.equal((await refusal(asUser('nobody').listNamespace())).status, 401);
    const status = await new Promise<number>((resolve, reject) => {
      import('node:https')
        .then(({ request }) => {
          const req = request(
            `${api.server.url}/_flotilla/audit`,
            { ca: api.server.caPem, headers: { authorization: 'Bearer alice-token' } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        })
        .catch(reject);
    });
    assert.equal(status, 403);
  });
});
