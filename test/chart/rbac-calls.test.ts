/**
 * src/security/rbac.ts covers every API call the code really makes. The embedded API server's
 * request log records each request (verb, group, resource, subresource, namespace) while one
 * component at a time runs its real code paths against it:
 *   manager    — ShardManager (election, shard leases, assignment) with the Workflow labeller;
 *   controller — Membership + OwnershipLoop (acquire, release, leave), then a Replica running
 *                workflows to completion (informers, rounds, status writes, Events);
 *   eventSink  — the SignalService's WorkflowSignals.set;
 *   initCerts  — init-certs creating the Secret and patching both caBundles, a forced rotation, and
 *                re-creating a Secret of the wrong type;
 *   webhook    — the webhook server reading its pair with `--tls-secret` (SecretTlsSource): one
 *                named Secret read, which the chart does not grant because it mounts files;
 *   webhookFence — `--fence` answering AdmissionReviews on /fence: one lease `get` per check;
 *   initCertsFence — init-certs with `--fence-config` patching the fence's configuration.
 * The request log does not carry object names, so for the name-restricted initCerts rules the
 * write audit (which does) proves every write hit only the release's own Secret / configurations.
 * Every recorded request must be allowed by that component's rules (fleet namespace scoped as the
 * chart scopes it), and each phase must have made the calls it exists to make (not vacuous).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  type V1MutatingWebhookConfiguration,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { validateWorkflow } from '../../src/api/validation/index.js';
import { EngineDriver, MemoryOutputStore } from '../../src/engine/index.js';
import { PluginRegistry } from '../../src/engine/plugin-registry.js';
import { inProcessPlugins } from '../../src/plugins/inprocess/index.js';
import { EventRecorder } from '../../src/controller/k8s-events.js';
import { WorkflowClient, WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../../src/kube/workflow-client.js';
import { Replica } from '../../src/controller/replica.js';
import { Metrics } from '../../src/observability/metrics.js';
import { WorkflowSignals } from '../../src/signals/workflows.js';
import type { ExecutionEvent } from '../../src/engine/events.js';
import type { RequestRecord } from '../../sandbox/apiserver/index.js';
import { allows, type Component, type RbacSettings } from '../../src/security/rbac.js';
import { initCerts } from '../../src/webhook/init-certs.js';
import { FENCE_CONFIG_NAME, fenceWebhookConfiguration, webhookConfigurations } from '../../src/webhook/manifests.js';
import { LeaseEpochs } from '../../src/webhook/fence.js';
import { startWebhookServer } from '../../src/webhook/server.js';
import { FileTlsSource, SecretTlsSource } from '../../src/webhook/tls-source.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { KubeSecretKeyReader } from '../../src/webhook/secret-reader.js';
import { PodTemplateStore } from '../../src/controller/pod-templates.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { LeaseInformer } from '../../shard-manager/leases/lease-informer.js';
import { ASSIGNED_TO_ANNOTATION, shardLeaseName } from '../../shard-manager/leases/names.js';
import type { LeaseTimings } from '../../shard-manager/leases/lease-state.js';
import { ShardManager } from '../../shard-manager/manager/manager.js';
import { WorkflowLabeller } from '../../shard-manager/manager/labeller.js';
import { Membership } from '../../shard-manager/replica/membership.js';
import { OwnershipLoop, type ShardRunner } from '../../shard-manager/replica/ownership-loop.js';
import { SHARD_LABEL } from '../../shard-manager/sharding/hash.js';
import { rawRequest } from '../support/https.js';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startEnv, type TestEnv } from '../controller/support/env.js';

const FLEET_NS = 'flotilla-system';
const settings: RbacSettings = { fleetNamespace: FLEET_NS };
const timings: LeaseTimings = { leaseDurationMs: 2000, renewIntervalMs: 400, safetyMarginMs: 600 };
const wfApi = { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL };
const show = (r: RequestRecord): string =>
  `${r.verb} ${r.group || 'core'}/${r.resource}${r.subresource ? `/${r.subresource}` : ''} in ${r.namespace || '(cluster)'}`;

/** Every request allowed by the rules of one of `components` (the ones a ServiceAccount carries). */
function assertCovered(
  components: Component | readonly Component[],
  requests: readonly RequestRecord[],
  nameOf: (r: RequestRecord) => string | undefined = () => undefined,
): void {
  const all = typeof components === 'string' ? [components] : components;
  const denied = [
    ...new Set(requests.filter((r) => !all.some((c) => allows(c, settings, { ...r, name: nameOf(r) }))).map(show)),
  ];
  assert.deepEqual(
    denied,
    [],
    `${all.join('+')} made calls src/security/rbac.ts does not grant:\n${denied.join('\n')}`,
  );
}

