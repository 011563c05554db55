/**
 * The fence on child Workflows: a parent's round launches a sub-workflow node's child through the
 * real EngineDriver and KubeChildWorkflowGateway, against the embedded API server with the real
 * webhook server (mutate, validate and `/fence`) behind the code's configurations, `Fail` on all.
 * The child hashes to a shard of its own (the mutating webhook labels it); what the fence checks is
 * the parent's shard and the epoch the creator holds for it. A creator whose epoch is older than
 * the parent's shard lease (it lost the shard) has its create refused; the current holder's lands,
 * stamped; with the fence's configuration gone, the stale create lands too (what the fence closes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type V1MutatingWebhookConfiguration,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { CRD_FILE } from '../../src/api/crd.js';
import { childWorkflowName } from '../../src/api/names.js';
import type { WorkflowSpec } from '../../src/api/schema.js';
import type { Workflow } from '../../src/api/workflow.js';
import { KubeChildWorkflowGateway } from '../../src/controller/adapters/child-gateway.js';
import { EngineDriver, MemoryOutputStore } from '../../src/engine/index.js';
import { PluginRegistry } from '../../src/engine/plugin-registry.js';
import { KubeError } from '../../src/kube/errors.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import { inProcessPlugins } from '../../src/plugins/inprocess/index.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { LeaseEpochs } from '../../src/webhook/fence.js';
import { FENCE_CONFIG_NAME, fenceWebhookConfiguration, webhookConfigurations } from '../../src/webhook/manifests.js';
import { startWebhookServer, type RunningWebhookServer } from '../../src/webhook/server.js';
import { FileTlsSource } from '../../src/webhook/tls-source.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { shardLeaseName } from '../../shard-manager/leases/names.js';
import { SHARD_LABEL, hashShardId } from '../../shard-manager/sharding/hash.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';

const NS = 'team-a';
const FLEET = 'flotilla-system';
/** Every parent's shard lease is at this epoch: the current holder's. */
const EPOCH = 4;

let api: TestApiServer;
let webhook: RunningWebhookServer;
let client: WorkflowClient;
let n = 0;

const spec: WorkflowSpec = {
  tasks: { say: { plugin: 'echo' } },
  subWorkflows: { pub: { nodes: [{ id: 'p', kind: 'task', task: 'say', inputs: { v: { value: 1 } } }] } },
  nodes: [{ id: 'publish', kind: 'workflow', workflow: { ref: 'pub', launch: true } }],
};

/**
 * A stored parent (its child's ownerReference must name a live object), labelled with its shard by
 * the mutating webhook, and that shard's lease at {@link EPOCH}.
 */
async function parent(): Promise<{ wf: Workflow; shard: string }> {
  const wf = await client.create({
    apiVersion: 'flotilla.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: `parent-${++n}`, namespace: NS },
    spec,
  });
  const shard = wf.metadata.labels?.[SHARD_LABEL];
  assert.ok(shard !== undefined, 'the mutating webhook labelled the parent');
  const leases = new LeaseClient(api.kc, FLEET);
  if ((await leases.get(shardLeaseName(shard))) === undefined)
    await leases.create(shardLeaseName(shard), 'shard', {
      holderIdentity: 'replica-b',
      leaseDurationSeconds: 6,
      leaseTransitions: EPOCH,
    });
  return { wf, shard };
}

/** One round of the parent by a replica holding `epoch` for every shard; the child create's error, if any. */
async function launch(wf: Workflow, epoch: number): Promise<{ child: string; error: unknown }> {
  const driver = new EngineDriver({
    plugins: new PluginRegistry(inProcessPlugins()),
    outputs: new MemoryOutputStore(),
    children: new KubeChildWorkflowGateway({ kubeConfig: api.kc, shardEpoch: () => epoch }),
  });
  const round = await driver.runRound(wf);
  return { child: childWorkflowName(wf.metadata.name, 'publish'), error: round.errors[0]?.cause };
}

async function exists(name: string): Promise<Workflow | undefined> {
  try {
    return await client.get(NS, name);
  } catch (error) {
    if (error instanceof KubeError && error.code === 'NotFound') return undefined;
    throw error;
  }
}

before(async () => {
  api = await startTestApiServer();
  const applied = await api.kubectl(['apply', '-f', CRD_FILE]);
  assert.equal(applied.code, 0, applied.stderr);
  const core = api.kc.makeApiClient(CoreV1Api);
  for (const name of [NS, FLEET]) await core.createNamespace({ body: { metadata: { name } } });
  const ca = await createCertificateAuthority({ commonName: 'fence-children-ca' });
  const serving = await issueCertificate(ca, { commonName: 'fence', ipAddresses: ['127.0.0.1'], usage: 'server' });
  writeFileSync(join(api.dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(api.dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  webhook = await startWebhookServer({
    tls: new FileTlsSource(join(api.dir, 'tls.crt'), join(api.dir, 'tls.key')),
    port: 0,
    metricsPort: 0,
    processMetrics: false,
    logger: pino({ level: 'silent' }),
    fence: new LeaseEpochs(new LeaseClient(api.kc, FLEET)),
  });
  const options = { url: webhook.url, caBundlePem: ca.certPem, failurePolicy: 'Fail' as const };
  const [mutating, validating] = webhookConfigurations(options);
  const adm = api.kc.makeApiClient(AdmissionregistrationV1Api);
  await adm.createMutatingWebhookConfiguration({ body: mutating as V1MutatingWebhookConfiguration });
  await adm.createValidatingWebhookConfiguration({ body: validating as V1ValidatingWebhookConfiguration });
  await adm.createValidatingWebhookConfiguration({
    body: fenceWebhookConfiguration(options) as V1ValidatingWebhookConfiguration,
  });
  client = new WorkflowClient(api.kc);
});

after(async () => {
  await webhook?.stop();
  await api?.stop();
});

describe("the fence on child Workflows (the parent's shard and epoch)", () => {
  test("a creator that lost the parent's shard has its child create refused with 409", async () => {
    const { wf, shard } = await parent();
    const { child, error } = await launch(wf, EPOCH - 1);
    assert.ok(error instanceof KubeError, `the create failed: ${String(error)}`);
    assert.equal(error.code, 'Conflict');
    assert.match(
      error.serverMessage ?? error.message,
      new RegExp(`stale shard epoch: the write carries epoch ${EPOCH - 1} of shard ${shard}`),
    );
    assert.equal(await exists(child), undefined, 'the child was not created');
  });

  test("the holder's create lands, stamped with the parent's shard and epoch, in a shard of its own", async () => {
    const { wf, shard } = await parent();
    const { child, error } = await launch(wf, EPOCH);
    assert.equal(error, undefined);
    const created = await exists(child);
    assert.ok(created, 'the child exists');
    const labels = created.metadata.labels ?? {};
    assert.equal(labels['flotilla.io/parent-shard'], shard);
    assert.equal(labels['flotilla.io/shard-epoch'], String(EPOCH));
    assert.equal(labels[SHARD_LABEL], hashShardId(NS, child, 32), 'the mutating webhook gave it its own shard');
  });

  test('with the fence configuration gone, the same stale create lands (what the fence closes)', async () => {
    await api.kc.makeApiClient(AdmissionregistrationV1Api).deleteValidatingWebhookConfiguration({
      name: FENCE_CONFIG_NAME,
    });
    const { child, error } = await launch((await parent()).wf, EPOCH - 1);
    assert.equal(error, undefined);
    assert.equal((await exists(child))?.metadata.labels?.['flotilla.io/shard-epoch'], String(EPOCH - 1));
  });
});
