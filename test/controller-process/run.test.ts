/**
 * `flotilla controller` as a real process against the embedded API server (simulated kubelet) and
 * a real Redis: the CRD installed by `--install-crd`, every node kind running through Pods, outputs
 * in status (large ones offloaded to a ConfigMap), completion label and Pod collection, Events,
 * `/metrics` `/healthz` `/readyz`, and bad input (422 from the schema; Failed + Event from
 * validation; a burst of invalid workflows beside valid ones).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowLabeller } from '../../shard-manager/manager/labeller.js';
import { waitFor } from '../support/wait.js';
import {
  getWorkflow,
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

const pod = (message: Record<string, unknown>, duration = '300ms') => ({
  plugin: 'pod',
  pod: {
    image: 'busybox',
    command: ['run'],
    annotations: { 'flotilla.io/sim-duration': duration, 'flotilla.io/sim-message': JSON.stringify(message) },
  },
});

/** task (pod), array of pods, gate (sleep), branch into an inline sub-workflow of pods, a launched child workflow, a big echo output. */
const everyKind = {
  inputs: { parts: [1, 2, 3], blob: 'x'.repeat(20_000) },
  tasks: {
    extract: { ...pod({ rows: 42 }), outputs: { rows: 'integer' } },
    count: { ...pod({ n: 1 }), outputs: { n: 'integer' } },
    push: { ...pod({ pushed: true }), outputs: { pushed: 'boolean' } },
    big: { plugin: 'echo' },
  },
  nodes: [
    { id: 'extract', kind: 'task', task: 'extract' },
    {
      id: 'per-part',
      kind: 'array',
      array: {
        over: { fromInput: 'parts' },
        parallelism: 2,
        node: { kind: 'task', task: 'count', inputs: { item: { fromItem: true } } },
      },
    },
    { id: 'pause', kind: 'gate', dependsOn: ['extract'], gate: { sleep: '500ms' } },
    {
      id: 'decide',
      kind: 'branch',
      dependsOn: ['pause'],
      branch: {
        cases: [
          {
            when: { left: { fromNode: 'extract', output: 'rows' }, op: 'eq', right: { value: 42 } },
            node: { id: 'publish', kind: 'workflow', workflow: { ref: 'publish' } },
          },
        ],
        else: { error: 'unexpected rows' },
      },
    },
    { id: 'child', kind: 'workflow', workflow: { ref: 'publish', launch: true } },
    { id: 'blob', kind: 'task', task: 'big', inputs: { blob: { fromInput: 'blob' } } },
  ],
  subWorkflows: {
    publish: {
      nodes: [{ id: 'push', kind: 'task', task: 'push' }],
      outputs: { pushed: { fromNode: 'push', output: 'pushed' } },
    },
  },
  outputs: {
    rows: { fromNode: 'extract', output: 'rows' },
    parts: { fromNode: 'per-part', output: 'n' },
    published: { fromNode: 'decide', output: 'pushed' },
    child: { fromNode: 'child', output: 'pushed' },
  },
};

const simple = {
  tasks: { t: pod({ ok: true }, '100ms') },
  nodes: [{ id: 'a', kind: 'task', task: 't' }],
  outputs: { ok: { fromNode: 'a', output: 'ok' } },
};

