/**
 * CPU of the client per Kubernetes request, client-node 1.4's generated clients against the lean
 * client (`src/kube/rest.ts`), for the calls a replica makes per workflow: a status PUT of a
 * 5-node chain's Workflow and an Event create. The API server runs in its own process
 * (`flotilla apiserver --no-kubelet`), so the figure is this process's user+system CPU only;
 * requests go one at a time, the two clients alternating in rounds so machine noise hits both.
 * Run alone: `node --import tsx bench/kube-client.ts [--requests 2000] [--rounds 3]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../src/kube/keepalive.js';
import { KubeRest } from '../src/kube/rest.js';
import { postCrd, startApiServerProcess } from './controller-proc.js';
import { chainSpec } from './fleet.js';

const GROUP = { group: 'flotilla.io', version: 'v1alpha1', plural: 'workflows', namespace: 'default' };

type Call = (i: number) => Promise<unknown>;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function measure(call: Call, requests: number): Promise<number> {
  for (let i = 0; i < 50; i++) await call(i); // warm
  const from = cpuMs();
  for (let i = 0; i < requests; i++) await call(i);
  return ((cpuMs() - from) * 1000) / requests; // µs per request
}

export async function benchKubeClient(requests: number, rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-kube-client-'));
  const { api, kubeconfigFile } = await startApiServerProcess(dir);
  const base = new KubeConfig();
  base.loadFromFile(kubeconfigFile);
  const kc = new PooledKubeConfig(base, 16);
  const rest = new KubeRest(base, { maxSockets: 16 });
  try {
    const url = api.match[1] as string;
    const caPem = Buffer.from(base.getCurrentCluster()?.caData ?? '', 'base64').toString('utf8');
    await postCrd(url, caPem, base.getCurrentUser()?.token ?? '');
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const created = (await custom.createNamespacedCustomObject({
      ...GROUP,
      body: { apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name: 'w' }, spec: chainSpec() },
    })) as { metadata: { resourceVersion: string } };
    const status = {
      phase: 'Succeeded',
      nodes: Object.fromEntries(
        ['n0', 'n1', 'n2', 'n3', 'n4'].map((id) => [
          id,
          {
            phase: 'Succeeded',
            attempts: 1,
            startedAt: '2026-12-05T10:00:00Z',
            finishedAt: '2026-12-05T10:00:00Z',
            outputs: { v: 0 },
          },
        ]),
      ),
    };
    let current = created as Record<string, unknown> & { metadata: { resourceVersion: string } };
    const statusPath = '/apis/flotilla.io/v1alpha1/namespaces/default/workflows/w/status';
    const viaClientNode: Call = async () => {
      current = (await custom.replaceNamespacedCustomObjectStatus({
        ...GROUP,
        name: 'w',
        body: { ...current, status },
      })) as typeof current;
    };
    const viaRest: Call = async () => {
      current = await rest.send<typeof current>({ method: 'PUT', path: statusPath, body: { ...current, status } });
    };
    const event = (i: number, prefix: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `w.${prefix}${i}`, namespace: 'default' },
      involvedObject: { apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', name: 'w', namespace: 'default' },
      reason: 'WorkflowSucceeded',
      message: 'workflow Succeeded',
      type: 'Normal',
      count: 1,
      firstTimestamp: new Date(),
      lastTimestamp: new Date(),
      source: { component: 'bench' },
    });
    let sent = 0;
    const eventViaClientNode: Call = () =>
      core.createNamespacedEvent({ namespace: 'default', body: event(sent++, 'c') });
    const eventViaRest: Call = () =>
      rest.send({ method: 'POST', path: '/api/v1/namespaces/default/events', body: event(sent++, 'r') });
    const rows: Record<string, number[]> = {
      'status PUT client-node': [],
      'status PUT lean': [],
      'Event POST client-node': [],
      'Event POST lean': [],
    };
    for (let round = 0; round < rounds; round++) {
      rows['status PUT client-node']?.push(await measure(viaClientNode, requests));
      rows['status PUT lean']?.push(await measure(viaRest, requests));
      rows['Event POST client-node']?.push(await measure(eventViaClientNode, requests));
      rows['Event POST lean']?.push(await measure(eventViaRest, requests));
    }
    for (const [name, values] of Object.entries(rows)) {
      const sorted = [...values].sort((a, b) => a - b);
      console.log(
        `${name}: ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} µs CPU/request (${values.map((v) => v.toFixed(0)).join(' / ')})`,
      );
    }
  } finally {
    rest.close();
    kc.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1]?.endsWith('kube-client.ts') ?? false;
if (isMain) {
  const { values } = parseArgs({ options: { requests: { type: 'string' }, rounds: { type: 'string' } } });
  await benchKubeClient(Number(values.requests ?? 2000), Number(values.rounds ?? 3));
}
