/**
 * The error model end to end: `flotilla controller` processes against the embedded API server
 * (simulated kubelet, ResourceQuota admission) and a real Redis.
 * - outputs over the limit fail the node at once, naming the limit;
 * - a pod refused by a ResourceQuota waits (WaitingForResources, the quota named in the node's
 *   message and in a Warning Event) and starts when the quota frees, or fails at its timeout;
 * - a pod the API server refuses as invalid fails the node at once with the server's message;
 * - an unreachable API server is named (connection refused, host:port) by the replica and the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.js';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import {
  getWorkflow,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ns = 'default';

const podTask = (extra: Record<string, unknown> = {}, duration = '300ms') => ({
  plugin: 'pod',
  pod: {
    image: 'busybox',
    command: ['run'],
    annotations: { 'flotilla.io/sim-duration': duration, 'flotilla.io/sim-message': '{"ok":true}' },
    ...extra,
  },
});

/** Runs `node bin/flotilla.mjs …` until it exits or `timeoutMs`; returns its output. */
function runCli(
  bin: 'flotilla' | 'shardctl',
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, `bin/${bin}.mjs`), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('the error model end to end', () => {
  let env: ControllerEnv;
  let controller: ControllerProcessHandle;
  before(async () => {
    env = await startControllerEnv();
    controller = await spawnController({
      id: 'errors-0',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--max-output-bytes', '4096'],
    });
  });
  after(async () => {
    await controller?.stop();
    await env?.stop();
  });

  test('outputs over the limit fail the node at once, naming the limit', async () => {
    await submit(
      env,
      workflow('too-big', {
        inputs: { blob: 'x'.repeat(6_000) },
        tasks: { echo: { plugin: 'echo', retries: 3 } },
        nodes: [{ id: 'a', kind: 'task', task: 'echo', inputs: { blob: { fromInput: 'blob' } } }],
      }),
    );
    const done = await waitTerminal(env, 'too-big', 30_000);
    assert.equal(done.status?.phase, 'Failed');
    const node = done.status?.nodes?.['a'];
    assert.equal(node?.phase, 'Failed');
    assert.equal(node?.attempts, 1);
    assert.equal(node?.reason, 'OutputTooLarge');
    assert.match(node?.message ?? '', /limit of 4096 bytes/);
  });

  test("an invalid pod fails the node at once with the API server's message", async () => {
    await submit(
      env,
      workflow('bad-pod', {
        tasks: { t: podTask({ labels: { team: 'not ok!' } }) },
        nodes: [{ id: 'a', kind: 'task', task: 't', retries: 2 }],
      }),
    );
    const done = await waitTerminal(env, 'bad-pod', 30_000);
    const node = done.status?.nodes?.['a'];
    assert.equal(done.status?.phase, 'Failed');
    assert.equal(node?.reason, 'InvalidPod');
    assert.equal(node?.attempts, 1);
    assert.match(node?.message ?? '', /is invalid: metadata\.labels: Invalid value: "not ok!"/);
  });

  test('a quota refusal waits visibly, then starts when the quota frees; or fails at its timeout', async () => {
    await env.core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'one-cpu' }, spec: { hard: { 'requests.cpu': '1' } } },
    });
    // A pod outside flotilla holds the quota (the simulated kubelet runs it for an hour).
    await env.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'hog', annotations: { 'flotilla.io/sim-duration': '1h' } },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '1' } } }],
        },
      },
    });
    const cpu = { resources: { requests: { cpu: '500m' } } };
    await submit(env, workflow('waits', { tasks: { t: podTask(cpu) }, nodes: [{ id: 'a', kind: 'task', task: 't' }] }));
    await submit(
      env,
      workflow('times-out', {
        tasks: { t: { ...podTask(cpu), timeout: '3s' } },
        nodes: [{ id: 'a', kind: 'task', task: 't' }],
      }),
    );

    const waiting = await waitFor(
      async () => {
        const wf = await getWorkflow(env, 'waits');
        const node = wf?.status?.nodes?.['a'];
        return node?.taskPhase === 'WaitingForResources' ? node : undefined;
      },
      { what: 'node waiting for resources', timeoutMs: 20_000 },
    );
    assert.equal(waiting.phase, 'Running');
    assert.match(
      waiting.message ?? '',
      /^WaitingForResources: pods ".*" is forbidden: exceeded quota: one-cpu, requested: requests\.cpu=500m, used: requests\.cpu=1, limited: requests\.cpu=1$/,
    );
    const event = await waitFor(
      async () => {
        const events = await env.core.listNamespacedEvent({ namespace: ns });
        return events.items.find((e) => e.reason === 'WaitingForResources' && e.involvedObject.name === 'waits');
      },
      { what: 'WaitingForResources event', timeoutMs: 10_000 },
    );
    assert.equal(event.type, 'Warning');
    assert.match(event.message ?? '', /exceeded quota: one-cpu/);

    // The timeout bounds the wait.
    const timedOut = await waitTerminal(env, 'times-out', 30_000);
    assert.equal(timedOut.status?.phase, 'Failed');
    assert.equal(timedOut.status?.nodes?.['a']?.reason, 'Timeout');

    // The hog goes: its quota is free, the waiting pod is created and runs.
    await env.core.deleteNamespacedPod({ namespace: ns, name: 'hog', gracePeriodSeconds: 0 });
    const done = await waitTerminal(env, 'waits', 60_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.nodes));
  });
});

describe('an unreachable API server is named', () => {
  let dir: string;
  let kubeconfig: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-unreachable-'));
    port = await freePort();
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: x',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:' + port + '"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the CLI (flotilla signal, shardctl status) says connection refused with host and port', async () => {
    const signal = await runCli('flotilla', ['signal', '--kubeconfig', kubeconfig, `${ns}/wf`, 'go', 'true'], 30_000);
    assert.notEqual(signal.code, 0);
    assert.match(signal.out, /connection refused \(ECONNREFUSED\)/);
    assert.ok(signal.out.includes(`127.0.0.1:${port}`), signal.out);
    const shardctl = await runCli('shardctl', ['--kubeconfig', kubeconfig, 'status'], 30_000);
    assert.notEqual(shardctl.code, 0);
    assert.match(shardctl.out, /connection refused \(ECONNREFUSED\)/);
    assert.ok(shardctl.out.includes(`127.0.0.1:${port}`), shardctl.out);
  });

  test('a replica logs the cause while its informers cannot sync', async () => {
    const redis = await RedisServer.start({ persist: false });
    const replica = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/flotilla.mjs'),
        'controller',
        '--kubeconfig',
        kubeconfig,
        '--redis',
        redis.url,
        '--shards',
        '0',
        '--metrics-port',
        '0',
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    replica.stdout.on('data', (c: Buffer) => (out += c.toString()));
    replica.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => out.includes('ECONNREFUSED') && out.includes(`127.0.0.1:${port}`), {
        what: 'replica names the refused API server',
        timeoutMs: 30_000,
      });
      assert.match(out, /connection refused \(ECONNREFUSED\)/);
    } finally {
      replica.kill('SIGKILL');
      await redis.stop();
    }
  });
});
