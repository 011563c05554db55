/**
 * `flotilla controller --flyte` as a real process against the embedded API server (its kubelet
 * running the pyflyte-execute stand-in on a file:// blob store) and a real Redis: the FlyteWorkflow
 * CRD installed by `--install-flyte-crd`; a FlyteWorkflow (a-container-chain.yaml under a fresh
 * name, as FlyteAdmin creates it: no status) runs to Succeeded (phase 3) through Pods the pod
 * plugin creates and the kubelet completes, with inputs.pb/outputs.pb in the store and the
 * completion labels; an invalid one is Failed (phase 5) with a message and an InvalidSpec Event,
 * once; one without a shard-key is labelled and run; a native Workflow on the same replica still
 * succeeds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { outputObjectUri } from '../../src/controller/adapters/index.js';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { workflowInputsUri } from '../../src/storage/layout.js';
import { openBlobStore } from '../../src/storage/open.js';
import { fixture, get, type Obj } from '../flyte/fixtures.js';
import {
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

interface FlyteStatusView {
  phase?: number;
  message?: string;
  dataDir?: string;
  outputRef?: string;
  nodeStatus?: Record<string, { phase?: number }>;
}
interface FlyteView {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; finalizers?: string[] };
  status?: FlyteStatusView;
}

/** A fixture as FlyteAdmin would create it under `name` (no status). */
function fromFixture(file: string, name: string, edit?: (fw: Obj) => void): Obj {
  const fw = fixture(file);
  const metadata = get(fw, 'metadata');
  metadata['name'] = name;
  get(fw, 'metadata', 'labels')['execution-id'] = name;
  get(fw, 'executionId')['name'] = name;
  delete fw['status'];
  edit?.(fw);
  return fw;
}

const chain = (name: string, edit?: (fw: Obj) => void): Obj => fromFixture('a-container-chain.yaml', name, edit);

