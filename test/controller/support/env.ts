/**
 * The embedded API server with a Workflow CRD installed, and a few object helpers, for the
 * controller's integration tests. By default the real CRD (`workflowCrd()`, with its schema, so
 * status writes are validated like in a cluster); `crd: 'loose'` installs a minimal one (spec and
 * status preserve unknown fields) for tests that write arbitrary objects.
 */
import { request } from 'node:https';
import { workflowCrd } from '../../../src/api/crd.js';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startApiServer } from '../../../sandbox/apiserver/index.js';
import { loadKubeConfig } from '../../../src/kube/config.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../../../src/kube/workflow-client.js';
import type { Workflow } from '../../../src/api/workflow.js';
import { waitFor } from '../../support/wait.js';

export type ApiServer = Awaited<ReturnType<typeof startApiServer>>;

export interface TestEnv {
  server: ApiServer;
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  stop(): Promise<void>;
}

/** POSTs raw JSON (client-node's typed serializer would drop `x-kubernetes-*` keys of a plain object). */
function postJson(server: ApiServer, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method: 'POST',
        ca: server.caPem,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`POST ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

export async function startEnv(options: { crd?: 'full' | 'loose' } = {}): Promise<TestEnv> {
  const server = await startApiServer({ port: 0, kubelet: false });
  const kubeConfig = loadKubeConfig({ yaml: server.kubeconfig });
  if ((options.crd ?? 'full') === 'full') {
    await postJson(server, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', workflowCrd());
    return finish(server, kubeConfig);
  }
  const ext = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const loose = { type: 'object', x_kubernetes_preserve_unknown_fields: true };
  await ext.createCustomResourceDefinition({
    body: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${WORKFLOW_PLURAL}.${WORKFLOW_GROUP}` },
      spec: {
        group: WORKFLOW_GROUP,
        scope: 'Namespaced',
        names: { plural: WORKFLOW_PLURAL, singular: 'workflow', kind: 'Workflow', shortNames: ['wf'] },
        versions: [
          {
            name: WORKFLOW_VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: loose, status: loose } } },
          },
        ],
      },
    },
  });
  return finish(server, kubeConfig);
}

async function finish(server: ApiServer, kubeConfig: KubeConfig): Promise<TestEnv> {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await waitFor(
    async () => {
      await custom.listClusterCustomObject({
        group: WORKFLOW_GROUP,
        version: WORKFLOW_VERSION,
        plural: WORKFLOW_PLURAL,
      });
      return true;
    },
    { what: 'workflows served' },
  );
  return { server, kubeConfig, custom, core, stop: () => server.stop() };
}

export function workflowObject(namespace: string, name: string, labels: Record<string, string> = {}): Workflow {
  return {
    apiVersion: 'flotilla.io/v1alpha1',
    kind: 'Workflow',
    metadata: { namespace, name, labels } as Workflow['metadata'],
    spec: {
      tasks: { t: { plugin: 'echo' } },
      nodes: [{ id: 'a', kind: 'task', task: 't' }],
    } as unknown as Workflow['spec'],
  };
}

export async function createWorkflow(
  env: TestEnv,
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<Workflow> {
  return (await env.custom.createNamespacedCustomObject({
    group: WORKFLOW_GROUP,
    version: WORKFLOW_VERSION,
    plural: WORKFLOW_PLURAL,
    namespace,
    body: workflowObject(namespace, name, labels),
  })) as Workflow;
}

export async function createPod(
  env: TestEnv,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  owner?: Workflow,
): Promise<V1Pod> {
  return env.core.createNamespacedPod({
    namespace,
    body: {
      metadata: {
        name,
        namespace,
        labels,
        ownerReferences: owner
          ? [
              {
                apiVersion: 'flotilla.io/v1alpha1',
                kind: 'Workflow',
                name: owner.metadata.name,
                uid: owner.metadata.uid,
              },
            ]
          : undefined,
      },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    },
  });
}