describe('flotilla controller process', () => {
  let env: ControllerEnv;
  let controller: ControllerProcessHandle;
  let labeller: WorkflowLabeller;

  before(async () => {
    env = await startControllerEnv({ installCrd: false });
    controller = await spawnController({
      id: 'r-run',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      args: ['--install-crd', '--shard-count', '1', '--concurrency', '8'],
    });
    // Launched children carry no shard label: the shard manager's labeller gives them one.
    labeller = new WorkflowLabeller({ kubeConfig: env.api.kc, shardCount: 1 });
    await labeller.start();
  });
  after(async () => {
    await labeller?.stop();
    const code = await controller?.stop('SIGTERM');
    await env?.stop();
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-1000)})`);
  });

  test('--install-crd served the CRD; health endpoints answer; the ready line names the metrics URL', async () => {
    assert.match(controller.stdout(), /^controller r-run ready \(metrics http:\/\/127\.0\.0\.1:\d+\)$/m);
    assert.equal((await fetch(`${controller.metricsUrl}/healthz`)).status, 200);
    await waitFor(async () => (await fetch(`${controller.metricsUrl}/readyz`)).status === 200, { what: 'readyz 200' });
    const crd = await env.api.kubectl(['get', 'crd', 'workflows.flotilla.io', '-o', 'json']);
    assert.equal(crd.code, 0, crd.stderr);
    assert.match(crd.stdout, /x-kubernetes-preserve-unknown-fields/, 'the raw JSON body kept the schema extensions');
  });

  test('every node kind runs to completion through pods; outputs land in status', async () => {
    const created = await submit(env, workflow('every-kind', everyKind));
    const done = await waitTerminal(env, 'every-kind', 60_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.message));
    const outputs = done.status?.outputs as Record<string, unknown>;
    assert.equal(outputs.rows, 42);
    assert.deepEqual(outputs.parts, [1, 1, 1]);
    assert.equal(outputs.published, true);
    assert.equal(outputs.child, true);
    assert.ok(done.status?.nodes?.blob?.outputRef, 'the 20 kB output was offloaded (outputRef)');
    // The 20 kB echo output was offloaded: a ConfigMap owned by the workflow holds it.
    const maps = (await env.core.listNamespacedConfigMap({ namespace: 'default' })).items.filter((m) =>
      m.metadata?.name?.startsWith('flotilla-out-'),
    );
    assert.ok(maps.length >= 1, 'an output ConfigMap exists');
    assert.ok(
      maps.some((m) => m.metadata?.ownerReferences?.some((o) => o.uid === created.metadata.uid)),
      'owned by the workflow',
    );
    // Exactly one create per task pod: extract, 3 array items, push (branch), push (child).
    const creates = podCreates(env);
    assert.ok(creates.size >= 6, `pods created: ${[...creates.keys()].join(', ')}`);
    for (const [name, count] of creates) assert.equal(count, 1, `${name} created ${count} times`);
    // Terminal: labelled completed, finalizer gone, its task pods collected.
    await waitFor(
      async () => (await getWorkflow(env, 'every-kind'))?.metadata.labels?.['flotilla.io/completed'] === 'true',
      { what: 'completed label' },
    );
    const final = await getWorkflow(env, 'every-kind');
    assert.deepEqual(final?.metadata.finalizers ?? [], []);
    await waitFor(
      async () =>
        (await env.core.listNamespacedPod({ namespace: 'default' })).items.every(
          (p) => !p.metadata?.ownerReferences?.some((o) => o.uid === created.metadata.uid),
        ),
      { what: 'task pods collected' },
    );
    const events = (
      await env.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=every-kind' })
    ).items;
    assert.ok(
      events.some((e) => e.reason === 'WorkflowSucceeded'),
      `events: ${events.map((e) => e.reason).join(',')}`,
    );
    assert.ok((await metricValue(controller.metricsUrl, /^flotilla_pods_created_total\{shard="0"\}/)) >= 6);
    assert.ok((await metricValue(controller.metricsUrl, /^flotilla_round_duration_seconds_count/)) > 0);
  });

  test('a workflow violating the CRD schema is rejected by the server with 422', async () => {
    await assert.rejects(
      submit(env, workflow('schema-bad', { tasks: 'not-an-object', nodes: 7 })),
      (error: unknown) =>
        typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 422,
    );
  });

  test('a workflow failing validation ends Failed with Valid=False and a Warning Event', async () => {
    await submit(
      env,
      workflow('cyclic', {
        tasks: { t: { plugin: 'echo' } },
        nodes: [
          { id: 'a', kind: 'task', task: 't', dependsOn: ['b'] },
          { id: 'b', kind: 'task', task: 't', dependsOn: ['a'] },
        ],
      }),
    );
    const done = await waitTerminal(env, 'cyclic');
    assert.equal(done.status?.phase, 'Failed');
    const valid = done.status?.conditions?.find((c) => c.type === 'Valid');
    assert.equal(valid?.status, 'False');
    assert.equal(valid?.reason, 'InvalidSpec');
    await waitFor(
      async () =>
        (
          await env.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=cyclic' })
        ).items.some((e) => e.type === 'Warning' && e.reason === 'InvalidSpec'),
      { what: 'InvalidSpec event' },
    );
  });

  test('a burst of 100 invalid workflows does not keep the valid ones beside them from completing', async () => {
    const invalid = Array.from({ length: 100 }, (_, i) =>
      workflow(`bad-${i}`, {
        tasks: { t: { plugin: 'echo' } },
        nodes: [{ id: 'a', kind: 'task', task: `missing-${i}` }],
      }),
    );
    const valid = Array.from({ length: 5 }, (_, i) => workflow(`good-${i}`, simple));
    await Promise.all([...invalid.slice(0, 50), ...valid, ...invalid.slice(50)].map((body) => submit(env, body)));
    for (let i = 0; i < 5; i++) {
      const done = await waitTerminal(env, `good-${i}`, 60_000);
      assert.equal(done.status?.phase, 'Succeeded');
      assert.deepEqual(done.status?.outputs, { ok: true });
    }
    for (let i = 0; i < 100; i++) assert.equal((await waitTerminal(env, `bad-${i}`, 60_000)).status?.phase, 'Failed');
    assert.ok(
      (await metricValue(controller.metricsUrl, /^flotilla_rounds_total\{shard="0",result="invalid"\}/)) >= 100,
    );
  });
});