describe('flotilla controller --flyte', () => {
  let dir: string;
  let store: BlobStore;
  let env: ControllerEnv;
  let controller: ControllerProcessHandle;
  const pods = new Map<string, V1Pod>();
  let stopWatch: () => void = () => undefined;

  const read = async (name: string): Promise<FlyteView | undefined> => {
    try {
      return (await env.custom.getNamespacedCustomObject({ ...flyteApi, namespace: NS, name })) as FlyteView;
    } catch {
      return undefined;
    }
  };
  const create = (body: Obj) => env.custom.createNamespacedCustomObject({ ...flyteApi, namespace: NS, body });
  const terminal = (name: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const fw = await read(name);
        const phase = fw?.status?.phase;
        return phase === 3 || phase === 5 || phase === 6 ? fw : undefined;
      },
      { what: `${name} terminal`, timeoutMs },
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-flytectl-'));
    const url = `file://${join(dir, 'blobs')}`;
    store = await openBlobStore(url);
    env = await startControllerEnv({ blobStoreUrl: url });
    await env.core.createNamespace({ body: { metadata: { name: NS } } });
    const watch = await new Watch(env.api.kc).watch(
      `/api/v1/namespaces/${NS}/pods`,
      {},
      (type, pod: V1Pod) => {
        if (type === 'ADDED' && pod.metadata?.name) pods.set(pod.metadata.name, pod);
      },
      () => undefined,
    );
    stopWatch = () => watch.abort();
    controller = await spawnController({
      id: 'r-flyte',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--install-flyte-crd', '--flyte', '--blob-store', url, '--shard-count', '1', '--concurrency', '4'],
    });
  });

  after(async () => {
    stopWatch();
    const code = await controller?.stop('SIGTERM');
    await env?.stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-2000)})`);
  });

  test('the container chain runs to Succeeded through pods; inputs.pb and outputs.pb decode; completion labels', async () => {
    await create(chain('fchain1'));
    const done = await terminal('fchain1');
    assert.equal(
      done.status?.phase,
      3,
      `${JSON.stringify(done.status?.message)} (stderr: ${controller.stderr().slice(-1500)})`,
    );
    for (const node of ['n0', 'n1', 'n2'])
      assert.equal(done.status?.nodeStatus?.[node]?.phase, 5, `node ${node} Succeeded`);
    const mine = [...pods.values()].filter((p) =>
      p.metadata?.ownerReferences?.some((o) => o.kind === 'FlyteWorkflow' && o.name === 'fchain1'),
    );
    assert.equal(mine.length, 3, `one pod per task: ${[...pods.keys()].join(', ')}`);
    for (const pod of mine) {
      const container = pod.spec?.containers[0];
      const text = JSON.stringify([container?.command ?? [], container?.args ?? []]);
      assert.ok(!text.includes('{{'), `pod ${pod.metadata?.name} has no unrendered template: ${text}`);
      assert.equal(pod.metadata?.labels?.['flotilla.io/shard'], '0');
    }
    const dataDir = done.status?.dataDir;
    assert.ok(dataDir !== undefined && dataDir.startsWith('file://'), `dataDir ${String(dataDir)}`);
    const inputs = decodeLiteralMap(await store.get(workflowInputsUri(dataDir)));
    assert.ok('url' in inputs, `inputs: ${Object.keys(inputs).join(',')}`);
    assert.ok(done.status?.outputRef, 'outputRef');
    const outputs = decodeLiteralMap(await store.get(done.status.outputRef));
    assert.ok(Object.keys(outputs).length > 0, 'the workflow has outputs');
    assert.equal(done.metadata.labels?.['termination-status'], 'terminated');
    assert.match(done.metadata.labels?.['completed-time'] ?? '', /^\d{4}-\d{2}-\d{2}\.\d{2}$/);
    assert.equal(done.metadata.labels?.['flotilla.io/shard'], '0');
    assert.ok(!(done.metadata.finalizers ?? []).includes('flyte.org/finalizer'), 'the Flyte finalizer is gone');
  });

  test('an invalid FlyteWorkflow is Failed with a message and an InvalidSpec Event, once', async () => {
    await create(
      chain('fbad1', (fw) => {
        get(fw, 'spec', 'nodes', 'n1')['kind'] = 'teleport';
      }),
    );
    const done = await terminal('fbad1', 30_000);
    assert.equal(done.status?.phase, 5);
    assert.match(done.status?.message ?? '', /invalid workflow: .*n1/);
    const events = await waitFor(
      async () => {
        const list = (await env.core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=fbad1' }))
          .items;
        return list.some((e) => e.reason === 'InvalidSpec') ? list : undefined;
      },
      { what: 'InvalidSpec event' },
    );
    assert.equal(events.find((e) => e.reason === 'InvalidSpec')?.involvedObject.kind, 'FlyteWorkflow');
    const version = done.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await read('fbad1'))?.metadata.resourceVersion, version, 'no further writes (no loop)');
  });

  test('a FlyteWorkflow without shard-key is labelled with the key FlyteAdmin would write, and runs', async () => {
    await create(
      chain('fnokey1', (fw) => {
        delete get(fw, 'metadata', 'labels')['shard-key'];
      }),
    );
    const done = await terminal('fnokey1');
    assert.equal(done.status?.phase, 3, JSON.stringify(done.status?.message));
    assert.match(done.metadata.labels?.['shard-key'] ?? '', /^\d+$/);
  });

  test('the branch fixture takes its case and succeeds', async () => {
    await create(fromFixture('b-branch.yaml', 'fbranch1'));
    const done = await terminal('fbranch1');
    assert.equal(done.status?.phase, 3, JSON.stringify(done.status?.message));
    assert.equal(done.status?.nodeStatus?.['n0']?.phase, 5, 'the branch node Succeeded');
  });

  test('a failing task under FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: the sibling finishes, the failure node runs, Failed with the message', async () => {
    await create(
      fromFixture('f-on-failure.yaml', 'fonfail1', (fw) => {
        get(fw, 'metadata')['annotations'] = {
          'flotilla.io/flyte-stand-in': JSON.stringify({ n0: { fail: { message: 'table a locked' } } }),
        };
      }),
    );
    const done = await terminal('fonfail1');
    assert.equal(done.status?.phase, 5, JSON.stringify(done.status?.message));
    assert.match(done.status?.message ?? '', /table a locked/);
    assert.equal(done.status?.nodeStatus?.['n1']?.phase, 5, 'the sibling Succeeded');
    assert.equal(done.status?.nodeStatus?.['fn0']?.phase, 5, 'the failure node Succeeded');
    assert.equal(done.metadata.labels?.['termination-status'], 'terminated');
    const events = (
      await env.core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=fonfail1' })
    ).items;
    assert.ok(
      events.some((e) => e.reason === 'WorkflowFailed' && e.type === 'Warning'),
      `events: ${events.map((e) => e.reason).join(',')}`,
    );
  });

  test('RecoveryExecution: the nodes that succeeded in the failed execution run no Pod and take its outputs; the failed one runs', async () => {
    // The first execution: n2 fails (not retryable) after n0 and n1 succeeded. A plain run beside it
    // gives the outputs a full success has.
    await create(
      chain('frecover1', (fw) => {
        get(fw, 'metadata')['annotations'] = {
          'flotilla.io/flyte-stand-in': JSON.stringify({ n2: { fail: { message: 'report server down' } } }),
        };
      }),
    );
    await create(chain('frecover0'));
    const failed = await terminal('frecover1');
    assert.equal(failed.status?.phase, 5, JSON.stringify(failed.status?.message));
    assert.match(failed.status?.message ?? '', /report server down/);
    const plain = await terminal('frecover0');
    assert.equal(plain.status?.phase, 3, JSON.stringify(plain.status?.message));

    // The recovery: the same workflow (the failure gone), naming the first execution.
    await create(
      chain('frecover2', (fw) => {
        get(fw, 'executionConfig')['RecoveryExecution'] = {
          project: 'flytesnacks',
          domain: 'development',
          name: 'frecover1',
        };
      }),
    );
    const done = await terminal('frecover2');
    assert.equal(
      done.status?.phase,
      3,
      `${JSON.stringify(done.status?.message)} (stderr: ${controller.stderr().slice(-1500)})`,
    );
    for (const node of ['n0', 'n1']) assert.equal(done.status?.nodeStatus?.[node]?.phase, 12, `node ${node} Recovered`);
    assert.equal(done.status?.nodeStatus?.['n2']?.phase, 5, 'node n2 ran and Succeeded');
    const mine = [...pods.values()].filter((p) =>
      p.metadata?.ownerReferences?.some((o) => o.kind === 'FlyteWorkflow' && o.name === 'frecover2'),
    );
    assert.deepEqual(
      mine.map((p) => p.metadata?.labels?.['node-id']),
      ['n2'],
      `only n2 has a Pod: ${mine.map((p) => p.metadata?.name).join(', ')}`,
    );
    assert.ok(done.status?.outputRef && plain.status?.outputRef, 'both have outputs');
    assert.deepEqual(
      decodeLiteralMap(await store.get(done.status.outputRef)),
      decodeLiteralMap(await store.get(plain.status.outputRef)),
      'the same outputs as a full run',
    );
    // A recovered node's outputs.pb is where its first attempt's would be (as a cache hit's), equal to the earlier ones.
    const firstDir = failed.status?.dataDir ?? '';
    const secondDir = done.status?.dataDir ?? '';
    assert.deepEqual(
      decodeLiteralMap(await store.get(`${secondDir}/n1/data/0/outputs.pb`)),
      decodeLiteralMap(await store.get(`${firstDir}/n1/data/0/outputs.pb`)),
    );
  });

  test('RecoveryExecution reaches into a sub-workflow: its succeeded task node is recovered by path, the failed top-level node runs', async () => {
    await create(
      fromFixture('c-subworkflow.yaml', 'frecsub1', (fw) => {
        get(fw, 'metadata')['annotations'] = {
          'flotilla.io/flyte-stand-in': JSON.stringify({ n1: { fail: { message: 'n1 down' } } }),
        };
      }),
    );
    assert.equal((await terminal('frecsub1')).status?.phase, 5);
    await create(
      fromFixture('c-subworkflow.yaml', 'frecsub2', (fw) => {
        get(fw, 'executionConfig')['RecoveryExecution'] = {
          project: 'flytesnacks',
          domain: 'development',
          name: 'frecsub1',
        };
      }),
    );
    const done = await terminal('frecsub2');
    assert.equal(done.status?.phase, 3, JSON.stringify(done.status?.message));
    const sub = done.status?.nodeStatus?.['n0'] as {
      phase?: number;
      subNodeStatus?: Record<string, { phase?: number }>;
    };
    assert.equal(sub.subNodeStatus?.['n0']?.phase, 12, 'the sub-workflow task node Recovered');
    assert.equal(done.status?.nodeStatus?.['n1']?.phase, 5, 'n1 ran');
    const mine = [...pods.values()].filter((p) =>
      p.metadata?.ownerReferences?.some((o) => o.kind === 'FlyteWorkflow' && o.name === 'frecsub2'),
    );
    assert.deepEqual(
      mine.map((p) => p.metadata?.labels?.['node-id']),
      ['n1'],
    );
  });

  test('deleting a running FlyteWorkflow (how FlyteAdmin aborts) aborts it and releases flyte.org/finalizer', async () => {
    await create(chain('fabort1'));
    await waitFor(
      () => [...pods.values()].some((p) => p.metadata?.ownerReferences?.some((o) => o.name === 'fabort1')),
      { what: 'a pod of fabort1' },
    );
    await env.custom.deleteNamespacedCustomObject({ ...flyteApi, namespace: NS, name: 'fabort1' });
    await waitFor(async () => (await read('fabort1')) === undefined, { what: 'fabort1 gone', timeoutMs: 30_000 });
    const events = (await env.core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=fabort1' }))
      .items;
    assert.ok(
      events.some((e) => e.reason === 'WorkflowAborted'),
      `events: ${events.map((e) => e.reason).join(',')}`,
    );
  });

  test('a native Workflow on the same replica still succeeds; its large outputs go to the blob store, not a ConfigMap', async () => {
    const simple = {
      inputs: { blob: 'x'.repeat(20_000) },
      tasks: { t: { plugin: 'echo' } },
      nodes: [{ id: 'a', kind: 'task', task: 't', inputs: { x: { value: 1 }, blob: { fromInput: 'blob' } } }],
      outputs: { x: { fromNode: 'a', output: 'x' } },
    };
    const created = await submit(env, workflow('native-beside', simple));
    const done = await waitTerminal(env, 'native-beside', 30_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.message));
    const ref = done.status?.nodes?.['a']?.outputRef;
    assert.ok(ref, 'the 20 kB output was offloaded (outputRef)');
    const owner = {
      metadata: { name: 'native-beside', namespace: created.metadata.namespace, uid: created.metadata.uid },
    };
    const stored = JSON.parse(Buffer.from(await store.get(outputObjectUri(store, ref, owner))).toString('utf8')) as {
      blob?: string;
    };
    assert.equal(stored.blob?.length, 20_000, 'the outputs are in the blob store');
    const maps = (await env.core.listNamespacedConfigMap({ namespace: created.metadata.namespace })).items;
    assert.ok(!maps.some((m) => m.metadata?.name?.startsWith('flotilla-out-')), 'no output ConfigMap');
  });

  test('a native pod task writes outputs past the 4 KiB termination message to FLOTILLA_OUTPUTS_URI in the store', async () => {
    const table = 'r'.repeat(10_000);
    const spec = {
      tasks: {
        wide: {
          plugin: 'pod',
          pod: {
            image: 'busybox',
            command: ['dump'],
            annotations: {
              'flotilla.io/sim-duration': '100ms',
              'flotilla.io/sim-message': JSON.stringify({ table }),
            },
          },
          outputs: { table: 'string' },
        },
      },
      nodes: [{ id: 'dump', kind: 'task', task: 'wide' }],
      outputs: { table: { fromNode: 'dump', output: 'table' } },
    };
    await submit(env, workflow('native-wide', spec));
    const done = await waitTerminal(env, 'native-wide', 30_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.message));
    assert.equal((done.status?.outputs as { table?: string } | undefined)?.table?.length, 10_000, 'all 10 kB arrived');
    let found = 0;
    for await (const blob of store.list(store.join('flotilla', 'default', done.metadata.uid, 'pods'))) {
      if (blob.uri.endsWith('/outputs.json')) found++;
    }
    assert.equal(found, 1, 'the kubelet wrote the outputs object the plugin read');
  });
});
