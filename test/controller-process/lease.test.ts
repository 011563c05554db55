/**
 * Lease mode (no `--shards`): with `--manager` a lone replica joins the fleet (member lease), is
 * elected, labels unlabelled Workflows, is assigned every shard, acquires their leases and runs the
 * workflows; SIGTERM releases its shards and exits 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api } from '@kubernetes/client-node';
import {
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

describe('controller process in lease mode', () => {
  let env: ControllerEnv;
  let controller: ControllerProcessHandle | undefined;

  before(async () => {
    env = await startControllerEnv();
  });
  after(async () => {
    await controller?.stop('SIGKILL');
    await env?.stop();
  });

  test('a lone replica with --manager takes every shard, runs unlabelled workflows, releases on SIGTERM', async () => {
    controller = await spawnController({
      id: 'r-lease',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      shards: '',
      args: ['--manager', '--shard-count', '4', '--fleet-namespace', 'default'],
    });
    const names = Array.from({ length: 6 }, (_, i) => `leased-${i}`);
    for (const name of names) {
      await submit(env, {
        apiVersion: 'flotilla.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name, namespace: 'default' },
        spec: {
          tasks: { t: { plugin: 'echo' } },
          nodes: [{ id: 'a', kind: 'task', task: 't', inputs: { n: { value: name } } }],
          outputs: { n: { fromNode: 'a', output: 'n' } },
        },
      });
    }
    for (const name of names) {
      const done = await waitTerminal(env, name, 45_000);
      assert.equal(done.status?.phase, 'Succeeded');
      assert.deepEqual(done.status?.outputs, { n: name });
      assert.match(done.metadata.labels?.['flotilla.io/shard'] ?? '', /^[0-3]$/);
    }
    const leases = env.api.kc.makeApiClient(CoordinationV1Api);
    const held = async () =>
      (await leases.listNamespacedLease({ namespace: 'default' })).items.filter(
        (l) => l.metadata?.name?.startsWith('flotilla-shard-') && l.spec?.holderIdentity === 'r-lease',
      ).length;
    assert.equal(await held(), 4, 'every shard lease held');
    await waitFor(async () => (await fetch(`${controller?.metricsUrl ?? ''}/readyz`)).status === 200, {
      what: 'ready',
    });
    assert.equal(await controller.stop('SIGTERM'), 0, controller.stderr().slice(-1000));
    assert.equal(await held(), 0, 'shard leases released on SIGTERM');
  });
});
