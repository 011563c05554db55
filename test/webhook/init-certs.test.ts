/**
 * `flotilla init-certs` against the embedded API server, with the webhook reached as a Service
 * (`flotilla/flotilla-webhook:443`, verified as `flotilla-webhook.flotilla.svc`) and reading its
 * certificate from the Secret: creation, idempotence (no write on a second run), and rotation
 * while Workflows keep being created through webhooks with failurePolicy Fail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { CRD_FILE } from '../../src/api/crd.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import type { Workflow } from '../../src/api/workflow.js';
import { splitBundle } from '../../src/webhook/cert-check.js';
import { FENCE_CONFIG_NAME, fenceWebhookConfiguration, webhookConfigurations } from '../../src/webhook/manifests.js';
import { SHARD_LABEL, hashShardId } from '../../shard-manager/sharding/hash.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { runFlotilla, startWebhookProcess, type WebhookProcess } from './process.js';

let api: TestApiServer;
let hook: WebhookProcess | undefined;
let webhookAddress: string | undefined;
let n = 0;

interface Result {
  secret: string;
  mutating: string;
  validating: string;
  fence: string;
  bundleCas: number;
}

async function initCerts(...extra: string[]): Promise<Result> {
  const r = await runFlotilla([
    'init-certs',
    '--kubeconfig',
    api.kubeconfigPath,
    '--namespace',
    'flotilla',
    '--service',
    'flotilla-webhook',
    '--secret',
    'flotilla-webhook-tls',
    '-o',
    'json',
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Result;
}

async function resourceVersions(): Promise<string[]> {
  const out: string[] = [];
  for (const what of [
    'secret/flotilla-webhook-tls',
    'mutatingwebhookconfiguration/flotilla-workflows',
    'validatingwebhookconfiguration/flotilla-workflows',
  ]) {
    const r = await api.kubectl(['get', what, '-n', 'flotilla', '-o', 'jsonpath={.metadata.resourceVersion}']);
    assert.equal(r.code, 0, r.stderr);
    out.push(r.stdout);
  }
  return out;
}

async function bundleCas(config = 'flotilla-workflows', webhook = 0): Promise<string[]> {
  const r = await api.kubectl([
    'get',
    'validatingwebhookconfiguration',
    config,
    '-o',
    `jsonpath={.webhooks[${webhook}].clientConfig.caBundle}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return splitBundle(Buffer.from(r.stdout, 'base64').toString('utf8'));
}

async function secretCa(): Promise<string> {
  const r = await api.kubectl([
    'get',
    'secret',
    'flotilla-webhook-tls',
    '-n',
    'flotilla',
    '-o',
    'jsonpath={.data.ca\\.crt}',
  ]);
  return Buffer.from(r.stdout, 'base64').toString('utf8');
}

const workflow = (): Workflow => ({
  apiVersion: 'flotilla.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name: `wf-${++n}`, namespace: 'team-a' } as Workflow['metadata'],
  spec: { tasks: { t: { plugin: 'echo' } }, nodes: [{ id: 'a', kind: 'task', task: 't' }] },
});

async function reloads(): Promise<number> {
  const text = await (await fetch(`${hook?.metricsUrl ?? ''}/metrics`)).text();
  return Number(text.match(/flotilla_webhook_certificate_reloads_total\{result="ok"\} (\d+)/)?.[1] ?? 0);
}

before(async () => {
  api = await startTestApiServer({
    webhookServices: (ref) =>
      ref.namespace === 'flotilla' && ref.name === 'flotilla-webhook' && ref.port === 443 ? webhookAddress : undefined,
  });
  const applied = await api.kubectl(['apply', '-f', CRD_FILE]);
  assert.equal(applied.code, 0, applied.stderr);
  const core = api.kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'flotilla' } } });
  await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
  // Fail on both sides: any call that does not get through shows up as a refused create.
  for (const config of webhookConfigurations({
    service: { namespace: 'flotilla', name: 'flotilla-webhook' },
    failurePolicy: 'Fail',
  })) {
    const r = await api.kubectl(['apply', '-f', '-'], { input: JSON.stringify(config) });
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await hook?.stop();
  await api.stop();
});

describe('flotilla init-certs', () => {
  test('first run creates the Secret and patches both caBundles; --write-dir writes the same files', async () => {
    const dir = join(api.dir, 'certs');
    const first = await initCerts('--write-dir', dir);
    assert.deepEqual(first, {
      ...first,
      secret: 'created',
      mutating: 'patched',
      validating: 'patched',
      fence: 'skipped',
      bundleCas: 1,
    });
    const type = await api.kubectl([
      'get',
      'secret',
      'flotilla-webhook-tls',
      '-n',
      'flotilla',
      '-o',
      'jsonpath={.type}',
    ]);
    assert.equal(type.stdout, 'kubernetes.io/tls');
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), await secretCa());
    assert.deepEqual(await bundleCas(), splitBundle(await secretCa()));
  });

  test('a second run changes nothing (same resourceVersions)', async () => {
    const before = await resourceVersions();
    const second = await initCerts();
    assert.deepEqual(
      { secret: second.secret, mutating: second.mutating, validating: second.validating },
      { secret: 'reused', mutating: 'unchanged', validating: 'unchanged' },
    );
    assert.deepEqual(await resourceVersions(), before);
  });

  test('the webhook serves the Secret and answers through the Service reference', async () => {
    hook = await startWebhookProcess([
      '--tls-secret',
      'flotilla/flotilla-webhook-tls',
      '--kubeconfig',
      api.kubeconfigPath,
      '--reload-interval',
      '300',
    ]);
    webhookAddress = `127.0.0.1:${hook.port}`;
    const client = new WorkflowClient(api.kc);
    const created = await client.create(workflow());
    assert.equal(created.metadata.labels?.[SHARD_LABEL], hashShardId('team-a', created.metadata.name, 32));
  });

  test('rotation keeps the webhook answering: creates during and after it all pass both webhooks', async () => {
    const client = new WorkflowClient(api.kc);
    const oldCa = await secretCa();
    const reloadsBefore = await reloads();
    let stop = false;
    const outcomes: { name: string; label: string | undefined; error?: string }[] = [];
    const loop = (async () => {
      while (!stop) {
        const wf = workflow();
        try {
          const created = await client.create(wf);
          outcomes.push({ name: wf.metadata.name, label: created.metadata.labels?.[SHARD_LABEL] });
        } catch (error) {
          const cause =
            error instanceof Error && error.cause instanceof Error
              ? ` ${String((error.cause as { body?: unknown }).body ?? error.cause.message)}`
              : '';
          outcomes.push({
            name: wf.metadata.name,
            label: undefined,
            error: `${error instanceof Error ? error.message : String(error)}${cause}`,
          });
        }
      }
    })();
    try {
      const rotated = await initCerts('--force');
      assert.equal(rotated.secret, 'rotated');
      assert.equal(rotated.bundleCas, 2);
      await waitFor(async () => (await reloads()) > reloadsBefore, {
        what: 'the webhook reloads the rotated certificate',
        timeoutMs: 20_000,
      });
      const atReload = outcomes.length;
      await waitFor(() => outcomes.length >= atReload + 5, {
        what: 'five creates after the reload',
        timeoutMs: 20_000,
      });
    } finally {
      stop = true;
      await loop;
    }
    assert.ok(outcomes.length >= 5);
    for (const o of outcomes) {
      assert.equal(o.error, undefined, `${o.name}: ${o.error ?? ''}`);
      assert.equal(o.label, hashShardId('team-a', o.name, 32), o.name);
    }
    const cas = await bundleCas();
    assert.deepEqual(cas, [...splitBundle(await secretCa()), ...splitBundle(oldCa)]);
    const third = await initCerts('--force');
    assert.equal(third.bundleCas, 2);
    const after = await bundleCas();
    assert.ok(!after.includes(splitBundle(oldCa)[0] ?? ''), 'the CA two rotations old is dropped');
    assert.equal(after[1], cas[0]);
  });

  test('an expiring certificate is rotated without --force (--rotate-before beyond its validity)', async () => {
    const r = await initCerts('--rotate-before', '400', '--validity-days', '500');
    assert.equal(r.secret, 'rotated');
  });

  test("--fence-config patches the fence's configuration too (both of its webhooks), once", async () => {
    const fence = fenceWebhookConfiguration({ service: { namespace: 'flotilla', name: 'flotilla-webhook' } });
    const created = await api.kubectl(['apply', '-f', '-'], { input: JSON.stringify(fence) });
    assert.equal(created.code, 0, created.stderr);
    const skipped = await initCerts();
    assert.equal(skipped.fence, 'skipped');
    assert.deepEqual(await bundleCas(FENCE_CONFIG_NAME, 0), [], 'left alone without --fence-config');
    const patched = await initCerts('--fence-config', FENCE_CONFIG_NAME);
    assert.deepEqual(
      { secret: patched.secret, mutating: patched.mutating, validating: patched.validating, fence: patched.fence },
      { secret: 'reused', mutating: 'unchanged', validating: 'unchanged', fence: 'patched' },
    );
    const ca = splitBundle(await secretCa());
    for (const webhook of [0, 1])
      assert.deepEqual(await bundleCas(FENCE_CONFIG_NAME, webhook), ca, `webhook ${webhook}`);
    assert.equal((await initCerts('--fence-config', FENCE_CONFIG_NAME)).fence, 'unchanged');
    assert.equal((await initCerts('--fence-config', 'absent-fence')).fence, 'missing');
  });
});