function assertMade(requests: readonly RequestRecord[], expected: readonly string[]): void {
  const seen = new Set(requests.map(show));
  for (const e of expected) assert.ok(seen.has(e), `expected a call "${e}"; saw:\n${[...seen].sort().join('\n')}`);
}

describe('every API call the code makes is granted by src/security/rbac.ts', () => {
  let env: TestEnv;
  let redis: RedisServer;
  before(async () => {
    [env, redis] = await Promise.all([startEnv(), RedisServer.start({ persist: false })]);
    await env.core.createNamespace({ body: { metadata: { name: FLEET_NS } } });
  });
  after(async () => {
    await Promise.all([env.stop(), redis.stop()]);
  });

  const submit = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) =>
    env.custom.createNamespacedCustomObject({
      ...wfApi,
      namespace: 'default',
      body: { apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name, labels }, spec },
    });
  const wrote = (verb: string, resource: string, name: string): boolean =>
    env.server.faults.audit({ verb, resource, name }).some((e) => e.code < 300);
  const echo = {
    tasks: { say: { plugin: 'echo' } },
    nodes: [{ id: 'a', kind: 'task', task: 'say', inputs: { x: { value: 1 } } }],
  };

  test('manager: election, shard leases, assignment and the labeller', async () => {
    await submit('unlabelled', echo);
    env.server.faults.clearRequests();
    const informer = new LeaseInformer({ kubeConfig: env.kubeConfig, namespace: FLEET_NS });
    await informer.start();
    const manager = new ShardManager({
      identity: 'm1',
      leases: new LeaseClient(env.kubeConfig, FLEET_NS),
      source: informer,
      shards: ['0', '1'],
      timings,
      resyncMs: 200,
      whileLeading: [new WorkflowLabeller({ kubeConfig: env.kubeConfig, shardCount: 2 })],
    });
    manager.start();
    try {
      // Wait on the server's in-process write audit: the test's own API calls would be recorded.
      await waitFor(() => wrote('patch', 'workflows', 'unlabelled'), { what: 'labelled', timeoutMs: 15_000 });
      await waitFor(() => wrote('create', 'leases', shardLeaseName('1')), { what: 'shard leases', timeoutMs: 15_000 });
    } finally {
      await manager.stop();
      await informer.stop();
    }
    const requests = env.server.faults.requests();
    const labelled = await new WorkflowClient(env.kubeConfig).get('default', 'unlabelled');
    assert.equal(labelled.metadata.labels?.[SHARD_LABEL], '0');
    assertCovered('manager', requests);
    assertMade(requests, [
      `create coordination.k8s.io/leases in ${FLEET_NS}`,
      `list coordination.k8s.io/leases in ${FLEET_NS}`,
      `watch coordination.k8s.io/leases in ${FLEET_NS}`,
      'list flotilla.io/workflows in (cluster)',
      'watch flotilla.io/workflows in (cluster)',
      'patch flotilla.io/workflows in default',
    ]);
  });

  test('controller: membership, shard acquire and release, leave', async () => {
    const setup = new LeaseClient(env.kubeConfig, FLEET_NS);
    const lease = await setup.get(shardLeaseName('0'));
    assert.ok(lease, 'the manager phase created shard leases');
    await setup.update(lease, { annotations: { [ASSIGNED_TO_ANNOTATION]: 'r1' } });
    env.server.faults.clearRequests();
    const started: string[] = [];
    const runner: ShardRunner = {
      startShard: async (shard) => void started.push(shard),
      stopShard: async () => undefined,
    };
    const leases = new LeaseClient(env.kubeConfig, FLEET_NS);
    const informer = new LeaseInformer({ kubeConfig: env.kubeConfig, namespace: FLEET_NS });
    await informer.start();
    const membership = new Membership({ leases, replica: 'r1', timings });
    const loop = new OwnershipLoop({ replica: 'r1', leases, source: informer, membership, runner, resyncMs: 200 });
    await membership.start();
    loop.start();
    try {
      await waitFor(() => started.includes('0'), { what: 'shard 0 acquired', timeoutMs: 15_000 });
    } finally {
      await loop.stop({ release: true });
      await membership.stop({ leave: true });
      await informer.stop();
    }
    const requests = env.server.faults.requests();
    assertCovered('controller', requests);
    assertMade(requests, [
      `create coordination.k8s.io/leases in ${FLEET_NS}`,
      `update coordination.k8s.io/leases in ${FLEET_NS}`,
      `delete coordination.k8s.io/leases in ${FLEET_NS}`,
      `watch coordination.k8s.io/leases in ${FLEET_NS}`,
    ]);
  });

  test('controller: a replica runs workflows (informers, rounds, status, Events)', async () => {
    await submit('good', echo, { [SHARD_LABEL]: '0' });
    await submit(
      'bad',
      { tasks: { say: { plugin: 'echo' } }, nodes: [{ id: 'a', kind: 'task', task: 'nope' }] },
      { [SHARD_LABEL]: '0' },
    );
    env.server.faults.clearRequests();
    const published: ExecutionEvent[] = [];
    const replica = new Replica({
      kubeConfig: env.kubeConfig,
      redisUrl: redis.url,
      metrics: new Metrics({ processMetrics: false }),
      round: {
        driver: new EngineDriver({ plugins: new PluginRegistry(inProcessPlugins()), outputs: new MemoryOutputStore() }),
        validate: validateWorkflow,
        events: { publish: (event) => void published.push(event) },
        recorder: new EventRecorder({ kubeConfig: env.kubeConfig }),
      },
      queue: { concurrency: 2, wakeupPollMs: 200 },
      watchdogMs: 30_000,
    });
    try {
      await replica.startShard(0);
      await waitFor(
        () => published.some((e) => e.scope === 'workflow' && e.workflow.name === 'good' && e.phase === 'Succeeded'),
        { what: 'good succeeded', timeoutMs: 20_000 },
      );
      await waitFor(() => env.server.faults.audit({ verb: 'create', resource: 'events' }).length > 0, {
        what: 'an Event for bad',
        timeoutMs: 20_000,
      });
      await waitFor(() => wrote('status-update', 'workflows', 'bad'), {
        what: 'bad status written',
        timeoutMs: 20_000,
      });
    } finally {
      await replica.stop({ graceMs: 1000 });
    }
    const requests = env.server.faults.requests();
    const client = new WorkflowClient(env.kubeConfig);
    assert.equal((await client.get('default', 'good')).status?.phase, 'Succeeded');
    assert.equal((await client.get('default', 'bad')).status?.phase, 'Failed');
    assertCovered('controller', requests);
    assertMade(requests, [
      'list flotilla.io/workflows in (cluster)',
      'watch flotilla.io/workflows in (cluster)',
      'update flotilla.io/workflows/status in default',
      'create core/events in default',
    ]);
  });

  test('eventSink: the SignalService sets a gate signal', async () => {
    await submit('gated', {
      tasks: {},
      nodes: [{ id: 'g', kind: 'gate', gate: { signal: { name: 'approve', type: 'boolean' } } }],
    });
    env.server.faults.clearRequests();
    await new WorkflowSignals(env.kubeConfig).set('default', 'gated', 'approve', { value: true });
    const requests = env.server.faults.requests();
    assertCovered('eventSink', requests);
    assertMade(requests, ['get flotilla.io/workflows in default', 'patch flotilla.io/workflows in default']);
  });

  test('initCerts: create, patch both caBundles, forced rotation, re-create a Secret of the wrong type', async () => {
    const SECRET = 'flotilla-webhook-tls';
    const CONFIG = 'flotilla-workflows';
    const [mutating, validating] = webhookConfigurations({
      service: { namespace: FLEET_NS, name: 'flotilla-webhook', port: 443 },
    });
    const adm = env.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    await adm.createMutatingWebhookConfiguration({ body: mutating as V1MutatingWebhookConfiguration });
    await adm.createValidatingWebhookConfiguration({ body: validating as V1ValidatingWebhookConfiguration });
    env.server.faults.clearRequests();
    const options = { kubeConfig: env.kubeConfig, namespace: FLEET_NS, service: 'flotilla-webhook', secret: SECRET };
    const first = await initCerts(options);
    assert.deepEqual([first.secret, first.mutating, first.validating], ['created', 'patched', 'patched']);
    const rotated = await initCerts({ ...options, force: true });
    assert.equal(rotated.secret, 'rotated');
    await env.core.replaceNamespacedSecret({
      namespace: FLEET_NS,
      name: SECRET,
      body: { metadata: { name: SECRET }, type: 'Opaque', data: {} },
    });
    const retyped = await initCerts(options);
    assert.equal(retyped.secret, 'rotated');
    const requests = env.server.faults.requests();
    // Every write named only the release's own objects (the request log has no names).
    const writes = env.server.faults
      .audit({})
      .filter((e) => e.resource === 'secrets' || e.resource.endsWith('webhookconfigurations'));
    assert.ok(writes.length > 0);
    for (const w of writes)
      assert.equal(w.name, w.resource === 'secrets' ? SECRET : CONFIG, `${w.verb} ${w.resource}/${w.name}`);
    assertCovered('initCerts', requests, (r) =>
      r.verb === 'create' ? undefined : r.resource === 'secrets' ? SECRET : CONFIG,
    );
    assertMade(requests, [
      `get core/secrets in ${FLEET_NS}`,
      `create core/secrets in ${FLEET_NS}`,
      `update core/secrets in ${FLEET_NS}`,
      `delete core/secrets in ${FLEET_NS}`,
      'get admissionregistration.k8s.io/mutatingwebhookconfigurations in (cluster)',
      'update admissionregistration.k8s.io/mutatingwebhookconfigurations in (cluster)',
      'get admissionregistration.k8s.io/validatingwebhookconfigurations in (cluster)',
      'update admissionregistration.k8s.io/validatingwebhookconfigurations in (cluster)',
    ]);
    // A name other than the release's is refused by the same rules.
    assert.equal(
      allows('initCerts', settings, {
        verb: 'get',
        group: '',
        resource: 'secrets',
        namespace: FLEET_NS,
        name: 'redis-url',
      }),
      false,
    );
    assert.equal(
      allows('initCerts', settings, {
        verb: 'update',
        group: 'admissionregistration.k8s.io',
        resource: 'validatingwebhookconfigurations',
        name: 'someone-elses',
      }),
      false,
    );
    await adm.deleteMutatingWebhookConfiguration({ name: CONFIG });
    await adm.deleteValidatingWebhookConfiguration({ name: CONFIG });
  });

  test('initCertsFence: --fence-config patches the fence configuration, by name', async () => {
    const SECRET = 'flotilla-webhook-tls';
    const adm = env.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    await adm.createValidatingWebhookConfiguration({
      body: fenceWebhookConfiguration({
        service: { namespace: FLEET_NS, name: 'flotilla-webhook', port: 443 },
      }) as V1ValidatingWebhookConfiguration,
    });
    env.server.faults.clearRequests();
    const auditedBefore = env.server.faults.audit({}).length;
    // Only the fence's configuration: every configuration request below is about FENCE_CONFIG_NAME.
    const options = {
      kubeConfig: env.kubeConfig,
      namespace: FLEET_NS,
      service: 'flotilla-webhook',
      secret: SECRET,
      mutatingConfig: '',
      validatingConfig: '',
      fenceConfig: FENCE_CONFIG_NAME,
    };
    const first = await initCerts(options);
    assert.equal(first.fence, 'patched');
    assert.equal((await initCerts({ ...options, force: true })).fence, 'patched');
    const requests = env.server.faults.requests();
    const writes = env.server.faults
      .audit({})
      .slice(auditedBefore)
      .filter((e) => e.resource.endsWith('webhookconfigurations'));
    assert.ok(writes.length > 0);
    for (const w of writes) assert.equal(w.name, FENCE_CONFIG_NAME, `${w.verb} ${w.resource}/${w.name}`);
    const nameOf = (r: RequestRecord): string | undefined =>
      r.verb === 'create' ? undefined : r.resource === 'secrets' ? SECRET : FENCE_CONFIG_NAME;
    assertCovered(['initCerts', 'initCertsFence'], requests, nameOf);
    assertMade(requests, [
      'get admissionregistration.k8s.io/validatingwebhookconfigurations in (cluster)',
      'update admissionregistration.k8s.io/validatingwebhookconfigurations in (cluster)',
    ]);
    // Without the fence's component, init-certs has no right to that configuration.
    assert.equal(
      allows('initCerts', settings, {
        verb: 'update',
        group: 'admissionregistration.k8s.io',
        resource: 'validatingwebhookconfigurations',
        name: FENCE_CONFIG_NAME,
      }),
      false,
    );
    await adm.deleteValidatingWebhookConfiguration({ name: FENCE_CONFIG_NAME });
  });

  test('webhookFence: /fence reads the shard lease with one get per check, in the fleet namespace', async () => {
    const ca = await createCertificateAuthority({ commonName: 'rbac-calls-ca' });
    const serving = await issueCertificate(ca, { commonName: 'fence', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-rbac-fence-'));
    writeFileSync(join(dir, 'tls.crt'), serving.certPem);
    writeFileSync(join(dir, 'tls.key'), serving.keyPem);
    const leases = new LeaseClient(env.kubeConfig, FLEET_NS);
    const lease = await leases.get(shardLeaseName('0'));
    assert.ok(lease, 'the manager phase created shard leases');
    await leases.update(lease, { leaseTransitions: 7 });
    env.server.faults.clearRequests();
    // As `flotilla webhook --fence --fleet-namespace <ns>` wires it.
    const server = await startWebhookServer({
      tls: new FileTlsSource(join(dir, 'tls.crt'), join(dir, 'tls.key')),
      port: 0,
      metricsPort: 0,
      processMetrics: false,
      logger: pino({ level: 'silent' }),
      fence: new LeaseEpochs(new LeaseClient(env.kubeConfig, FLEET_NS)),
    });
    let answer: { response?: { allowed?: boolean; status?: { code?: number; message?: string } } };
    try {
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u1',
          kind: { group: 'flotilla.io', version: 'v1alpha1', kind: 'Workflow' },
          resource: { group: 'flotilla.io', version: 'v1alpha1', resource: 'workflows' },
          subResource: 'status',
          namespace: 'default',
          name: 'good',
          operation: 'UPDATE',
          userInfo: { username: 'system:serviceaccount:flotilla-system:flotilla-controller' },
          // The epoch before the lease's: refused only if the lease was really read.
          object: {
            metadata: { name: 'good', namespace: 'default', labels: { [SHARD_LABEL]: '0' } },
            status: { shardEpoch: 6 },
          },
        },
      };
      const r = await rawRequest({ url: server.url, caPem: ca.certPem, method: 'POST', path: '/fence', body: review });
      assert.equal(r.status, 200, r.text);
      answer = r.json();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const requests = env.server.faults.requests();
    assertCovered(['webhook', 'webhookFence'], requests);
    assert.deepEqual([...new Set(requests.map(show))], [`get coordination.k8s.io/leases in ${FLEET_NS}`]);
    assert.equal(answer.response?.allowed, false);
    assert.equal(answer.response?.status?.code, 409);
    assert.match(answer.response?.status?.message ?? '', /stale shard epoch: the write carries epoch 6 of shard 0/);
    // The webhook alone (the fence off) has no right to read it.
    assert.equal(
      allows('webhook', settings, {
        verb: 'get',
        group: 'coordination.k8s.io',
        resource: 'leases',
        namespace: FLEET_NS,
      }),
      false,
    );
  });

  test('webhook with --tls-secret: only reads its Secret', async () => {
    env.server.faults.clearRequests();
    const server = await startWebhookServer({
      tls: new SecretTlsSource(env.kubeConfig, FLEET_NS, 'flotilla-webhook-tls'),
      port: 0,
      metricsPort: 0,
      reloadIntervalMs: 100,
      processMetrics: false,
    });
    try {
      await new Promise((r) => setTimeout(r, 400));
    } finally {
      await server.stop();
    }
    const seen = [...new Set(env.server.faults.requests().map(show))];
    assert.deepEqual(seen, [`get core/secrets in ${FLEET_NS}`]);
  });

  test('webhook /mutate-pods: one get per Secret a task Pod names, never a list', async () => {
    await env.core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'task-db' }, stringData: { password: 'x' } },
    });
    env.server.faults.clearRequests();
    const reader = new KubeSecretKeyReader(env.kubeConfig);
    assert.deepEqual(await reader.keys('default', 'task-db'), ['password']);
    assert.equal(await reader.keys('default', 'absent'), undefined);
    const requests = env.server.faults.requests();
    assertCovered('webhook', requests);
    assert.deepEqual([...new Set(requests.map(show))], ['get core/secrets in default']);
  });

  test('controller: the PodTemplate store lists and watches podtemplates', async () => {
    env.server.faults.clearRequests();
    const store = new PodTemplateStore({ kubeConfig: env.kubeConfig, syncTimeoutMs: 10_000 });
    const cache = store.component();
    await cache.start(new AbortController().signal);
    try {
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await cache.stop({ graceMs: 1000 });
    }
    const requests = env.server.faults.requests();
    assertCovered('controller', requests);
    assertMade(requests, ['list core/podtemplates in (cluster)', 'watch core/podtemplates in (cluster)']);
    // A fleet serving a list of namespaces watches those and its own, each granted by a Role.
    env.server.faults.clearRequests();
    const scoped = new PodTemplateStore({ kubeConfig: env.kubeConfig, namespaces: ['default', FLEET_NS] });
    const scopedCache = scoped.component();
    await scopedCache.start(new AbortController().signal);
    await scopedCache.stop({ graceMs: 1000 });
    const scopedRequests = env.server.faults.requests();
    assertMade(scopedRequests, ['list core/podtemplates in default', `list core/podtemplates in ${FLEET_NS}`]);
    const namespaced = { ...settings, watchNamespaces: ['default'] };
    for (const r of scopedRequests)
      assert.ok(allows('controller', namespaced, r), `${show(r)} granted with watchNamespaces [default]`);
  });
});
