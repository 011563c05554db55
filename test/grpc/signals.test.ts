/**
 * The SignalService and `flotilla signal` against the real embedded API server over HTTPS:
 * a signal set through gRPC (on any server) lands on the Workflow as the merge-patched
 * annotation, the engine's gate consumes it, values are checked against the gate's type, and
 * unknown workflows and signals are NOT_FOUND.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../sandbox/apiserver/index.js';
import { startGrpcServer, type RunningServer } from '../../src/security/grpc.js';
import { signalService } from '../../src/signals/server.js';
import { WorkflowSignals } from '../../src/signals/workflows.js';
import { createSignalClient, listSignals, setSignal, toSignalValue } from '../../src/signals/client.js';
import { signalAnnotationKey } from '../../src/api/signals.js';
import { executeRound } from '../../src/engine/index.js';
import type { Workflow } from '../../src/api/workflow.js';
import type { WorkflowSpec } from '../../src/api/schema.js';
import { createCertificateAuthority, issueCertificate } from '../../src/security/certs.js';
import { waitFor } from '../support/wait.js';
import { loadKubeConfig } from '../../src/kube/config.js';

const quiet = pino({ level: 'silent' });
const ns = 'team-a';
const ref = { group: 'flotilla.io', version: 'v1alpha1', namespace: ns, plural: 'workflows' };

const spec: WorkflowSpec = {
  tasks: { count: { plugin: 'echo' } },
  nodes: [
    { id: 'approve', kind: 'gate', gate: { signal: { name: 'approve', type: 'boolean' } } },
    { id: 'review', kind: 'gate', gate: { approve: { message: 'ok to ship?' } } },
    { id: 'limit', kind: 'gate', gate: { signal: { name: 'limit', type: 'integer' } } },
    { id: 'payload', kind: 'gate', gate: { signal: { name: 'payload', type: 'json' } } },
    { id: 'after', kind: 'task', task: 'count', dependsOn: ['approve'] },
  ],
};

describe('SignalService against the embedded API server', () => {
  let api: RunningApiServer;
  let dir: string;
  let kubeconfigPath: string;
  let custom: CustomObjectsApi;
  let serverA: RunningServer;
  let serverB: RunningServer;
  let caPem: string;
  const token = 'signal-token-5d1e';

  before(async () => {
    api = await startApiServer({ port: 0, kubelet: false });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-signals-'));
    kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, api.kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig);
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: ns } } })
      .catch(() => undefined);
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
      body: {
        metadata: { name: 'workflows.flotilla.io' },
        spec: {
          group: 'flotilla.io',
          scope: 'Namespaced',
          names: { plural: 'workflows', singular: 'workflow', kind: 'Workflow', shortNames: ['wf'] },
          versions: [
            {
              name: 'v1alpha1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                    status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                  },
                },
              },
            },
          ],
        },
      },
    });
    custom = kc.makeApiClient(CustomObjectsApi);
    await waitFor(
      async () => {
        try {
          await custom.createNamespacedCustomObject({
            ...ref,
            body: { apiVersion: 'flotilla.io/v1alpha1', kind: 'Workflow', metadata: { name: 'nightly' }, spec },
          });
          return true;
        } catch {
          return false;
        }
      },
      { what: 'the Workflow CRD to serve' },
    );
    const ca = await createCertificateAuthority({ commonName: 'signals-ca' });
    const cert = await issueCertificate(ca, { commonName: 'signals', ipAddresses: ['127.0.0.1'], usage: 'server' });
    caPem = ca.certPem;
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(join(dir, 'token'), token);
    // Two servers ("replicas") with their own API clients: either may receive a call.
    const security = { tls: cert, token };
    serverA = await startGrpcServer({
      services: [
        signalService({ signals: new WorkflowSignals(loadKubeConfig({ file: kubeconfigPath })), logger: quiet }),
      ],
      security,
    });
    serverB = await startGrpcServer({
      services: [
        signalService({ signals: new WorkflowSignals(loadKubeConfig({ file: kubeconfigPath })), logger: quiet }),
      ],
      security,
    });
  });
  after(async () => {
    await serverA?.stop();
    await serverB?.stop();
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (server: RunningServer) => createSignalClient(server.address, { tls: { caPem }, token });
  const readWorkflow = async () => (await custom.getNamespacedCustomObject({ ...ref, name: 'nightly' })) as Workflow;

  test('ListSignals lists every gate signal with its type, unset at first', async () => {
    const c = client(serverA);
    try {
      const signals = await listSignals(c, { namespace: ns, workflow: 'nightly' });
      assert.deepEqual(
        signals.map((s) => [s.name, s.type, s.nodeId, s.set]),
        [
          ['approve', 'boolean', 'approve', false],
          ['review', 'boolean', 'review', false],
          ['limit', 'integer', 'limit', false],
          ['payload', 'json', 'payload', false],
        ],
      );
    } finally {
      c.close();
    }
  });

  test('a signal set through gRPC lands on the Workflow and the engine gate consumes it', async () => {
    const wf0 = await readWorkflow();
    const round0 = executeRound({ workflow: wf0, now: Date.now() });
    assert.notEqual(round0.status.nodes?.['approve']?.phase, 'Succeeded', 'the gate waits before the signal');
    const c = client(serverA);
    try {
      const set = await setSignal(c, {
        namespace: ns,
        workflow: 'nightly',
        name: 'approve',
        value: toSignalValue(true),
        setBy: 'alice',
      });
      assert.deepEqual([set.set, set.value, set.setBy], [true, true, 'alice']);
    } finally {
      c.close();
    }
    const wf = await readWorkflow();
    const annotation = JSON.parse(wf.metadata.annotations?.[signalAnnotationKey('approve')] ?? '{}') as {
      value?: unknown;
      setBy?: string;
      setAt?: string;
    };
    assert.deepEqual([annotation.value, annotation.setBy, typeof annotation.setAt], [true, 'alice', 'string']);
    assert.equal(wf.metadata.generation, wf0.metadata.generation, 'an annotation patch does not bump generation');
    // The engine's round reads the annotation: the gate passes with output value=true.
    let status = wf0.status;
    for (let i = 0; i < 4; i++) {
      const round = executeRound({ workflow: { ...wf, ...(status ? { status } : {}) }, now: Date.now() });
      status = round.status;
    }
    assert.equal(status?.nodes?.['approve']?.phase, 'Succeeded');
    assert.deepEqual(status?.nodes?.['approve']?.outputs, { value: true });
    // Any server sees it: list through the other one.
    const other = client(serverB);
    try {
      const listed = await listSignals(other, { namespace: ns, workflow: 'nightly' });
      assert.deepEqual(listed.find((s) => s.name === 'approve')?.value, true);
    } finally {
      other.close();
    }
  });

  test('values are checked against the gate type; unknown workflows and signals are NOT_FOUND', async () => {
    const c = client(serverB);
    try {
      const code = async (name: string, value: Parameters<typeof toSignalValue>[0], workflow = 'nightly') => {
        try {
          await setSignal(c, { namespace: ns, workflow, name, value: toSignalValue(value) });
          return grpc.status.OK;
        } catch (error) {
          return (error as { code?: number; details?: string }).code;
        }
      };
      assert.equal(await code('approve', 'yes'), grpc.status.INVALID_ARGUMENT);
      assert.equal(await code('limit', 2.5), grpc.status.INVALID_ARGUMENT);
      assert.equal(await code('limit', 7), grpc.status.OK);
      assert.equal(await code('payload', { rows: [1, 2], note: null }), grpc.status.OK);
      assert.equal(await code('nope', true), grpc.status.NOT_FOUND);
      assert.equal(await code('approve', true, 'missing'), grpc.status.NOT_FOUND);
      const wf = await readWorkflow();
      assert.deepEqual(JSON.parse(wf.metadata.annotations?.[signalAnnotationKey('payload')] ?? '{}').value, {
        rows: [1, 2],
        note: null,
      });
      await assert.rejects(
        setSignal(createSignalClient(serverB.address, { tls: { caPem }, token: 'wrong' }), {
          namespace: ns,
          workflow: 'nightly',
          name: 'approve',
          value: toSignalValue(true),
        }),
        (e: { code?: number }) => e.code === grpc.status.UNAUTHENTICATED,
      );
    } finally {
      c.close();
    }
  });

  // Child processes run asynchronously: the API server lives in this test's event loop.
  function exec(command: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  test('flotilla signal: directly through the kubeconfig and through --server; bad input exits 2', async () => {
    const run = (...args: string[]) => exec(process.execPath, ['bin/flotilla.mjs', 'signal', ...args]);
    const direct = await run(`${ns}/nightly`, 'review', 'true', '--kubeconfig', kubeconfigPath, '--set-by', 'bob');
    assert.equal(direct.status, 0, direct.stderr);
    assert.match(direct.stdout, /signal review set on team-a\/nightly: true/);
    const viaServer = await run(
      `${ns}/nightly`,
      'limit',
      '42',
      '--server',
      serverA.address,
      '--tls-ca',
      join(dir, 'ca.crt'),
      '--token-file',
      join(dir, 'token'),
    );
    assert.equal(viaServer.status, 0, viaServer.stderr);
    const wrongType = await run(`${ns}/nightly`, 'approve', 'maybe', '--kubeconfig', kubeconfigPath);
    assert.equal(wrongType.status, 2);
    assert.match(wrongType.stderr, /expects a boolean value, got string "maybe"/);
    const wrongTypeServer = await run(
      `${ns}/nightly`,
      'limit',
      '1.5',
      '--server',
      serverA.address,
      '--tls-ca',
      join(dir, 'ca.crt'),
      '--token-file',
      join(dir, 'token'),
    );
    assert.equal(wrongTypeServer.status, 2);
    assert.match(wrongTypeServer.stderr, /expects a integer value/);
    const unknown = await run(`${ns}/nightly`, 'nope', 'true', '--kubeconfig', kubeconfigPath);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no gate waiting for signal "nope"/);
    assert.equal((await run('nightly', 'approve', 'true', '--kubeconfig', kubeconfigPath)).status, 2);
    assert.equal((await run(`${ns}/missing`, 'approve', 'true', '--kubeconfig', kubeconfigPath)).status, 2);
    const annotations = await exec('kubectl', [
      '--kubeconfig',
      kubeconfigPath,
      '-n',
      ns,
      'get',
      'workflows.flotilla.io',
      'nightly',
      '-o',
      'jsonpath={.metadata.annotations}',
    ]);
    assert.equal(annotations.status, 0, annotations.stderr);
    const parsed = JSON.parse(annotations.stdout) as Record<string, string>;
    assert.deepEqual(JSON.parse(parsed[signalAnnotationKey('review')] ?? '{}').setBy, 'bob');
    assert.deepEqual(JSON.parse(parsed[signalAnnotationKey('limit')] ?? '{}').value, 42);
  });
});
