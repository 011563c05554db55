/**
 * Task Pods and the platform around them, with `flotilla controller` as a real process against the
 * embedded API server (simulated kubelet), a real Redis and the real admission webhook server
 * (registered through the API, called by the API server on Pod create):
 * PodTemplates (the task's own and the default one in the controller's namespace), secrets
 * injected by the webhook (and a missing one failing its node with the webhook's words),
 * interruptible attempts (tolerations and node selector until the last attempt), maxParallelism.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, Watch, type V1Pod } from '@kubernetes/client-node';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { SECRETS_WEBHOOK_NAME, webhookConfigurations } from '../../src/webhook/manifests.js';
import { KubeSecretKeyReader } from '../../src/webhook/secret-reader.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/webhook/server.js';
import { FileTlsSource } from '../../src/webhook/tls-source.js';
import { pino } from 'pino';
import { waitFor } from '../support/wait.js';
import {
  getWorkflow,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';

let env: ControllerEnv;
let hook: RunningWebhookServer;
let controller: ControllerProcessHandle;
/** Every Pod as first created (after admission), by name. */
const created = new Map<string, V1Pod>();
let stopWatch: (() => void) | undefined;

const SPOT = { key: 'spot', operator: 'Equal', value: 'true', effect: 'NoSchedule' };

const podTask = (extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}) => ({
  plugin: 'pod',
  pod: {
    image: 'busybox',
    command: ['run'],
    annotations: { 'flotilla.io/sim-duration': '300ms', 'flotilla.io/sim-message': '{}', ...annotations },
    ...extra,
  },
});

