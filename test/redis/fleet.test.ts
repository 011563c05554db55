/**
 * Two `flotilla controller` processes on a password-protected Redis Cluster (3 masters, 3
 * replicas): `--redis redis+cluster://…` and `--redis-password-file`, static shards split between
 * them, shards' queues on different masters. Every workflow succeeds, each task pod is created once,
 * and the password shows in no log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { queuePrefix } from '../../src/controller/queue/index.js';
import { RedisCluster } from '../support/redis-cluster.js';
import {
  podCreates,
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';

const PASSWORD = 'cluster-fleet-s3cret';
const SHARDS = 6;

const spec = {
  tasks: {
    t: {
      plugin: 'pod',
      pod: {
        image: 'busybox',
        command: ['run'],
        annotations: { 'flotilla.io/sim-duration': '100ms', 'flotilla.io/sim-message': '{"ok":true}' },
      },
      outputs: { ok: 'boolean' },
    },
  },
  nodes: [
    { id: 'a', kind: 'task', task: 't' },
    { id: 'b', kind: 'task', task: 't', dependsOn: ['a'] },
  ],
  outputs: { ok: { fromNode: 'b', output: 'ok' } },
};

describe('controllers on a Redis Cluster with a password', { timeout: 120_000 }, () => {
  let cluster: RedisCluster;
  let env: ControllerEnv;
  let dir: string;
  const controllers: ControllerProcessHandle[] = [];

  before(async () => {
    [cluster, env] = await Promise.all([RedisCluster.start({ password: PASSWORD }), startControllerEnv()]);
    dir = mkdtempSync(join(tmpdir(), 'flotilla-cluster-fleet-'));
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    for (const [id, shards] of [
      ['r-a', '0-2'],
      ['r-b', '3-5'],
    ] as const) {
      controllers.push(
        await spawnController({
          id,
          kubeconfig: env.api.kubeconfigPath,
          redisUrl: cluster.url,
          shards,
          args: [
            '--shard-count',
            String(SHARDS),
            '--redis-password-file',
            join(dir, 'password'),
            '--log-level',
            'info',
          ],
        }),
      );
    }
  });
  after(async () => {
    const codes = await Promise.all(controllers.map((c) => c.stop('SIGTERM')));
    await Promise.all([env?.stop(), cluster?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(
      codes,
      controllers.map(() => 0),
      'controllers exit 0',
    );
  });

  test("every shard's workflows succeed, pods are created once, and no log holds the password", async () => {
    const masters = new Set<number>();
    for (let shard = 0; shard < SHARDS; shard++) masters.add(await cluster.masterOf(calculateSlot(queuePrefix(shard))));
    assert.ok(masters.size >= 2, "the shards' queues are on several masters");
    const names: string[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      for (let i = 0; i < 2; i++) {
        const name = `cluster-s${shard}-${i}`;
        names.push(name);
        await submit(env, workflow(name, spec, { shard }));
      }
    }
    for (const name of names) {
      const done = await waitTerminal(env, name, 60_000);
      assert.equal(done.status?.phase, 'Succeeded', `${name}: ${JSON.stringify(done.status?.message)}`);
    }
    const creates = podCreates(env);
    assert.equal(creates.size, names.length * 2, 'two pods per workflow');
    for (const [pod, count] of creates) assert.equal(count, 1, `${pod} created ${count} times`);
    for (const controller of controllers)
      assert.ok(
        !controller.stderr().includes(PASSWORD) && !controller.stdout().includes(PASSWORD),
        `${controller.id}: no password in its logs`,
      );
  });
});
