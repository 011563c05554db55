/**
 * Cached tasks in the fleet: `flotilla controller --flyte` as a real process against the embedded
 * API server (its kubelet running the pyflyte-execute stand-in) and a real Redis, with the
 * embedded catalog on that Redis (no --catalog-endpoint). Pods are counted from the API server's
 * write audit.
 * - a FlyteWorkflow whose tasks are `discoverable` runs twice: the first creates a pod per task
 *   and stores (CACHE_POPULATED); the second creates no pod and every task node says CACHE_HIT
 *   (and Flyte's own `cached`), with the same outputs;
 * - two identical FlyteWorkflows with `cacheSerializable` tasks at once: each task runs once;
 * - `executionConfig.OverwriteCache` runs again (CACHE_SKIPPED → CACHE_POPULATED);
 * - a native Workflow's pod task with `cache: {version}` run twice: one pod, the second CACHE_HIT.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { nodeDataPaths } from '../../src/storage/layout.js';
import { openBlobStore } from '../../src/storage/open.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { fixture, get, type Obj } from './fixtures.js';
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
import { waitFor } from '../support/wait.js';

const NS = 'flytesnacks-development';
const flyteApi = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL };
const TASK_NODES = ['n0', 'n1', 'n2'];

interface FlyteNodeView {
  phase?: number;
  cacheStatus?: string;
  cached?: boolean;
}
interface FlyteView {
  status?: {
    phase?: number;
    message?: string;
    dataDir?: string;
    outputRef?: string;
    nodeStatus?: Record<string, FlyteNodeView>;
  };
}

/** The container chain as FlyteAdmin creates it under `name`, every task cacheable at `version`. */
function cachedChain(name: string, version: string, options: { serialize?: boolean; overwrite?: boolean } = {}): Obj {
  const fw = fixture('a-container-chain.yaml');
  get(fw, 'metadata')['name'] = name;
  get(fw, 'metadata', 'labels')['execution-id'] = name;
  get(fw, 'executionId')['name'] = name;
  delete fw['status'];
  for (const template of Object.values(get(fw, 'tasks')) as Obj[]) {
    const metadata = (template['metadata'] ?? {}) as Obj;
    metadata['discoverable'] = true;
    metadata['discoveryVersion'] = version;
    if (options.serialize) metadata['cacheSerializable'] = true;
    template['metadata'] = metadata;
  }
  if (options.overwrite)
    fw['executionConfig'] = { ...((fw['executionConfig'] as Obj | undefined) ?? {}), OverwriteCache: true };
  return fw;
}

