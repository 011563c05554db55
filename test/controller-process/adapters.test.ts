/**
 * The production adapters against the embedded API server, and the controller process's
 * execution events reaching a real `flotilla event-sink` process over gRPC (token auth).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigMapOutputStore,
  KubeChildWorkflowGateway,
  KubePodGateway,
  outputConfigMapName,
  AdapterError,
} from '../../src/controller/adapters/index.js';
import { PooledKubeConfig } from '../../src/kube/keepalive.js';
import { Metrics } from '../../src/observability/metrics.js';
import { createEventSinkClient, listEvents } from '../../src/events/client.js';
import type { Workflow } from '../../src/api/workflow.js';
import {
  metricValue,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('controller adapters (embedded API server)', () => {
  let env: ControllerEnv;
  let kc: PooledKubeConfig;
  let owner: Workflow;

  before(async () => {
    env = await startControllerEnv();
    kc = new PooledKubeConfig(env.api.kc, 8);
    owner = await submit(
      env,
      workflow(
        'owner',
        { tasks: { t: { plugin: 'echo' } }, nodes: [{ id: 'a', kind: 'task', task: 't' }] },
        { shard: 9 },
      ),
    );
  });
  after(async () => {
    kc?.close();
    await env?.stop();
  });

  test('ConfigMapOutputStore: deterministic name, owner reference, idempotent upsert, typed errors', async () => {
    const store = new ConfigMapOutputStore({ kubeConfig: kc, maxBytes: 10_000 });
    const ref = `${owner.metadata.uid}/per-part`;
    await store.put(ref, { rows: [1, 2, 3] }, owner);
    await store.put(ref, { rows: [1, 2, 3, 4] }, owner);
    assert.deepEqual(await store.get(ref, owner), { rows: [1, 2, 3, 4] });
    assert.equal(await store.get(`${owner.metadata.uid}/nothing`, owner), undefined);
    await assert.rejects(
      store.put(ref, { big: 'x'.repeat(20_000) }, owner),
      (e: unknown) => e instanceof AdapterError && e.code === 'OutputTooLarge',
    );
    const map = await env.core.readNamespacedConfigMap({ namespace: 'default', name: outputConfigMapName(ref) });
    assert.equal(map.metadata?.ownerReferences?.[0]?.uid, owner.metadata.uid);
    assert.equal(map.metadata?.annotations?.['flotilla.io/output-ref'], ref);
    assert.equal(
      env.api.server.faults.audit({ resource: 'configmaps', verb: 'create' }).filter((e) => e.code < 300).length,
      1,
    );
  });

  test('KubePodGateway: AlreadyExists is {created:false}, counted once; missing get is undefined; delete twice is fine', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const gateway = new KubePodGateway({ kubeConfig: kc, metrics });
    const pod = {
      metadata: { name: 'gw-pod', namespace: 'default', labels: { 'flotilla.io/shard': '9' } },
      spec: { containers: [{ name: 'task', image: 'busybox' }] },
    };
    assert.deepEqual(await gateway.create(pod), { created: true });
    assert.deepEqual(await gateway.create(pod), { created: false });
    assert.equal((await gateway.get('default', 'gw-pod'))?.metadata?.name, 'gw-pod');
    assert.equal(await gateway.get('default', 'no-such-pod'), undefined);
    await gateway.delete('default', 'gw-pod');
    await gateway.delete('default', 'gw-pod');
    assert.match(await metrics.text(), /flotilla_pods_created_total\{shard="9"\} 1\n/);
  });

  test('KubeChildWorkflowGateway: create twice is fine; phase Pending without status; NotFound; delete of a missing child', async () => {
    const gateway = new KubeChildWorkflowGateway({ kubeConfig: kc });
    const child = {
      apiVersion: 'flotilla.io/v1alpha1' as const,
      kind: 'Workflow' as const,
      metadata: { name: 'child-1', namespace: 'default' },
      spec: owner.spec,
    };
    await gateway.create(child);
    await gateway.create(child);
    assert.deepEqual(await gateway.get('default', 'child-1'), { phase: 'Pending' });
    await gateway.delete('default', 'child-1');
    await gateway.delete('default', 'child-1');
    await waitFor(async () => (await gateway.get('default', 'child-1')).phase === 'NotFound', { what: 'child gone' });
  });
});

describe('controller process → event sink process (gRPC, token)', () => {
  let env: ControllerEnv;
  let dir: string;
  let controller: ControllerProcessHandle | undefined;
  const sink = { child: undefined as ReturnType<typeof spawn> | undefined, address: '' };

  before(async () => {
    env = await startControllerEnv();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sink-'));
    writeFileSync(join(dir, 'token'), 's3cret-token\n');
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/flotilla.mjs'),
        'event-sink',
        '--port',
        '0',
        '--store',
        'memory',
        '--token-file',
        join(dir, 'token'),
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    sink.child = child;
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(
      () => {
        const match = /listening on (\S+)/.exec(out);
        if (match?.[1]) sink.address = match[1];
        return Boolean(match);
      },
      { what: 'event sink listening', timeoutMs: 30_000 },
    );
    controller = await spawnController({
      id: 'r-events',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--shard-count', '1', '--event-sink', sink.address, '--event-sink-token-file', join(dir, 'token')],
    });
  });
  after(async () => {
    const code = await controller?.stop('SIGTERM');
    sink.child?.kill('SIGTERM');
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  });

  test('execution events of a workflow reach the sink; the token never shows in the logs', async () => {
    await submit(
      env,
      workflow('evented', {
        tasks: { t: { plugin: 'echo' } },
        nodes: [{ id: 'a', kind: 'task', task: 't', inputs: { v: { value: 1 } } }],
      }),
    );
    assert.equal((await waitTerminal(env, 'evented')).status?.phase, 'Succeeded');
    const client = createEventSinkClient(sink.address, { token: 's3cret-token' });
    try {
      await waitFor(
        async () =>
          (await listEvents(client, { namespace: 'default', name: 'evented' })).events.some(
            (e) => e.event.scope === 'workflow' && e.event.phase === 'Succeeded',
          ),
        { what: 'workflow Succeeded event at the sink' },
      );
    } finally {
      client.close();
    }
    await waitFor(
      async () =>
        (await metricValue(controller?.metricsUrl ?? '', /^flotilla_events_sent_total\{kind="execution"\}/)) > 0,
      { what: 'execution events counted' },
    );
    assert.ok(!(controller?.stderr() ?? '').includes('s3cret-token'));
  });
});
