/**
 * The chart's admission webhook: its Mutating/ValidatingWebhookConfigurations equal
 * `webhookConfigurations()` from src/webhook/manifests.ts (names, rules, policies, service ref;
 * the chart adds only its labels and leaves caBundle to init-certs), the values reach them, the
 * Deployment mounts the Secret as files and passes the fleet's shard count, and the init-certs
 * Job is a post-install/post-upgrade hook pointed at the same Service, Secret and configurations.
 * The fence (`webhook.fence.*`, on with the webhook by default): `--fence` and the fleet namespace
 * on the webhook, its configuration equal to `fenceWebhookConfiguration()`, init-certs told to fill
 * its caBundle; off: none of the three.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fenceWebhookConfiguration, webhookConfigurations, type JsonMap } from '../../src/webhook/manifests.js';
import { podSpecs, render, valuesFile, type Manifest } from './helm.js';

const NS = 'flotilla-system';
const named = (ms: readonly Manifest[], kind: string, name: string): Manifest | undefined =>
  ms.find((m) => m.kind === kind && m.metadata.name === name);

/** The chart's object with the code's label set (the chart's other labels are release bookkeeping). */
function comparable(m: Manifest, codeLabels: Record<string, string>): JsonMap {
  const labels = m.metadata.labels ?? {};
  for (const [k, v] of Object.entries(codeLabels)) assert.equal(labels[k], v, `${m.kind} label ${k}`);
  return { ...m, metadata: { name: m.metadata.name, labels: codeLabels } };
}

