/**
 * Admission in the embedded API server: a real HTTPS webhook on loopback, configurations stored
 * through the API, writes through client-node. Matching, JSONPatch mutation, denial shape, Ignore
 * vs Fail with the webhook down, timeouts, UPDATE via patch with oldObject, service references.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { jsonPatchAnswer, startScriptedWebhook, type ScriptedWebhook } from './scripted-webhook.js';

let api: TestApiServer;
let hook: ScriptedWebhook;
let core: CoreV1Api;
let adm: AdmissionregistrationV1Api;
let n = 0;

before(async () => {
  hook = await startScriptedWebhook({ dnsNames: ['hooks.infra.svc'] });
  api = await startTestApiServer({ webhookServices: { 'infra/hooks:8443': `127.0.0.1:${hook.port}` } });
  core = api.kc.makeApiClient(CoreV1Api);
  adm = api.kc.makeApiClient(AdmissionregistrationV1Api);
  await core.createNamespace({ body: { metadata: { name: 'watched', labels: { admission: 'on' } } } });
  await core.createNamespace({ body: { metadata: { name: 'quiet' } } });
});
after(async () => {
  await api.stop();
  await hook.stop();
});

async function reset(): Promise<void> {
  for (const c of (await adm.listMutatingWebhookConfiguration()).items)
    await adm.deleteMutatingWebhookConfiguration({ name: c.metadata?.name ?? '' });
  for (const c of (await adm.listValidatingWebhookConfiguration()).items)
    await adm.deleteValidatingWebhookConfiguration({ name: c.metadata?.name ?? '' });
  hook.requests.length = 0;
  hook.answer = () => ({ allowed: true });
}

function webhook(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    clientConfig: { url: `${hook.url}/${name}`, caBundle: hook.caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 2,
    ...extra,
  };
}

async function mutating(name: string, hooks: Record<string, unknown>[]): Promise<void> {
  await adm.createMutatingWebhookConfiguration({ body: { metadata: { name }, webhooks: hooks } as never });
}
async function validating(name: string, hooks: Record<string, unknown>[]): Promise<void> {
  await adm.createValidatingWebhookConfiguration({ body: { metadata: { name }, webhooks: hooks } as never });
}

const cm = (
  labels?: Record<string, string>,
): { metadata: { name: string; labels?: Record<string, string> }; data: Record<string, string> } => ({
  metadata: { name: `cm-${++n}`, ...(labels ? { labels } : {}) },
  data: { a: '1' },
});

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof ApiException, String(error));
    return { code: error.code, body: JSON.parse(String(error.body)) as Record<string, unknown> };
  }
  assert.fail('the write succeeded');
}

describe('admission webhooks in the embedded API server', () => {
  beforeEach(reset);

  test('no configuration: writes never call out', async () => {
    await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    assert.equal(hook.requests.length, 0);
  });

  test('a mutating webhook sees an AdmissionReview and its JSONPatch is applied before storing', async () => {
    await mutating('m', [webhook('add-label')]);
    hook.answer = () =>
      jsonPatchAnswer([
        { op: 'add', path: '/metadata/labels', value: {} },
        { op: 'add', path: '/metadata/labels/example.io~1tier', value: 'gold' },
      ]);
    const created = await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    assert.equal(created.metadata?.labels?.['example.io/tier'], 'gold');
    const stored = await core.readNamespacedConfigMap({ name: created.metadata?.name ?? '', namespace: 'watched' });
    assert.equal(stored.metadata?.labels?.['example.io/tier'], 'gold');
    assert.equal(hook.requests.length, 1);
    const { path, review } = hook.requests[0] ?? assert.fail();
    assert.equal(path, '/add-label');
    assert.equal(review.operation, 'CREATE');
    assert.equal(review.namespace, 'watched');
    assert.equal(review.name, created.metadata?.name);
    assert.equal(review.oldObject, null);
    assert.equal(review.dryRun, false);
    assert.equal(typeof review.uid, 'string');
  });

  test('mutating webhooks run in order (configurations by name), each seeing the previous patch', async () => {
    await mutating('b-second', [webhook('second')]);
    await mutating('a-first', [webhook('first')]);
    hook.answer = (review, path) =>
      path === '/first'
        ? jsonPatchAnswer([{ op: 'add', path: '/data/first', value: 'yes' }])
        : jsonPatchAnswer([
            {
              op: 'add',
              path: '/data/second',
              value: String(
                review.object['data'] !== undefined &&
                  (review.object['data'] as Record<string, string>)['first'] === 'yes',
              ),
            },
          ]);
    const created = await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      ['/first', '/second'],
    );
    assert.equal(created.data?.['second'], 'true');
  });

  test('rules, objectSelector and namespaceSelector decide which webhooks are called', async () => {
    await validating('v', [
      webhook('by-object', { objectSelector: { matchLabels: { checked: 'yes' } } }),
      webhook('by-namespace', {
        namespaceSelector: { matchExpressions: [{ key: 'admission', operator: 'In', values: ['on'] }] },
      }),
      webhook('secrets-only', {
        rules: [
          { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['secrets'], scope: 'Namespaced' },
        ],
      }),
      webhook('cluster-only', {
        rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Cluster' }],
      }),
    ]);
    await core.createNamespacedConfigMap({ namespace: 'quiet', body: cm() });
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      [],
    );
    await core.createNamespacedConfigMap({ namespace: 'quiet', body: cm({ checked: 'yes' }) });
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      ['/by-object'],
    );
    hook.requests.length = 0;
    await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      ['/by-namespace'],
    );
    hook.requests.length = 0;
    await core.createNamespacedSecret({ namespace: 'quiet', body: { metadata: { name: `s-${++n}` } } });
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      ['/secrets-only'],
    );
  });

  test('a denial answers with the webhook status code and the real message shape; nothing is stored', async () => {
    await validating('v', [webhook('deny')]);
    hook.answer = () => ({
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: 'data.a: must not be 1' },
    });
    const body = cm();
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'watched', body }));
    assert.equal(err.code, 403);
    assert.equal(err.body['message'], 'admission webhook "deny" denied the request: data.a: must not be 1');
    assert.equal(err.body['reason'], 'Forbidden');
    await apiError(core.readNamespacedConfigMap({ name: body.metadata.name, namespace: 'watched' }));
    hook.answer = () => ({ allowed: false });
    const bare = await apiError(core.createNamespacedConfigMap({ namespace: 'watched', body: cm() }));
    assert.equal(bare.code, 400);
    assert.equal(bare.body['message'], 'admission webhook "deny" denied the request without explanation');
  });

  test('validating webhooks see the mutated, defaulted object', async () => {
    await mutating('m', [webhook('mutate')]);
    await validating('v', [webhook('validate')]);
    hook.answer = (_r, path) =>
      path === '/mutate' ? jsonPatchAnswer([{ op: 'add', path: '/data/added', value: 'x' }]) : { allowed: true };
    await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    const v = hook.requests.find((r) => r.path === '/validate');
    assert.equal((v?.review.object['data'] as Record<string, string>)['added'], 'x');
  });

  test('webhook down: Ignore proceeds, Fail refuses with 500 "failed calling webhook"', async () => {
    const down = `https://127.0.0.1:1/down`;
    await mutating('m', [
      webhook('ignored', { clientConfig: { url: down, caBundle: hook.caBundle }, failurePolicy: 'Ignore' }),
    ]);
    await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    await validating('v', [
      webhook('required', { clientConfig: { url: down, caBundle: hook.caBundle }, failurePolicy: 'Fail' }),
    ]);
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'watched', body: cm() }));
    assert.equal(err.code, 500);
    assert.equal(err.body['reason'], 'InternalError');
    assert.match(
      String(err.body['message']),
      /^Internal error occurred: failed calling webhook "required": failed to call webhook: Post "https:\/\/127\.0\.0\.1:1\/down\?timeout=2s": .*ECONNREFUSED/,
    );
  });

  test('a webhook that does not answer in timeoutSeconds: Ignore proceeds, Fail answers deadline exceeded', async () => {
    hook.answer = () => 'hang';
    await validating('v', [webhook('slow', { timeoutSeconds: 1, failurePolicy: 'Ignore' })]);
    await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    await reset();
    hook.answer = () => 'hang';
    await validating('v', [webhook('slow', { timeoutSeconds: 1, failurePolicy: 'Fail' })]);
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'watched', body: cm() }));
    assert.equal(err.code, 500);
    assert.match(
      String(err.body['message']),
      /failed calling webhook "slow": failed to call webhook: Post ".*\?timeout=1s": context deadline exceeded/,
    );
  });

  test('a certificate the caBundle does not trust is a call failure', async () => {
    const other = await startScriptedWebhook();
    try {
      await validating('v', [
        webhook('untrusted', { clientConfig: { url: `${hook.url}/x`, caBundle: other.caBundle } }),
      ]);
      const err = await apiError(core.createNamespacedConfigMap({ namespace: 'watched', body: cm() }));
      assert.equal(err.code, 500);
      assert.match(String(err.body['message']), /failed calling webhook "untrusted"/);
    } finally {
      await other.stop();
    }
  });

  test('a patch is admitted as UPDATE with oldObject; a status write does not match a main-resource rule', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    const name = created.metadata?.name ?? '';
    await mutating('m', [
      webhook('on-update', {
        rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps', 'pods'] }],
      }),
    ]);
    hook.answer = () => jsonPatchAnswer([{ op: 'add', path: '/data/touched', value: 'by-webhook' }]);
    const patched = await core.patchNamespacedConfigMap(
      { name, namespace: 'watched', body: { data: { b: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.data, { a: '1', b: '2', touched: 'by-webhook' });
    const { review } = hook.requests[0] ?? assert.fail();
    assert.equal(review.operation, 'UPDATE');
    assert.deepEqual((review.oldObject as { data: unknown }).data, { a: '1' });
    hook.requests.length = 0;
    const pod = await core.createNamespacedPod({
      namespace: 'watched',
      body: { metadata: { name: `p-${++n}` }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    });
    await core.patchNamespacedPodStatus(
      { name: pod.metadata?.name ?? '', namespace: 'watched', body: { status: { phase: 'Running' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      [],
    );
  });

  test('a service reference resolves through the server option and is verified as <svc>.<ns>.svc', async () => {
    await mutating('m', [
      webhook('by-service', {
        clientConfig: {
          service: { namespace: 'infra', name: 'hooks', port: 8443, path: '/svc' },
          caBundle: hook.caBundle,
        },
      }),
    ]);
    hook.answer = () => jsonPatchAnswer([{ op: 'add', path: '/data/via', value: 'service' }]);
    const created = await core.createNamespacedConfigMap({ namespace: 'watched', body: cm() });
    assert.equal(created.data?.['via'], 'service');
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      ['/svc'],
    );
    await reset();
    await validating('v', [
      webhook('unknown-service', {
        clientConfig: { service: { namespace: 'infra', name: 'nowhere' }, caBundle: hook.caBundle },
      }),
    ]);
    const err = await apiError(core.createNamespacedConfigMap({ namespace: 'watched', body: cm() }));
    assert.match(
      String(err.body['message']),
      /failed calling webhook "unknown-service": failed to call webhook: Post "https:\/\/nowhere\.infra\.svc:443\/\?timeout=2s"/,
    );
  });
});
