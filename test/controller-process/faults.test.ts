/**
 * The controller process under what real clusters do: many updates to one workflow while its
 * rounds run (no lost update), an informer lagging behind our own writes (no round acts on the old
 * version), 409 storms and expired watches (410) mid-run (every workflow completes; no Pod is
 * created twice, counted through the API server's write audit).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signalAnnotationKey } from '../../src/api/signals.js';
import { wfApi } from '../support/controller.js';
import {
  metricValue,
  podCreates,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

const podTask = (duration: string, message: Record<string, unknown>) => ({
  plugin: 'pod',
  pod: {
    image: 'busybox',
    annotations: { 'flotilla.io/sim-duration': duration, 'flotilla.io/sim-message': JSON.stringify(message) },
  },
});

/** Three chained pod tasks. */
const chain = {
  tasks: { a: podTask('200ms', { x: 1 }), b: podTask('200ms', { y: 2 }), c: podTask('200ms', { z: 3 }) },
  nodes: [
    { id: 'one', kind: 'task', task: 'a' },
    { id: 'two', kind: 'task', task: 'b', dependsOn: ['one'] },
    { id: 'three', kind: 'task', task: 'c', dependsOn: ['two'] },
  ],
  outputs: { x: { fromNode: 'one', output: 'x' }, z: { fromNode: 'three', output: 'z' } },
};

function assertEachPodOnce(env: ControllerEnv, prefix: string, expected: number): void {
  const creates = [...podCreates(env)].filter(([name]) => name.startsWith(`default/${prefix}`));
  assert.equal(creates.length, expected, `pods of ${prefix}: ${creates.map(([n]) => n).join(', ')}`);
  for (const [name, count] of creates) assert.equal(count, 1, `${name} created ${count} times`);
}

describe('controller process under faults', () => {
  let env: ControllerEnv;
  let controller: ControllerProcessHandle;

  before(async () => {
    env = await startControllerEnv();
    controller = await spawnController({
      id: 'r-faults',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--shard-count', '1'],
    });
  });
  after(async () => {
    env?.api.server.faults.clear();
    const code = await controller?.stop('SIGTERM');
    await env?.stop();
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-1000)})`);
  });

  test('lost update: many updates to one workflow during its rounds; it ends in the right state', async () => {
    const spec = {
      tasks: { wait: podTask('1s', { w: 1 }), echo: { plugin: 'echo' } },
      nodes: [
        { id: 'work', kind: 'task', task: 'wait' },
        { id: 'ask', kind: 'gate', gate: { signal: { name: 'go', type: 'integer' } } },
        {
          id: 'use',
          kind: 'task',
          task: 'echo',
          inputs: { got: { fromNode: 'ask', output: 'value' }, w: { fromNode: 'work', output: 'w' } },
        },
      ],
      outputs: { got: { fromNode: 'use', output: 'got' } },
    };
    await submit(env, workflow('busy', spec));
    env.api.server.faults.latency({ ms: 30 });
    const patch = (annotations: Record<string, string>) =>
      env.custom.patchNamespacedCustomObject(
        { ...wfApi, namespace: 'default', name: 'busy', body: { metadata: { annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    // 60 unrelated updates racing the rounds, the signal in the middle of them.
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      writes.push(patch({ [`example.com/noise-${i % 7}`]: String(i) }));
      if (i === 30)
        writes.push(
          patch({ [signalAnnotationKey('go')]: JSON.stringify({ value: 7, setAt: new Date().toISOString() }) }),
        );
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(writes);
    env.api.server.faults.clear();
    const done = await waitTerminal(env, 'busy', 30_000);
    assert.equal(done.status?.phase, 'Succeeded', done.status?.message);
    assert.deepEqual(done.status?.outputs, { got: 7 });
    assertEachPodOnce(env, 'busy', 1);
  });

  test('stale cache: the informer lags behind our writes; no round acts on the old version', async () => {
    const conflictsBefore = await metricValue(controller.metricsUrl, /^flotilla_status_update_conflicts_total/);
    env.api.server.faults.latency({ ms: 600, watchOnly: true });
    try {
      await Promise.all(Array.from({ length: 4 }, (_, i) => submit(env, workflow(`stale-${i}`, chain))));
      for (let i = 0; i < 4; i++) {
        const done = await waitTerminal(env, `stale-${i}`, 45_000);
        assert.equal(done.status?.phase, 'Succeeded', done.status?.message);
        assert.deepEqual(done.status?.outputs, { x: 1, z: 3 });
      }
    } finally {
      env.api.server.faults.clear();
    }
    assertEachPodOnce(env, 'stale-', 12);
    assert.ok(
      (await metricValue(controller.metricsUrl, /^flotilla_stale_cache_skips_total/)) > 0,
      'rounds read through instead of trusting the lagging cache',
    );
    // A round acting on an old version would have its status write refused (409).
    assert.equal(await metricValue(controller.metricsUrl, /^flotilla_status_update_conflicts_total/), conflictsBefore);
  });

  test('409 storm and watch expiry (410) mid-run: every workflow completes, no Pod created twice', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `storm-${i}`);
    env.api.server.faults.conflicts({ resource: 'workflows', count: 60 });
    await Promise.all(names.map((name) => submit(env, workflow(name, chain))));
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 300));
      env.api.server.faults.expireWatches();
      env.api.server.faults.compact();
    }
    for (const name of names) {
      const done = await waitTerminal(env, name, 60_000);
      assert.equal(done.status?.phase, 'Succeeded', `${name}: ${done.status?.message ?? ''}`);
      assert.deepEqual(done.status?.outputs, { x: 1, z: 3 });
    }
    assertEachPodOnce(env, 'storm-', 24);
    const conflicts = env.api.server.faults.audit({ resource: 'workflows' }).filter((e) => e.code === 409).length;
    assert.ok(conflicts > 0, 'conflicts were forced');
    await waitFor(async () => (await fetch(`${controller.metricsUrl}/readyz`)).status === 200, { what: 'still ready' });
  });
});
