/**
 * Every FlyteWorkflow node kind through `flotilla controller --flyte` as a real process (the
 * embedded API server with its kubelet's pyflyte-execute stand-in on a file:// blob store, a real
 * Redis), not only in-process: an inline sub-workflow, the three gates (a sleep, a signal that
 * arrives while the gate waits, an approval), an ArrayNode over a list, binding kinds with branch
 * conditions, retries (user and system failures, then a non-recoverable one with its failure
 * node) and a task type the fleet has no plugin for. Each fixture runs under a fresh name as
 * FlyteAdmin would create it; the phases are the ones Flyte gives these shapes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, Watch, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { signalAnnotationKey } from '../../src/api/signals.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { fixture, FIXTURE_DIR, get, type Obj } from '../flyte/fixtures.js';
import {
  spawnController,
  startControllerEnv,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const NS = 'flytesnacks-development';
const flyteApi = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL, namespace: NS };

interface NodeView {
  phase?: number;
  message?: string;
  attempts?: number;
  subNodeStatus?: Record<string, NodeView>;
  gateNodeStatus?: { phase?: number };
  arrayNodeStatus?: { phase?: number };
}
interface FlyteView {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { phase?: number; message?: string; nodeStatus?: Record<string, NodeView> };
}

async function load(file: string): Promise<Obj> {
  if (file.startsWith('run/')) return parse(await readFile(join(FIXTURE_DIR, file), 'utf8')) as Obj;
  return fixture(file);
}

/** A fixture as FlyteAdmin would create it under `name` (no status). */
async function fromFixture(file: string, name: string, edit?: (fw: Obj) => void): Promise<Obj> {
  const fw = await load(file);
  get(fw, 'metadata')['name'] = name;
  get(fw, 'metadata', 'labels')['execution-id'] = name;
  get(fw, 'executionId')['name'] = name;
  delete fw['status'];
  edit?.(fw);
  return fw;
}

const signal = (value: boolean): string => JSON.stringify({ value, setAt: new Date().toISOString(), setBy: 'test' });