before(async () => {
  env = await startControllerEnv();
  await env.core.createNamespace({ body: { metadata: { name: 'flotilla-system' } } });
  const ca = await createCertificateAuthority({ commonName: 'pods-test-ca' });
  const serving = await issueCertificate(ca, {
    commonName: 'flotilla-webhook',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  writeFileSync(join(env.api.dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(env.api.dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  hook = await startWebhookServer({
    tls: new FileTlsSource(join(env.api.dir, 'tls.crt'), join(env.api.dir, 'tls.key')),
    port: 0,
    metricsPort: 0,
    secrets: new KubeSecretKeyReader(env.api.kc),
    logger: pino({ level: 'silent' }),
  });
  const adm = env.api.kc.makeApiClient(AdmissionregistrationV1Api);
  // Only the secrets webhook: the Workflow one would move the Workflows to their hash shards.
  const [mutating] = webhookConfigurations({ url: hook.url, caBundlePem: ca.certPem });
  const webhooks = (mutating['webhooks'] as Array<{ name: string }>).filter((w) => w.name === SECRETS_WEBHOOK_NAME);
  await adm.createMutatingWebhookConfiguration({ body: { ...mutating, webhooks } as never });

  await env.core.createNamespacedSecret({
    namespace: 'default',
    body: { metadata: { name: 'db' }, stringData: { password: 'hunter2', user: 'app' } },
  });
  await env.core.createNamespacedPodTemplate({
    namespace: 'flotilla-system',
    body: {
      metadata: { name: 'base' },
      template: {
        metadata: { labels: { 'team.example/cost-center': 'batch' } },
        spec: { containers: [{ name: 'default', image: 'ignored', env: [{ name: 'FROM_BASE', value: '1' }] }] },
      },
    },
  });
  await env.core.createNamespacedPodTemplate({
    namespace: 'default',
    body: {
      metadata: { name: 'gpu' },
      template: {
        spec: {
          containers: [
            {
              name: 'default',
              image: 'ignored',
              env: [{ name: 'FROM_GPU', value: '1' }],
              resources: { limits: { 'nvidia.com/gpu': '1' } },
            },
          ],
          nodeSelector: { accelerator: 'a100' },
        },
      },
    },
  });

  const watch = new Watch(env.api.kc);
  const request = await watch.watch(
    '/api/v1/namespaces/default/pods',
    {},
    (type: string, pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      if (type === 'ADDED' && !created.has(name)) created.set(name, pod);
    },
    () => undefined,
  );
  stopWatch = () => request.abort();

  controller = await spawnController({
    id: 'pods-0',
    kubeconfig: env.api.kubeconfigPath,
    redisUrl: env.redis.url,
    args: [
      '--default-pod-template',
      'base',
      '--interruptible-tolerations',
      JSON.stringify([SPOT]),
      '--interruptible-node-selector',
      'pool=spot',
    ],
  });
});

after(async () => {
  stopWatch?.();
  await controller?.stop();
  await hook?.stop();
  await env?.stop();
});

const podsOf = (wf: string): V1Pod[] =>
  [...created.values()]
    .filter((p) => p.metadata?.labels?.['flotilla.io/workflow'] === wf)
    .sort(
      (a, b) =>
        Number(a.metadata?.labels?.['flotilla.io/attempt']) - Number(b.metadata?.labels?.['flotilla.io/attempt']),
    );

const envOf = (pod: V1Pod | undefined) => pod?.spec?.containers[0]?.env ?? [];

describe('task Pods: templates, secrets, interruptible, maxParallelism', () => {
  test('a Pod gets its secret from the webhook and its template; another gets the default template', async () => {
    await submit(
      env,
      workflow('secret-and-template', {
        tasks: {
          own: podTask({
            podTemplateName: 'gpu',
            secrets: [
              { group: 'db', key: 'password', mountRequirement: 'ENV_VAR', envVar: 'DB_PASSWORD' },
              { group: 'db', key: 'user', mountRequirement: 'FILE' },
            ],
          }),
          plain: podTask(),
        },
        nodes: [
          { id: 'own', kind: 'task', task: 'own' },
          { id: 'plain', kind: 'task', task: 'plain' },
        ],
      }),
    );
    const done = await waitTerminal(env, 'secret-and-template');
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.nodes));
    const [own] = podsOf('secret-and-template').filter((p) => p.metadata?.labels?.['flotilla.io/node'] === 'own');
    assert.ok(own, 'the pod of node own was created');
    const env0 = envOf(own);
    const byName = (name: string) => env0.find((e) => e.name === name);
    // The template's default container under the task's container.
    assert.equal(byName('FROM_GPU')?.value, '1');
    assert.equal(byName('FROM_BASE'), undefined, "the task's own template replaces the default one");
    assert.equal(own.spec?.containers[0]?.image, 'busybox');
    assert.deepEqual(own.spec?.containers[0]?.resources?.limits, { 'nvidia.com/gpu': '1' });
    assert.deepEqual(own.spec?.nodeSelector, { accelerator: 'a100' });
    // The secrets, injected by the webhook on create, by Flyte's names.
    assert.deepEqual(byName('_FSEC_DB_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'db', key: 'password' });
    assert.deepEqual(byName('DB_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'db', key: 'password' });
    assert.equal(byName('FLYTE_SECRETS_ENV_PREFIX')?.value, '_FSEC_');
    assert.equal(byName('FLYTE_SECRETS_DEFAULT_DIR')?.value, '/etc/flyte/secrets');
    const volume = own.spec?.volumes?.find((v) => v.secret?.secretName === 'db');
    assert.deepEqual(volume?.secret?.items, [{ key: 'user', path: 'user' }]);
    assert.deepEqual(
      own.spec?.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name),
      { name: volume?.name, mountPath: '/etc/flyte/secrets/db', readOnly: true },
    );
    assert.ok(!JSON.stringify(own).includes('hunter2'), 'no secret value in the Pod');

    const [plain] = podsOf('secret-and-template').filter((p) => p.metadata?.labels?.['flotilla.io/node'] === 'plain');
    assert.equal(
      envOf(plain).find((e) => e.name === 'FROM_BASE')?.value,
      '1',
      'the default template from the controller namespace',
    );
    assert.equal(plain?.metadata?.labels?.['team.example/cost-center'], 'batch');
    assert.equal(plain?.metadata?.labels?.['flotilla.io/inject-secrets'], undefined);
  });

  test('a missing secret fails its node at once with the webhook’s message; a missing template too', async () => {
    await submit(
      env,
      workflow('missing-secret', {
        tasks: { t: podTask({ secrets: [{ group: 'vault', key: 'token' }] }) },
        nodes: [{ id: 't', kind: 'task', task: 't' }],
      }),
    );
    await submit(
      env,
      workflow('missing-key', {
        tasks: { t: podTask({ secrets: [{ group: 'db', key: 'apikey', mountRequirement: 'ENV_VAR' }] }) },
        nodes: [{ id: 't', kind: 'task', task: 't' }],
      }),
    );
    await submit(
      env,
      workflow('missing-template', {
        tasks: { t: podTask({ podTemplateName: 'nope' }) },
        nodes: [{ id: 't', kind: 'task', task: 't' }],
      }),
    );
    const secret = await waitTerminal(env, 'missing-secret');
    assert.equal(secret.status?.phase, 'Failed');
    const node = secret.status?.nodes?.['t'];
    assert.equal(node?.phase, 'Failed');
    assert.equal(node?.attempts, 1, 'not retried');
    assert.match(node?.message ?? '', /Secret default\/vault \(key token\), which does not exist/);
    const key = await waitTerminal(env, 'missing-key');
    assert.match(
      key.status?.nodes?.['t']?.message ?? '',
      /key apikey of Secret default\/db, which has only password, user/,
    );
    const template = await waitTerminal(env, 'missing-template');
    assert.match(
      template.status?.nodes?.['t']?.message ?? '',
      /PodTemplate 'nope' does not exist in namespace default or flotilla-system/,
    );
    assert.equal(podsOf('missing-secret').length, 0, 'no Pod was ever stored');
  });

  test('interruptible attempts get the tolerations and node selector; the last attempt does not', async () => {
    await submit(
      env,
      workflow('preempted', {
        tasks: { t: { ...podTask({}, { 'flotilla.io/sim-failure': 'Evicted' }), interruptible: true } },
        nodes: [{ id: 't', kind: 'task', task: 't' }],
      }),
    );
    const done = await waitTerminal(env, 'preempted', 60_000);
    assert.equal(done.status?.phase, 'Failed');
    assert.equal(done.status?.nodes?.['t']?.systemFailures, 4);
    const pods = podsOf('preempted');
    assert.deepEqual(
      pods.map((p) => p.metadata?.labels?.['flotilla.io/attempt']),
      ['1', '2', '3', '4'],
    );
    for (const pod of pods.slice(0, 3)) {
      assert.deepEqual(pod.spec?.tolerations, [SPOT], pod.metadata?.name);
      assert.deepEqual(pod.spec?.nodeSelector, { pool: 'spot' }, pod.metadata?.name);
      assert.equal(pod.metadata?.labels?.['flotilla.io/interruptible'], 'true');
    }
    const last = pods[3];
    assert.equal(last?.spec?.tolerations, undefined, 'the last attempt tolerates no spot taint');
    assert.equal(last?.spec?.nodeSelector, undefined);
    assert.equal(last?.metadata?.labels?.['flotilla.io/interruptible'], undefined);
  });

  test('maxParallelism bounds the nodes running at once', async () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, kind: 'task', task: 't' }));
    await submit(
      env,
      workflow('bounded', {
        tasks: { t: podTask({}, { 'flotilla.io/sim-duration': '1s' }) },
        nodes,
        maxParallelism: 2,
      }),
    );
    let most = 0;
    await waitFor(
      async () => {
        const wf = await getWorkflow(env, 'bounded');
        const running = Object.values(wf?.status?.nodes ?? {}).filter((n) => n.phase === 'Running').length;
        most = Math.max(most, running);
        return wf?.status?.phase === 'Succeeded' || wf?.status?.phase === 'Failed';
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'bounded to finish' },
    );
    const done = await getWorkflow(env, 'bounded');
    assert.equal(done?.status?.phase, 'Succeeded');
    assert.equal(most, 2, 'two nodes ran at once, never more');
    assert.equal(podsOf('bounded').length, 5, 'every node ran its Pod');
  });
});