describe('cached tasks in the fleet (embedded catalog on Redis)', () => {
  let dir: string;
  let env: ControllerEnv;
  let controller: ControllerProcessHandle;
  let store: BlobStore;

  const read = async (name: string): Promise<FlyteView | undefined> => {
    try {
      return (await env.custom.getNamespacedCustomObject({ ...flyteApi, namespace: NS, name })) as FlyteView;
    } catch {
      return undefined;
    }
  };
  const create = (body: Obj) => env.custom.createNamespacedCustomObject({ ...flyteApi, namespace: NS, body });
  const terminal = (name: string) =>
    waitFor(
      async () => {
        const fw = await read(name);
        const phase = fw?.status?.phase;
        return phase === 3 || phase === 5 || phase === 6 ? fw : undefined;
      },
      { what: `${name} terminal`, timeoutMs: 60_000 },
    );
  const podsOf = (name: string, namespace = NS): string[] =>
    [...podCreates(env).keys()].filter((key) => key.startsWith(`${namespace}/${name}-`));
  const succeeded = (fw: FlyteView, name: string) =>
    assert.equal(fw.status?.phase, 3, `${name}: ${fw.status?.message} (stderr: ${controller.stderr().slice(-1500)})`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-cache-'));
    const url = `file://${join(dir, 'blobs')}`;
    store = await openBlobStore(url);
    env = await startControllerEnv({ blobStoreUrl: url });
    await env.core.createNamespace({ body: { metadata: { name: NS } } });
    controller = await spawnController({
      id: 'r-cache',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--install-flyte-crd', '--flyte', '--blob-store', url, '--shard-count', '1', '--concurrency', '4'],
    });
  });

  after(async () => {
    const code = await controller?.stop('SIGTERM');
    await env?.stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-2000)})`);
  });

  test('a cached FlyteWorkflow run twice creates its pods once; the second execution says CACHE_HIT', async () => {
    await create(cachedChain('fcache1', 'v1'));
    const first = await terminal('fcache1');
    succeeded(first, 'fcache1');
    for (const node of TASK_NODES)
      assert.equal(first.status?.nodeStatus?.[node]?.cacheStatus, 'CACHE_POPULATED', `fcache1 ${node}`);
    assert.equal(podsOf('fcache1').length, 3, `pods: ${podsOf('fcache1').join(', ')}`);

    await create(cachedChain('fcache2', 'v1'));
    const second = await terminal('fcache2');
    succeeded(second, 'fcache2');
    for (const node of TASK_NODES) {
      const ns = second.status?.nodeStatus?.[node];
      assert.equal(ns?.cacheStatus, 'CACHE_HIT', `fcache2 ${node}`);
      assert.equal(ns?.cached, true);
      assert.equal(ns?.phase, 5, 'Succeeded');
    }
    assert.deepEqual(podsOf('fcache2'), [], 'a cache hit creates no pod');
    // As FlytePropeller: the cached outputs are written where the node's first attempt would have put them.
    for (const node of TASK_NODES) {
      const [ran, hit] = [first, second].map(
        (fw) => nodeDataPaths(fw.status?.dataDir ?? '', { nodeId: node, attempt: 0 }).outputs,
      );
      const [ranOutputs, hitOutputs] = await Promise.all(
        [ran ?? '', hit ?? ''].map(async (uri) => decodeLiteralMap(await store.get(uri))),
      );
      assert.deepEqual(hitOutputs, ranOutputs, `${node}: the hit's outputs.pb holds the first run's outputs`);
    }
  });

  test('two identical FlyteWorkflows with serialized tasks at once run each task once', async () => {
    await Promise.all([
      create(cachedChain('fpair-a', 'v-pair', { serialize: true })),
      create(cachedChain('fpair-b', 'v-pair', { serialize: true })),
    ]);
    const [a, b] = await Promise.all([terminal('fpair-a'), terminal('fpair-b')]);
    succeeded(a, 'fpair-a');
    succeeded(b, 'fpair-b');
    const pods = [...podsOf('fpair-a'), ...podsOf('fpair-b')];
    assert.equal(pods.length, 3, `one pod per task in all: ${pods.join(', ')}`);
    for (const node of TASK_NODES) {
      const statuses = [a, b].map((fw) => fw.status?.nodeStatus?.[node]?.cacheStatus).sort();
      assert.deepEqual(statuses, ['CACHE_HIT', 'CACHE_POPULATED'], `${node}: one ran, the other took its outputs`);
    }
  });

  test('OverwriteCache runs the tasks again and stores their outputs', async () => {
    await create(cachedChain('fover', 'v1', { overwrite: true }));
    const fw = await terminal('fover');
    succeeded(fw, 'fover');
    assert.equal(podsOf('fover').length, 3);
    for (const node of TASK_NODES) assert.equal(fw.status?.nodeStatus?.[node]?.cacheStatus, 'CACHE_POPULATED');
  });

  test('a native Workflow pod task with cache {version} run twice creates one pod; the second says CACHE_HIT', async () => {
    const spec = {
      tasks: {
        build: {
          plugin: 'pod',
          cache: { version: '1' },
          pod: {
            image: 'busybox',
            command: ['build'],
            annotations: { 'flotilla.io/sim-message': '{"artifact":"app-1.tar"}', 'flotilla.io/sim-duration': '500ms' },
          },
        },
      },
      nodes: [{ id: 'build', kind: 'task', task: 'build', inputs: { ref: { value: 'main' } } }],
      outputs: { artifact: { fromNode: 'build', output: 'artifact' } },
    };
    await submit(env, workflow('native-cache-1', spec));
    const first = await waitTerminal(env, 'native-cache-1', 60_000);
    assert.equal(first.status?.phase, 'Succeeded', first.status?.message);
    assert.equal(first.status?.nodes?.['build']?.cacheStatus, 'CACHE_POPULATED');
    assert.equal(podsOf('native-cache-1', 'default').length, 1);

    await submit(env, workflow('native-cache-2', spec));
    const second = await waitTerminal(env, 'native-cache-2', 60_000);
    assert.equal(second.status?.phase, 'Succeeded', second.status?.message);
    assert.equal(second.status?.nodes?.['build']?.cacheStatus, 'CACHE_HIT');
    assert.deepEqual(second.status?.outputs, { artifact: 'app-1.tar' });
    assert.deepEqual(podsOf('native-cache-2', 'default'), []);
  });
});
