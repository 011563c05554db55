/**
 * The sandbox runs the secrets webhook: a task Pod labelled as the pod plugins label it gets its
 * secret injected by the embedded API server's call to the real `/mutate-pods`, and a Pod naming a
 * missing Secret is refused with the webhook's words. No fleet needed: Pods are created directly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { secretsMetadata } from '../../src/api/secrets.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/sandbox.js';

let dir: string;
let sandbox: RunningSandbox;
let core: CoreV1Api;

const taskPod = (name: string, group: string): V1Pod => {
  const meta = secretsMetadata([{ group, key: 'token', mountRequirement: 'ENV_VAR' }]);
  return {
    metadata: { name, labels: meta.labels, annotations: meta.annotations },
    spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'busybox' }] },
  };
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-sandbox-secrets-'));
  sandbox = await startSandbox({ stateDir: dir, fleet: false, kubelet: false });
  core = sandbox.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace: 'default',
    body: { metadata: { name: 'api' }, stringData: { token: 't0ken' } },
  });
});

after(async () => {
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('sandbox secrets webhook', () => {
  test('a Pod asking for a secret gets it; one asking for a missing Secret is refused', async () => {
    const created = await core.createNamespacedPod({ namespace: 'default', body: taskPod('with-secret', 'api') });
    const env = created.spec?.containers[0]?.env ?? [];
    assert.deepEqual(JSON.parse(JSON.stringify(env.find((e) => e.name === '_FSEC_API_TOKEN')?.valueFrom)), {
      secretKeyRef: { name: 'api', key: 'token' },
    });
    let refused: ApiException<unknown> | undefined;
    try {
      await core.createNamespacedPod({ namespace: 'default', body: taskPod('without', 'nope') });
    } catch (error) {
      if (error instanceof ApiException) refused = error;
    }
    assert.equal(refused?.code, 400);
    assert.match(
      String(refused?.body),
      /secrets\.pods\.flotilla\.io.*Secret default\/nope \(key token\), which does not exist/,
    );
    const plain = await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });
    assert.equal(plain.spec?.containers[0]?.env, undefined, 'an unlabelled Pod is not sent to the webhook');
  });
});