describe('chart webhook', () => {
  test('configurations equal webhookConfigurations() (default values, webhook on)', async () => {
    const { manifests } = await render({ set: ['webhook.enabled=true'] });
    const expected = webhookConfigurations({ service: { namespace: NS, name: 'flotilla-webhook', port: 443 } });
    for (const want of expected) {
      const meta = want['metadata'] as { name: string; labels: Record<string, string> };
      const got = named(manifests, want['kind'] as string, meta.name);
      assert.ok(got, `${String(want['kind'])} ${meta.name} rendered`);
      assert.deepEqual(comparable(got, meta.labels), want);
    }
  });

  test('the comparison notices drift (not vacuous)', async () => {
    const { manifests } = await render({ set: ['webhook.enabled=true', 'webhook.timeoutSeconds=4'] });
    const [mutating] = webhookConfigurations({ service: { namespace: NS, name: 'flotilla-webhook', port: 443 } });
    const got = named(manifests, 'MutatingWebhookConfiguration', 'flotilla-workflows');
    assert.ok(got);
    assert.notDeepEqual(
      comparable(got, { 'app.kubernetes.io/name': 'flotilla', 'app.kubernetes.io/component': 'webhook' }),
      mutating,
    );
  });

  test('values: failure policy per side, timeout, release-scoped names', async () => {
    const { manifests } = await render({ release: 'prod', valuesFiles: [valuesFile('webhook')] });
    const expected = webhookConfigurations({
      service: { namespace: NS, name: 'prod-flotilla-webhook', port: 443 },
      name: 'prod-flotilla-workflows',
      timeoutSeconds: 5,
    });
    const [mutating, validating] = expected;
    ((validating['webhooks'] as JsonMap[])[0] as JsonMap)['failurePolicy'] = 'Fail';
    for (const want of [mutating, validating]) {
      const meta = want['metadata'] as { name: string; labels: Record<string, string> };
      const got = named(manifests, want['kind'] as string, meta.name);
      assert.ok(got, `${String(want['kind'])} ${meta.name}`);
      assert.deepEqual(comparable(got, meta.labels), want);
    }
  });

  test('Deployment: replicas, Secret mounted as files, shard count, probes on /healthz of the metrics port, a token for reading Secrets', async () => {
    const { manifests } = await render({ valuesFiles: [valuesFile('webhook')] });
    const deploy = named(manifests, 'Deployment', 'flotilla-webhook');
    assert.ok(deploy);
    assert.equal((deploy['spec'] as { replicas: number }).replicas, 3);
    const pod = podSpecs(manifests).find((p) => p.name === 'flotilla-webhook');
    assert.ok(pod);
    const c = pod.spec.containers[0];
    assert.ok(c);
    const args = c.args ?? [];
    for (const a of [
      'webhook',
      '--host=0.0.0.0',
      '--port=9443',
      '--metrics-host=0.0.0.0',
      '--metrics-port=9090',
      '--tls-cert-file=/etc/flotilla/webhook-tls/tls.crt',
      '--tls-key-file=/etc/flotilla/webhook-tls/tls.key',
      '--shards=64',
    ]) {
      assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
    }
    assert.ok(!args.some((a) => a.startsWith('--tls-secret')));
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe])
      assert.deepEqual(probe?.['httpGet'], { path: '/healthz', port: 'metrics' });
    // The token reads the Secrets task Pods ask for (/mutate-pods).
    assert.equal(pod.spec.automountServiceAccountToken, true);
    assert.equal(pod.spec.serviceAccountName, 'flotilla-webhook');
    const tls = pod.spec.volumes?.find((v) => v.name === 'tls');
    assert.equal(tls?.secret?.secretName, 'flotilla-webhook-tls');
    assert.deepEqual(
      c.volumeMounts?.find((m) => m.name === 'tls'),
      { name: 'tls', mountPath: '/etc/flotilla/webhook-tls', readOnly: true },
    );
    const svc = named(manifests, 'Service', 'flotilla-webhook');
    const ports = (svc?.['spec'] as { ports: { name: string; port: number; targetPort: string }[] }).ports;
    assert.deepEqual(
      ports.map((p) => [p.name, p.port, p.targetPort]),
      [
        ['https', 443, 'https'],
        ['metrics', 9090, 'metrics'],
      ],
    );
  });

  test('init-certs Job: a post-install/post-upgrade hook with its own ServiceAccount and the same names', async () => {
    const { manifests } = await render({ valuesFiles: [valuesFile('webhook')] });
    const job = named(manifests, 'Job', 'flotilla-init-certs');
    assert.ok(job);
    const annotations = (job.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    assert.equal(annotations['helm.sh/hook'], 'post-install,post-upgrade');
    assert.equal(annotations['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
    const pod = podSpecs(manifests).find((p) => p.kind === 'Job');
    assert.ok(pod);
    assert.equal(pod.spec.serviceAccountName, 'flotilla-init-certs');
    assert.equal(pod.spec.automountServiceAccountToken, true);
    assert.ok(named(manifests, 'ServiceAccount', 'flotilla-init-certs'));
    assert.ok(named(manifests, 'ServiceAccount', 'flotilla-webhook'));
    assert.deepEqual(pod.spec.containers[0]?.args, [
      'init-certs',
      `--namespace=${NS}`,
      '--service=flotilla-webhook',
      '--secret=flotilla-webhook-tls',
      '--mutating-config=flotilla-workflows',
      '--validating-config=flotilla-workflows',
      '--fence-config=flotilla-fence',
      '--validity-days=90',
      '--rotate-before=20',
    ]);
  });

  test('fence on (the default with the webhook): --fence and the fleet namespace, the configuration of fenceWebhookConfiguration()', async () => {
    const { manifests } = await render({ set: ['webhook.enabled=true'] });
    const args = podSpecs(manifests).find((p) => p.name === 'flotilla-webhook')?.spec.containers[0]?.args ?? [];
    assert.ok(args.includes('--fence'), args.join(' '));
    assert.ok(args.includes(`--fleet-namespace=${NS}`), args.join(' '));
    const want = fenceWebhookConfiguration({ service: { namespace: NS, name: 'flotilla-webhook', port: 443 } });
    const meta = want['metadata'] as { name: string; labels: Record<string, string> };
    assert.equal(meta.name, 'flotilla-fence');
    const got = named(manifests, 'ValidatingWebhookConfiguration', meta.name);
    assert.ok(got, 'the fence configuration is rendered');
    assert.deepEqual(comparable(got, meta.labels), want);
    // The code's default is Ignore, and so is the chart's.
    for (const w of got['webhooks'] as JsonMap[]) assert.equal(w['failurePolicy'], 'Ignore');
  });

  test('fence values: its failure policy, the shared timeout, release-scoped names, the fleet namespace the chart uses', async () => {
    const { manifests } = await render({
      release: 'prod',
      valuesFiles: [valuesFile('webhook')],
      set: ['webhook.fence.failurePolicy=Fail', 'fleetNamespace=leases'],
    });
    const want = fenceWebhookConfiguration({
      service: { namespace: NS, name: 'prod-flotilla-webhook', port: 443 },
      name: 'prod-flotilla-fence',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
    });
    const meta = want['metadata'] as { name: string; labels: Record<string, string> };
    const got = named(manifests, 'ValidatingWebhookConfiguration', 'prod-flotilla-fence');
    assert.ok(got);
    assert.deepEqual(comparable(got, meta.labels), want);
    const pods = podSpecs(manifests);
    const args = pods.find((p) => p.name === 'prod-flotilla-webhook')?.spec.containers[0]?.args ?? [];
    assert.ok(args.includes('--fleet-namespace=leases'), args.join(' '));
    // The controller's leases are where the fence reads them.
    const controller = pods.find((p) => p.name === 'prod-flotilla-controller')?.spec.containers[0]?.args ?? [];
    assert.ok(controller.includes('--fleet-namespace=leases'), controller.join(' '));
    const initCerts = pods.find((p) => p.kind === 'Job')?.spec.containers[0]?.args ?? [];
    assert.ok(initCerts.includes('--fence-config=prod-flotilla-fence'), initCerts.join(' '));
  });

  test('fence off: no --fence, no fence configuration, init-certs leaves it alone', async () => {
    const { manifests } = await render({ valuesFiles: [valuesFile('webhook')], set: ['webhook.fence.enabled=false'] });
    const pods = podSpecs(manifests);
    const args = pods.find((p) => p.name === 'flotilla-webhook')?.spec.containers[0]?.args ?? [];
    assert.ok(args.length > 0);
    assert.ok(!args.some((a) => a === '--fence' || a.startsWith('--fleet-namespace')), args.join(' '));
    assert.equal(named(manifests, 'ValidatingWebhookConfiguration', 'flotilla-fence'), undefined);
    assert.deepEqual(
      manifests.filter((m) => m.kind === 'ValidatingWebhookConfiguration').map((m) => m.metadata.name),
      ['flotilla-workflows'],
    );
    const initCerts = pods.find((p) => p.kind === 'Job')?.spec.containers[0]?.args ?? [];
    assert.ok(initCerts.length > 0);
    assert.ok(!initCerts.some((a) => a.startsWith('--fence-config')), initCerts.join(' '));
  });

  test('namespace strategy: no fence even when enabled (a shard label there does not name the shard that runs the Workflow)', async () => {
    const { manifests } = await render({ valuesFiles: [valuesFile('namespaced')], set: ['webhook.enabled=true'] });
    const pods = podSpecs(manifests);
    const args = pods.find((p) => p.name === 'flotilla-webhook')?.spec.containers[0]?.args ?? [];
    assert.ok(args.length > 0);
    assert.ok(!args.includes('--fence'), args.join(' '));
    assert.equal(named(manifests, 'ValidatingWebhookConfiguration', 'flotilla-fence'), undefined);
    const initCerts = pods.find((p) => p.kind === 'Job')?.spec.containers[0]?.args ?? [];
    assert.ok(!initCerts.some((a) => a.startsWith('--fence-config')), initCerts.join(' '));
  });

  test('fence values are checked by the schema', async () => {
    await assert.rejects(
      render({ set: ['webhook.enabled=true', 'webhook.fence.failurePolicy=Sometimes'] }),
      /webhook\.fence\.failurePolicy must be one of the following: "Ignore", "Fail"/,
    );
    await assert.rejects(
      render({ set: ['webhook.enabled=true', 'webhook.fence.enabled=yes'] }),
      /webhook\.fence\.enabled: Invalid type\. Expected: boolean/,
    );
  });

  test('webhook off (default): no webhook objects', async () => {
    const { manifests } = await render();
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Job'])
      assert.equal(manifests.filter((m) => m.kind === kind).length, 0, kind);
    assert.equal(named(manifests, 'Deployment', 'flotilla-webhook'), undefined);
    assert.equal(named(manifests, 'ServiceAccount', 'flotilla-init-certs'), undefined);
  });
});