describe('flotilla controller --flyte: every node kind', () => {
  let dir: string;
  let env: ControllerEnv;
  let controller: ControllerProcessHandle;
  const pods = new Map<string, V1Pod>();
  let stopWatch: () => void = () => undefined;

  const read = async (name: string): Promise<FlyteView | undefined> => {
    try {
      return (await env.custom.getNamespacedCustomObject({ ...flyteApi, name })) as FlyteView;
    } catch {
      return undefined;
    }
  };
  const create = (body: Obj) => env.custom.createNamespacedCustomObject({ ...flyteApi, body });
  const terminal = (name: string, timeoutMs = 60_000): Promise<FlyteView> =>
    waitFor(
      async () => {
        const fw = await read(name);
        const phase = fw?.status?.phase;
        return phase === 3 || phase === 5 || phase === 6 ? fw : undefined;
      },
      { what: `${name} terminal (stderr: ${controller.stderr().slice(-800)})`, timeoutMs },
    );
  const podsOf = (name: string): V1Pod[] =>
    [...pods.values()].filter((p) => p.metadata?.ownerReferences?.some((o) => o.name === name));
  const explain = (fw: FlyteView): string =>
    JSON.stringify({ message: fw.status?.message, nodes: fw.status?.nodeStatus });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-flyte-kinds-'));
    const url = `file://${join(dir, 'blobs')}`;
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
      id: 'r-flyte-kinds',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--install-flyte-crd', '--flyte', '--blob-store', url, '--shard-count', '1', '--concurrency', '4'],
    });
  });

  after(async () => {
    stopWatch();
    const code = await controller?.stop('SIGTERM');
    await env?.stop();
    await rm(dir, { recursive: true, force: true });
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-2000)})`);
  });

  test('an inline sub-workflow: its nodes nest under the workflow node and run as pods', async () => {
    await create(await fromFixture('c-subworkflow.yaml', 'ksub1'));
    const done = await terminal('ksub1');
    assert.equal(done.status?.phase, 3, explain(done));
    const sub = Object.values(done.status?.nodeStatus ?? {}).find((n) => n.subNodeStatus !== undefined);
    assert.ok(sub, `a workflow node with subNodeStatus: ${explain(done)}`);
    assert.equal(sub.phase, 5);
    assert.ok(podsOf('ksub1').length > 0, 'the sub-workflow tasks ran as pods');
  });

  test('gates: the sleep elapses, the signal arrives while the gate waits, the approval passes', async () => {
    await create(
      await fromFixture('d-gates.yaml', 'kgates1', (fw) => {
        get(fw, 'spec', 'nodes', 'n1', 'gate', 'sleep')['duration'] = '1s';
      }),
    );
    const waiting = await waitFor(
      async () => {
        const fw = await read('kgates1');
        return fw?.status?.nodeStatus?.['n2']?.phase === 2 ? fw : undefined;
      },
      { what: 'kgates1 waiting on its signal gate', timeoutMs: 60_000 },
    );
    assert.equal(waiting.status?.phase, 1, 'Running while it waits');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await read('kgates1'))?.status?.phase, 1, 'still waiting without the signal');
    await env.custom.patchNamespacedCustomObject(
      {
        ...flyteApi,
        name: 'kgates1',
        body: {
          metadata: {
            annotations: {
              [signalAnnotationKey('go-live')]: signal(true),
              [signalAnnotationKey('approve-artifact')]: signal(true),
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const done = await terminal('kgates1');
    assert.equal(done.status?.phase, 3, explain(done));
    for (const gate of ['n1', 'n2', 'n3']) assert.equal(done.status?.nodeStatus?.[gate]?.phase, 5, `gate ${gate}`);
  });

  test('an ArrayNode over a list: one pod per item, the array node Succeeded', async () => {
    await create(await fromFixture('e-array.yaml', 'karray1'));
    const done = await terminal('karray1');
    assert.equal(done.status?.phase, 3, explain(done));
    const array = Object.entries(done.status?.nodeStatus ?? {}).find(([, n]) => n.arrayNodeStatus !== undefined);
    assert.ok(array, `an array node status: ${explain(done)}`);
    assert.equal(array[1].phase, 5);
    assert.ok(podsOf('karray1').length >= 2, `a pod per item: ${podsOf('karray1').length}`);
  });

  test('collection, map and union bindings with branch conditions', async () => {
    // The fixture's gather task is a raw container (no flytekit inside): on a cluster its outputs
    // would need Flyte's copilot sidecar, which the sandbox's kubelet does not run, so here it
    // runs flytekit's entrypoint like the other tasks (a raw container with outputs and no
    // copilot fails OutputsNotFound, as it would under FlytePropeller).
    await create(
      await fromFixture('run/h-bindings-conditions.yaml', 'kbind1', (fw) => {
        const gather = Object.values(get(fw, 'tasks')).find((t) => JSON.stringify(t).includes('demo.bindings.gather'));
        const container = (gather as { container: { args: string[] } }).container;
        container.args = ['pyflyte-execute', '--inputs', '{{.input}}', '--output-prefix', '{{.outputPrefix}}'];
      }),
    );
    const done = await terminal('kbind1');
    assert.equal(done.status?.phase, 3, explain(done));
  });

  test('retries: user and system failures retried with a pod per attempt, then a non-recoverable failure runs the failure node', async () => {
    await create(await fromFixture('run/j-retries.yaml', 'kretry1'));
    const done = await terminal('kretry1', 90_000);
    assert.equal(done.status?.phase, 5, explain(done));
    assert.equal(done.status?.nodeStatus?.['n0']?.phase, 5, 'n0 succeeded on its third attempt');
    assert.equal(done.status?.nodeStatus?.['n2']?.phase, 6, 'n2 Failed');
    assert.equal(done.status?.nodeStatus?.['fn0']?.phase, 5, 'the failure node ran');
    const n0Pods = podsOf('kretry1').filter((p) => p.metadata?.labels?.['node-id'] === 'n0');
    assert.equal(n0Pods.length, 3, `three attempts of n0: ${n0Pods.map((p) => p.metadata?.name).join(', ')}`);
    assert.equal(new Set(n0Pods.map((p) => p.metadata?.name)).size, 3, 'a distinct pod name per attempt');
  });

  test('a task type with no plugin (a sensor) is Failed naming the type, with no pod', async () => {
    await create(await fromFixture('g-sensor.yaml', 'ksensor1'));
    const done = await terminal('ksensor1');
    assert.equal(done.status?.phase, 5, explain(done));
    assert.match(done.status?.message ?? '', /sensor/i);
    assert.equal(podsOf('ksensor1').length, 0);
  });
});
