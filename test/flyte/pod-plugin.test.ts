/**
 * The pod-based `flyte-container` plugin against the embedded API server, its simulated kubelet
 * (running the pyflyte-execute stand-in) and a file:// blob store, through the production
 * PodGateway — no controller: the test plays the rounds. The first task of a-container-chain.yaml:
 * start → Pod with resolved args, Flyte labels and FLYTE_INTERNAL env → the kubelet's stand-in
 * writes outputs.pb → check returns the decoded outputs → the Pod is deleted; a failure asked for
 * by the stand-in annotation → error.pb → a user failure with its message; starts repeated before
 * and after the end never create a second Pod.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { TaskContext, TaskObservation, TaskPlugin } from '../../src/engine/plugins.js';
import { KubePodGateway } from '../../src/controller/adapters/pod-gateway.js';
import { PodTemplateStore } from '../../src/controller/pod-templates.js';
import { attemptPaths } from '../../src/flyte/container/paths.js';
import { decodeLiteralMap } from '../../src/flyte/literals/codec.js';
import { parseFlyteWorkflow, type FlyteWorkflow } from '../../src/flyte/index.js';
import { isContainerConfig } from '../../src/flyte/translate/contract.js';
import { translateFlyteWorkflow } from '../../src/flyte/translate/index.js';
import { createFlytePodPlugin, flytePodName } from '../../src/plugins/flyte/index.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';
import { fixture } from './fixtures.js';

const NS = 'flytesnacks-development';

describe('the pod-based flyte-container plugin on the embedded API server', () => {
  let dir: string;
  let store: BlobStore;
  let api: TestApiServer;
  let core: CoreV1Api;
  let plugin: TaskPlugin;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-flytepod-'));
    const url = `file://${join(dir, 'blobs')}`;
    store = await openBlobStore(url);
    api = await startTestApiServer({ kubelet: true, blobStoreUrl: url });
    core = api.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    plugin = createFlytePodPlugin({ store, gateway: new KubePodGateway({ kubeConfig: api.kc }), checkAfterMs: 50 });
  });

  after(async () => {
    await api.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The chain fixture under `name`, with stand-in rules, translated; the context of n0's attempt. */
  function firstTask(name: string, standIn?: object, attempt = 1): TaskContext {
    const raw = fixture('a-container-chain.yaml');
    const fw: FlyteWorkflow = parseFlyteWorkflow(raw);
    fw.metadata = {
      ...fw.metadata,
      name,
      ...(standIn ? { annotations: { 'flotilla.io/flyte-stand-in': JSON.stringify(standIn) } } : {}),
    };
    fw.executionId = { ...fw.executionId, name };
    delete fw.status;
    const translated = translateFlyteWorkflow(fw, {
      dataDir: store.join('metadata', name),
      rawOutputRoot: store.join('raw'),
    });
    const [taskName, task] =
      Object.entries(translated.spec.tasks).find(([, t]) => isContainerConfig(t.config) && t.config.nodeId === 'n0') ??
      [];
    assert.ok(taskName && task);
    return {
      workflow: { namespace: NS, name, uid: `uid-${name}`, shard: '13' },
      nodeId: 'n0',
      attempt,
      taskName,
      task,
      inputs: {
        url: { scalar: { primitive: { stringValue: 'https://example.com/data.csv' } } },
        limit: { scalar: { primitive: { integer: '25' } } },
      },
      attemptStartedAt: new Date().toISOString(),
    };
  }

  const readPod = async (name: string): Promise<V1Pod | undefined> => {
    try {
      return await core.readNamespacedPod({ namespace: NS, name });
    } catch {
      return undefined;
    }
  };
  const podsOf = async (workflow: string) =>
    (await core.listNamespacedPod({ namespace: NS, labelSelector: `flotilla.io/workflow=${workflow}` })).items;
  const ended = (ctx: TaskContext) =>
    waitFor(
      async () => {
        const o: TaskObservation = await plugin.check(ctx);
        return o.phase === 'Succeeded' || o.phase === 'Failed' ? o : undefined;
      },
      { what: `${ctx.workflow.name} to end`, timeoutMs: 20_000, intervalMs: 100 },
    );

  test('a container task: the Pod as FlytePropeller builds it, outputs.pb from the stand-in, the Pod deleted', async () => {
    const ctx = firstTask('fpchain1');
    const first = await plugin.start(ctx);
    assert.ok(first.phase === 'Queued' || first.phase === 'Running', JSON.stringify(first));
    const config = ctx.task.config;
    assert.ok(isContainerConfig(config));
    const paths = attemptPaths(config, 'n0', 1);
    assert.equal(await store.exists(paths.inputs), true, 'inputs.pb is written before the Pod runs');

    const pod = await readPod(flytePodName(ctx));
    assert.ok(pod);
    const container = pod.spec?.containers[0];
    const args = container?.args ?? [];
    assert.equal(
      args.some((a) => a.includes('{{')),
      false,
      args.join(' '),
    );
    assert.equal(args[args.indexOf('--inputs') + 1], paths.inputs);
    assert.equal(args[args.indexOf('--output-prefix') + 1], paths.outputDir);
    assert.equal(container?.image, 'ghcr.io/example/demo-chain:v1');
    const labels = pod.metadata?.labels ?? {};
    assert.deepEqual(
      {
        e: labels['execution-id'],
        w: labels['workflow-name'],
        p: labels['project'],
        d: labels['domain'],
        n: labels['node-id'],
        t: labels['task-name'],
        i: labels['interruptible'],
      },
      {
        e: 'fa1chain7k2m9q4x',
        w: 'demo-chain-pipeline',
        p: 'flytesnacks',
        d: 'development',
        n: 'n0',
        t: 'demo-chain-fetch',
        i: 'false',
      },
    );
    assert.equal(labels['flotilla.io/workflow'], 'fpchain1');
    assert.equal(labels['flotilla.io/shard'], '13');
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env['FLYTE_INTERNAL_EXECUTION_ID'], 'fpchain1');
    assert.equal(env['FLYTE_INTERNAL_EXECUTION_PROJECT'], 'flytesnacks');
    assert.equal(env['FLYTE_INTERNAL_EXECUTION_DOMAIN'], 'development');
    assert.equal(env['FLYTE_INTERNAL_EXECUTION_WORKFLOW'], 'flytesnacks:development:demo.chain.pipeline');
    assert.equal(env['FLYTE_INTERNAL_TASK_NAME'], 'demo.chain.fetch');
    assert.equal(env['FLYTE_INTERNAL_TASK_VERSION'], 'v1');
    assert.equal(env['FLYTE_ATTEMPT_NUMBER'], '0');
    assert.equal(pod.spec?.serviceAccountName, 'flyte-runner');
    assert.deepEqual(
      pod.metadata?.ownerReferences?.map((o) => `${o.kind}/${o.name}`),
      ['FlyteWorkflow/fpchain1'],
    );
    // Node override (requests cpu 500m, memory 256Mi; limit memory 512Mi) over the template; cpu limit = request.
    assert.deepEqual(
      { requests: container?.resources?.requests, limits: container?.resources?.limits },
      { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    );

    // A repeated round while the Pod runs creates nothing.
    await plugin.start(ctx);
    assert.equal((await podsOf('fpchain1')).length, 1);

    const done = await ended(ctx);
    assert.equal(done.phase, 'Succeeded', JSON.stringify(done));
    const written = decodeLiteralMap(await store.get(paths.outputs));
    assert.deepEqual(done.phase === 'Succeeded' && done.outputs, written);
    assert.equal(written['o0']?.['scalar'] !== undefined, true);
    await waitFor(async () => (await readPod(flytePodName(ctx))) === undefined, {
      what: 'the Pod deleted',
      timeoutMs: 10_000,
    });

    // A round repeated after the end reads the result again and launches nothing.
    const again = await plugin.start(ctx);
    assert.deepEqual(again, done);
    assert.equal((await podsOf('fpchain1')).length, 0);
  });

  test("platform: the task template's podTemplateName from the informer-backed store, secrets for the webhook, interruptible", async () => {
    await core.createNamespacedPodTemplate({
      namespace: NS,
      body: {
        metadata: { name: 'flyte-gpu' },
        template: {
          metadata: { labels: { 'cost-center': 'ml' } },
          spec: {
            containers: [
              { name: 'default', image: 'ignored', env: [{ name: 'FROM_TEMPLATE', value: '1' }] },
              { name: 'primary', image: 'ignored', resources: { limits: { 'nvidia.com/gpu': '1' } } },
            ],
          },
        },
      },
    });
    const templates = new PodTemplateStore({ kubeConfig: api.kc });
    const cache = templates.component();
    await cache.start(new AbortController().signal);
    const withPlatform = createFlytePodPlugin({
      store,
      gateway: new KubePodGateway({ kubeConfig: api.kc }),
      checkAfterMs: 50,
      platform: { templates, interruptible: { tolerations: [{ key: 'spot', operator: 'Exists' }] } },
    });
    const asking = (name: string, templateName: string): TaskContext => {
      const base = firstTask(name);
      const config = base.task.config;
      assert.ok(isContainerConfig(config));
      const template = config.template as Record<string, unknown>;
      return {
        ...base,
        task: {
          ...base.task,
          interruptible: true,
          config: {
            ...config,
            template: {
              ...template,
              metadata: { ...(template['metadata'] as object), podTemplateName: templateName },
              securityContext: { secrets: [{ group: 'db', key: 'password', mountRequirement: 'ENV_VAR' }] },
            },
          } as unknown as NonNullable<TaskContext['task']['config']>,
        },
      };
    };
    try {
      const ctx = asking('fpplatform', 'flyte-gpu');
      await withPlatform.start(ctx);
      const pod = await readPod(flytePodName(ctx));
      assert.ok(pod);
      const container = pod.spec?.containers[0];
      assert.equal(container?.name, flytePodName(ctx), 'the primary container keeps its Flyte name');
      assert.equal(container?.env?.find((e) => e.name === 'FROM_TEMPLATE')?.value, '1');
      assert.ok(
        container?.env?.some((e) => e.name === 'FLYTE_INTERNAL_EXECUTION_ID'),
        'the task env stays',
      );
      assert.equal(container?.resources?.limits?.['nvidia.com/gpu'], '1', 'the primary template');
      assert.equal(pod.metadata?.labels?.['cost-center'], 'ml');
      assert.deepEqual(JSON.parse(JSON.stringify(pod.spec?.tolerations)), [{ key: 'spot', operator: 'Exists' }]);
      assert.equal(pod.metadata?.labels?.['flotilla.io/inject-secrets'], 'true');
      assert.deepEqual(JSON.parse(pod.metadata?.annotations?.['flotilla.io/secrets'] ?? '[]'), [
        { group: 'db', key: 'password', mountRequirement: 'ENV_VAR' },
      ]);
      const missing = await withPlatform.start(asking('fpnotemplate', 'no-such'));
      assert.equal(missing.phase, 'Failed');
      if (missing.phase === 'Failed') {
        assert.equal(missing.failure.retryable, false);
        assert.match(
          missing.failure.message,
          /PodTemplate 'no-such' does not exist in namespace flytesnacks-development/,
        );
      }
      assert.equal((await podsOf('fpnotemplate')).length, 0);
      await ended(ctx);
    } finally {
      await cache.stop({ graceMs: 1000 });
    }
  });

  test('a failure asked for by the stand-in annotation: error.pb, a user failure with its message', async () => {
    const ctx = firstTask('fpchain2', { n0: { fail: { message: 'the fetch failed on purpose' } } });
    await plugin.start(ctx);
    const done = await ended(ctx);
    assert.equal(done.phase, 'Failed');
    if (done.phase !== 'Failed') return;
    assert.deepEqual(done.failure, {
      kind: 'user',
      reason: 'USER:StandInFailure',
      message: 'the fetch failed on purpose',
      retryable: false,
    });
    const config = ctx.task.config;
    assert.ok(isContainerConfig(config));
    assert.equal(await store.exists(attemptPaths(config, 'n0', 1).error), true);
    await waitFor(async () => (await readPod(flytePodName(ctx))) === undefined, {
      what: 'the Pod deleted',
      timeoutMs: 10_000,
    });
  });

  test('a recoverable system failure on attempt 1 only: attempt 2 gets FLYTE_ATTEMPT_NUMBER=1 and succeeds', async () => {
    const standIn = { 'task:demo.chain.fetch': { fail: { origin: 'system', recoverable: true, attempts: 1 } } };
    const one = await (async () => {
      const ctx = firstTask('fpchain3', standIn, 1);
      await plugin.start(ctx);
      return ended(ctx);
    })();
    assert.equal(one.phase === 'Failed' && `${one.failure.kind}/${one.failure.retryable}`, 'system/true');
    const ctx2 = firstTask('fpchain3', standIn, 2);
    await plugin.start(ctx2);
    const two = await ended(ctx2);
    assert.equal(two.phase, 'Succeeded', JSON.stringify(two));
  });
});
