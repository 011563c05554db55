/**
 * The fence's cost per status write, on the real embedded API server and the real webhook server
 * (both in this process, over HTTPS): status writes of stamped Workflows without the fence, then
 * with the `flotilla-fence` configuration stored (each write: one admission call, one lease read,
 * shared by writes of the shard that arrive while it is in flight). Sequential writes give the
 * latency; concurrent writers (one Workflow each, one shard) the throughput and how well the lease
 * reads coalesce.
 * Run alone: `node --import tsx bench/fence.ts [--writes N] [--writers N]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { startApiServer } from '../sandbox/apiserver/index.js';
import { installCrd } from '../sandbox/examples.js';
import { LeaseClient } from '../shard-manager/leases/lease-client.js';
import type { Workflow } from '../src/api/workflow.js';
import { WorkflowClient } from '../src/kube/workflow-client.js';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { createCertificateAuthority, issueCertificate } from '../src/security/certs.js';
import { LeaseEpochs } from '../src/webhook/fence.js';
import { fenceWebhookConfiguration } from '../src/webhook/manifests.js';
import { startWebhookServer } from '../src/webhook/server.js';
import { FileTlsSource } from '../src/webhook/tls-source.js';
import { validWorkflow } from '../test/support/workflows.js';

const { values } = parseArgs({ options: { writes: { type: 'string' }, writers: { type: 'string' } } });
const writes = Number(values.writes ?? '300');
const writers = Number(values.writers ?? '8');
const NS = 'bench';
const FLEET = 'flotilla-system';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-fence-'));
const server = await startApiServer({ port: 0, kubelet: false, kubeconfigOut: join(dir, 'kubeconfig') });
const kc = new KubeConfig();
kc.loadFromString(server.kubeconfig);
await installCrd({ url: server.url, token: server.token, caPem: server.caPem }, kc);
const core = kc.makeApiClient(CoreV1Api);
for (const name of [NS, FLEET]) await core.createNamespace({ body: { metadata: { name } } });
const leases = new LeaseClient(kc, FLEET);
// The webhook reads leases over kept-alive connections, as `flotilla webhook --fence` does.
const fenceReads = new LeaseClient(new PooledKubeConfig(kc, 16), FLEET);
await leases.create('flotilla-shard-0', 'shard', {
  holderIdentity: 'bench',
  leaseDurationSeconds: 6,
  leaseTransitions: 3,
});

const ca = await createCertificateAuthority({ commonName: 'bench-ca' });
const serving = await issueCertificate(ca, { commonName: 'bench', ipAddresses: ['127.0.0.1'], usage: 'server' });
writeFileSync(join(dir, 'tls.crt'), serving.certPem);
writeFileSync(join(dir, 'tls.key'), serving.keyPem);
const epochs = new LeaseEpochs(fenceReads);
const webhook = await startWebhookServer({
  tls: new FileTlsSource(join(dir, 'tls.crt'), join(dir, 'tls.key')),
  port: 0,
  metricsPort: 0,
  logger: pino({ level: 'warn' }),
  fence: epochs,
});

const client = new WorkflowClient(new PooledKubeConfig(kc, 16));
async function workflow(name: string): Promise<Workflow> {
  const body = validWorkflow();
  return client.create({
    ...body,
    metadata: { name, namespace: NS, labels: { 'flotilla.io/shard': '0' } },
  } as unknown as Parameters<WorkflowClient['create']>[0]);
}

/** `count` status writes of one Workflow, one after another; ms per write. */
async function sequential(name: string, count: number): Promise<number> {
  let current = await workflow(name);
  const started = performance.now();
  for (let i = 0; i < count; i++)
    current = await client.replaceStatus({
      ...current,
      status: { phase: 'Running', shardEpoch: 3, progress: `${i}/0` },
    });
  return (performance.now() - started) / count;
}

/** `writers` Workflows written concurrently, `count` writes each; writes per second. */
async function concurrent(prefix: string, count: number): Promise<number> {
  const all = await Promise.all(Array.from({ length: writers }, (_, i) => workflow(`${prefix}-${i}`)));
  const started = performance.now();
  await Promise.all(
    all.map(async (first) => {
      let current = first;
      for (let i = 0; i < count; i++)
        current = await client.replaceStatus({
          ...current,
          status: { phase: 'Running', shardEpoch: 3, progress: `${i}/0` },
        });
    }),
  );
  return (writers * count) / ((performance.now() - started) / 1000);
}

const perWriter = Math.max(1, Math.floor(writes / writers));
// Warm-up (JIT, connection pool), not measured.
await sequential('warm', 50);
await concurrent('warm-c', 10);
const plain = { ms: await sequential('plain', writes), perSecond: await concurrent('plain-c', perWriter) };
await kc.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
  body: fenceWebhookConfiguration({
    url: webhook.url,
    caBundlePem: ca.certPem,
    failurePolicy: 'Fail',
  }) as V1ValidatingWebhookConfiguration,
});
const readsBefore = epochs.reads;
const fencedMs = await sequential('fenced', writes);
const sequentialReads = epochs.reads - readsBefore;
const fencedPerSecond = await concurrent('fenced-c', perWriter);
const concurrentReads = epochs.reads - readsBefore - sequentialReads;
process.stdout.write(
  [
    `status writes, sequential (${writes}): ${plain.ms.toFixed(2)} ms each without the fence, ${fencedMs.toFixed(2)} ms with it (+${(fencedMs - plain.ms).toFixed(2)} ms; ${sequentialReads} lease reads)`,
    `status writes, ${writers} concurrent writers × ${perWriter}: ${plain.perSecond.toFixed(0)}/s without, ${fencedPerSecond.toFixed(0)}/s with (${concurrentReads} lease reads for ${writers * perWriter} writes)`,
  ].join('\n') + '\n',
);
await webhook.stop();
await server.stop();
rmSync(dir, { recursive: true, force: true });
