/**
 * Launch plans without FlyteAdmin: `flotilla controller --flyte` (a real process, the embedded API
 * server, a real Redis, no --admin-endpoint) resolves the launch plan locally — the
 * `launchplan-<name>` ConfigMap naming the workflow — creates the child FlyteWorkflow with its own
 * shard-key, follows it, and the parent's node takes the child's outputs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { childOf } from '../../src/plugins/flyte/launchplan.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open.js';
import { fixture } from '../flyte/fixtures.js';
import { LP, NS, parentWorkflow } from '../flyte/launchplan-fixture.js';
import {
  spawnController,
  startControllerEnv,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const flyteApi = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL };

describe('launch plan nodes without FlyteAdmin', () => {
  let dir: string;
  let env: ControllerEnv;
  let store: BlobStore;
  let controller: ControllerProcessHandle;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-flytelplocal-'));
    const url = `file://${join(dir, 'blobs')}`;
    store = await openBlobStore(url);
    env = await startControllerEnv({ blobStoreUrl: url });
    await env.core.createNamespace({ body: { metadata: { name: NS } } });
    const child = fixture('a-container-chain.yaml');
    delete child['status'];
    await env.core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'launchplan-demo-child-lp' }, data: { flyteworkflow: stringify(child) } },
    });
    controller = await spawnController({
      id: 'r-lplocal',
      shards: '0-1',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--install-flyte-crd', '--flyte', '--blob-store', url, '--shard-count', '2'],
    });
  });

  after(async () => {
    const code = await controller?.stop('SIGTERM');
    await env?.stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-2000)})`);
  });

  test('the ConfigMap names the workflow; the child runs as its own FlyteWorkflow; the parent takes its outputs', async () => {
    const name = 'flocallp1';
    await env.custom.createNamespacedCustomObject({ ...flyteApi, namespace: NS, body: parentWorkflow(name) });
    const read = async (n: string) =>
      (await env.custom.getNamespacedCustomObject({ ...flyteApi, namespace: NS, name: n })) as {
        metadata: { labels?: Record<string, string> };
        status?: { phase?: number; message?: string; outputRef?: string };
      };
    const parent = await waitFor(
      async () => {
        const got = await read(name);
        const phase = got.status?.phase;
        return phase === 3 || phase === 5 || phase === 6 ? got : undefined;
      },
      { what: `${name} terminal`, timeoutMs: 120_000 },
    );
    assert.equal(parent.status?.phase, 3, parent.status?.message);
    const child = childOf(
      {
        op: 'launchplan',
        launchPlan: LP,
        nodeId: 'n0',
        parents: [],
        execution: { project: 'flytesnacks', domain: 'development', name },
        namespace: NS,
      },
      1,
    );
    const childFw = await read(child.name);
    assert.equal(childFw.status?.phase, 3);
    assert.equal(childFw.metadata.labels?.['flotilla.io/parent-execution'], `flytesnacks.development.${name}`);
    const parentOutputs = decodeLiteralMap(await store.get(parent.status?.outputRef ?? '-'));
    const childOutputs = decodeLiteralMap(await store.get(childFw.status?.outputRef ?? '-'));
    assert.ok(childOutputs['o0']);
    assert.deepEqual(parentOutputs['o0'], childOutputs['o0']);
  });
});
