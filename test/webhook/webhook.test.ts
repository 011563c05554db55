/**
 * `flotilla webhook` as a real process behind the embedded API server, driven by real kubectl:
 * shard label on apply, denial output, metrics, webhook down with Ignore (the manager's labeller
 * labels) and with Fail (refused with the real error).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { CRD_FILE } from '../../src/api/crd.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { VALIDATING_WEBHOOK_NAME, webhookConfigurations } from '../../src/webhook/manifests.js';
import { WorkflowLabeller } from '../../shard-manager/manager/labeller.js';
import { SHARD_LABEL, hashShardId } from '../../shard-manager/sharding/hash.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { validWorkflow } from '../support/workflows.js';
import { waitFor } from '../support/wait.js';
import { startWebhookProcess, type WebhookProcess } from './process.js';

let api: TestApiServer;
let hook: WebhookProcess | undefined;
let caPem = '';

const yamlOf = (obj: unknown): string => JSON.stringify(obj);

function workflow(name: string): ReturnType<typeof validWorkflow> {
  const wf = validWorkflow();
  wf.metadata = { name, namespace: 'team-a' };
  return wf;
}

async function shardLabelOf(name: string): Promise<string> {
  const got = await api.kubectl([
    'get',
    'workflow',
    name,
    '-n',
    'team-a',
    '-o',
    'jsonpath={.metadata.labels.flotilla\\.io/shard}',
  ]);
  assert.equal(got.code, 0, got.stderr);
  return got.stdout;
}

before(async () => {
  api = await startTestApiServer();
  const applied = await api.kubectl(['apply', '-f', CRD_FILE]);
  assert.equal(applied.code, 0, applied.stderr);
  await api.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'team-a' } } });
  const ca = await createCertificateAuthority({ commonName: 'webhook-test-ca' });
  caPem = ca.certPem;
  const serving = await issueCertificate(ca, {
    commonName: 'flotilla-webhook',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  writeFileSync(join(api.dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(api.dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  hook = await startWebhookProcess([
    '--tls-cert-file',
    join(api.dir, 'tls.crt'),
    '--tls-key-file',
    join(api.dir, 'tls.key'),
    '--shards',
    '32',
  ]);
  for (const config of webhookConfigurations({ url: hook.url, caBundlePem: caPem })) {
    const r = await api.kubectl(['apply', '-f', '-'], { input: yamlOf(config) });
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await hook?.stop();
  await api.stop();
});

describe('flotilla webhook behind the API server', () => {
  test('kubectl apply of a valid Workflow gets its shard label at once', async () => {
    const r = await api.kubectl(['apply', '-f', '-'], { input: yamlOf(workflow('nightly-etl')) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await shardLabelOf('nightly-etl'), hashShardId('team-a', 'nightly-etl', 32));
  });

  test('a wrong shard label is corrected on create', async () => {
    const wf = workflow('mislabelled');
    wf.metadata['labels'] = { [SHARD_LABEL]: '999', team: 'a' };
    const r = await api.kubectl(['create', '-f', '-'], { input: yamlOf(wf) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await shardLabelOf('mislabelled'), hashShardId('team-a', 'mislabelled', 32));
  });

  test('an invalid Workflow is refused: kubectl prints the webhook, the field path and the reason', async () => {
    const wf = workflow('broken');
    const spec = wf.spec as { nodes: { id: string; task?: string }[] };
    const first = spec.nodes[0];
    assert.ok(first);
    first.task = 'no-such-task';
    const r = await api.kubectl(['apply', '-f', '-'], { input: yamlOf(wf) });
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(`admission webhook "${VALIDATING_WEBHOOK_NAME.replace(/\./g, '\\.')}" denied the request`),
    );
    assert.match(r.stderr, /spec\.nodes\[0\]\.task: .*no-such-task/);
    assert.ok(
      r.stderr.startsWith(
        `Error from server (BadRequest): error when creating "STDIN": admission webhook "${VALIDATING_WEBHOOK_NAME}" denied the request: spec.nodes[0].task: `,
      ),
      r.stderr,
    );
    const get = await api.kubectl(['get', 'workflow', 'broken', '-n', 'team-a']);
    assert.notEqual(get.code, 0);
  });

  test('every issue is listed, one path: message per line', async () => {
    const wf = workflow('twice-broken');
    const spec = wf.spec as { nodes: { id: string; task?: string; dependsOn?: string[] }[] };
    const [first, , gate] = spec.nodes;
    assert.ok(first && gate);
    first.task = 'missing';
    gate.dependsOn = ['ghost'];
    const r = await api.kubectl(['create', '-f', '-'], { input: yamlOf(wf) });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.ok(
      lines.some((l) => /denied the request: spec\.nodes\[0\]\.task: /.test(l)),
      r.stderr,
    );
    assert.ok(
      lines.some((l) => /^spec\.nodes\[2\]\.dependsOn(\[0\])?: .*ghost/.test(l)),
      r.stderr,
    );
  });

  test('an update to a shard label no replica owns is allowed with a warning kubectl prints', async () => {
    const r = await api.kubectl([
      'label',
      'workflow',
      'nightly-etl',
      '-n',
      'team-a',
      `${SHARD_LABEL}=40`,
      '--overwrite',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /Warning: metadata\.labels\[flotilla\.io\/shard\]: "40" is not a shard of this fleet \(0-31\)/,
    );
    assert.equal(await shardLabelOf('nightly-etl'), '40');
  });

  test('/metrics counts reviews by path and result; /healthz answers', async () => {
    const text = await (await fetch(`${hook?.metricsUrl ?? ''}/metrics`)).text();
    assert.match(text, /flotilla_webhook_requests_total\{path="\/mutate-workflows",result="patched"\} [1-9]/);
    assert.match(text, /flotilla_webhook_requests_total\{path="\/validate-workflows",result="denied"\} [1-9]/);
    assert.match(text, /flotilla_webhook_request_duration_seconds_count\{path="\/validate-workflows"\} [1-9]/);
    assert.match(text, /flotilla_webhook_certificate_expiry_timestamp_seconds \d+/);
    assert.equal(await (await fetch(`${hook?.metricsUrl ?? ''}/healthz`)).text(), 'ok\n');
  });

  test('webhook down with failurePolicy Ignore: creation succeeds and the manager labeller labels it', async () => {
    await hook?.stop();
    const r = await api.kubectl(['apply', '-f', '-'], { input: yamlOf(workflow('while-down')) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await shardLabelOf('while-down'), '');
    const labeller = new WorkflowLabeller({ kubeConfig: api.kc, shardCount: 32 });
    await labeller.start();
    try {
      await waitFor(async () => (await shardLabelOf('while-down')) !== '', {
        what: 'the labeller labels while-down',
        timeoutMs: 20_000,
      });
      assert.equal(await shardLabelOf('while-down'), hashShardId('team-a', 'while-down', 32));
    } finally {
      await labeller.stop();
    }
  });

  test('webhook down with failurePolicy Fail: creation is refused with the real error', async () => {
    const [, validating] = webhookConfigurations({ url: hook?.url ?? '', caBundlePem: caPem, failurePolicy: 'Fail' });
    const applied = await api.kubectl(['apply', '-f', '-'], { input: yamlOf(validating) });
    assert.equal(applied.code, 0, applied.stderr);
    const r = await api.kubectl(['apply', '-f', '-'], { input: yamlOf(workflow('refused')) });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `Internal error occurred: failed calling webhook "${VALIDATING_WEBHOOK_NAME.replace(/\./g, '\\.')}": failed to call webhook: Post "https://127\\.0\\.0\\.1:\\d+/validate-workflows\\?timeout=3s"`,
      ),
    );
  });
});
