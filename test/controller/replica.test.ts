/**
 * A replica's shards end to end against the embedded API server and a real Redis, with the real
 * engine driver and in-process plugins: informer event → queue → round → status; invalid specs;
 * status conflicts; waiting on time; stopping and handing a shard over.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateWorkflow } from '../../src/api/validation/index.js';
import type { Workflow } from '../../src/api/workflow.js';
import { EngineDriver, MemoryOutputStore } from '../../src/engine/index.js';
import { PluginRegistry } from '../../src/engine/plugin-registry.js';
import { inProcessPlugins } from '../../src/plugins/inprocess/index.js';
import { EventRecorder } from '../../src/controller/k8s-events.js';
import { WorkflowClient, WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../../src/kube/workflow-client.js';
import { Replica } from '../../src/controller/replica.js';
import { Metrics } from '../../src/observability/metrics.js';
import { collectQueueMetrics } from '../../src/controller/queue/metrics.js';
import type { ExecutionEvent } from '../../src/engine/events.js';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startEnv, type TestEnv } from './support/env.js';

const wfApi = { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL };

function spec(extra: Record<string, unknown> = {}) {
  return {
    inputs: { who: 'flotilla' },
    tasks: { say: { plugin: 'echo' } },
    nodes: [
      { id: 'greet', kind: 'task', task: 'say', inputs: { greeting: { value: 'hello' }, who: { fromInput: 'who' } } },
      { id: 'again', kind: 'task', task: 'say', inputs: { prev: { fromNode: 'greet', output: 'greeting' } } },
    ],
    outputs: { greeting: { fromNode: 'again', output: 'prev' } },
    ...extra,
  };
}

describe('replica shards (embedded API server + Redis + engine)', () => {
  let env: TestEnv;
  let redis: RedisServer;
  let replica: Replica;
  let client: WorkflowClient;
  const metrics = new Metrics({ processMetrics: false });
  const published: ExecutionEvent[] = [];

  async function submit(name: string, body: Record<string, unknown>, shard = 0): Promise<void> {
    await env.custom.createNamespacedCustomObject({
      ...wfApi,
      namespace: 'default',
      body: {
        apiVersion: 'flotilla.io/v1alpha1',
        kind: 'Workflow',
        metadata: { name, labels: { 'flotilla.io/shard': String(shard) } },
        spec: body,
      },
    });
  }
  const phaseOf = async (name: string) => (await client.get('default', name)).status?.phase;

  function makeReplica(): Replica {
    return new Replica({
      kubeConfig: env.kubeConfig,
      redisUrl: redis.url,
      metrics,
      round: {
        driver: new EngineDriver({ plugins: new PluginRegistry(inProcessPlugins()), outputs: new MemoryOutputStore() }),
        validate: validateWorkflow,
        events: { publish: (event) => void published.push(event) },
        recorder: new EventRecorder({ kubeConfig: env.kubeConfig }),
      },
      queue: { concurrency: 4, wakeupPollMs: 200 },
      watchdogMs: 30_000,
    });
  }

  before(async () => {
    [env, redis] = await Promise.all([startEnv(), RedisServer.start({ persist: false })]);
    client = new WorkflowClient(env.kubeConfig);
    replica = makeReplica();
    collectQueueMetrics(replica, metrics);
    await replica.startShard(0);
  });
  after(async () => {
    await replica.stop({ graceMs: 1000 });
    await Promise.all([env.stop(), redis.stop()]);
  });

  test('a submitted workflow runs to Succeeded through informer → queue → rounds', async () => {
    await submit('hello', spec());
    await waitFor(async () => (await phaseOf('hello')) === 'Succeeded', { what: 'hello succeeded', timeoutMs: 15_000 });
    const done = await client.get('default', 'hello');
    assert.deepEqual(done.status?.outputs, { greeting: 'hello' });
    assert.equal(done.status?.conditions?.find((c) => c.type === 'Valid')?.status, 'True');
    assert.deepEqual(done.metadata.finalizers ?? [], [], 'the abort finalizer is gone once terminal');
    assert.ok(
      published.some((e) => JSON.stringify(e).includes('hello')),
      'execution events published',
    );
    assert.equal(replica.ready(), true);
    const text = await metrics.text();
    assert.match(text, /flotilla_queue_depth\{shard="0"\} \d+/);
    assert.match(text, /flotilla_owned_shards 1/);
    assert.match(text, /flotilla_rounds_total\{shard="0",result="success"\} [1-9]/);
    assert.match(text, /flotilla_workflows\{shard="0",phase="Succeeded"\} 1/);
  });

  test('an invalid workflow goes to Failed with Valid=False and one Warning event, nothing else blocked', async () => {
    await submit('broken', { tasks: { say: { plugin: 'echo' } }, nodes: [{ id: 'a', kind: 'task', task: 'nope' }] });
    await submit('fine', spec());
    await waitFor(async () => (await phaseOf('broken')) === 'Failed', { what: 'broken failed', timeoutMs: 15_000 });
    await waitFor(async () => (await phaseOf('fine')) === 'Succeeded', { what: 'fine succeeded', timeoutMs: 15_000 });
    const broken = await client.get('default', 'broken');
    const valid = broken.status?.conditions?.find((c) => c.type === 'Valid');
    assert.equal(valid?.status, 'False');
    assert.equal(valid?.reason, 'InvalidSpec');
    assert.match(valid?.message ?? '', /nope/);
    const events = (
      await env.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=broken' })
    ).items;
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'Warning');
    assert.equal(events[0]?.reason, 'InvalidSpec');
  });

  test('a status conflict re-reads and redoes the round, never overwriting', async () => {
    env.server.faults.conflicts({ resource: 'workflows', count: 2, namespace: 'default', name: 'contested' });
    await submit('contested', spec());
    await waitFor(async () => (await phaseOf('contested')) === 'Succeeded', {
      what: 'contested succeeded',
      timeoutMs: 15_000,
    });
    const text = await metrics.text();
    const conflicts = Number(/flotilla_status_update_conflicts_total\{shard="0"\} (\d+)/.exec(text)?.[1] ?? 0);
    assert.ok(conflicts >= 2, `conflicts: ${conflicts}`);
  });

  test('a workflow waiting on time is re-queued and finishes after its sleep', async () => {
    const started = Date.now();
    await submit('napper', {
      tasks: { nap: { plugin: 'sleep', config: { duration: '1s' } } },
      nodes: [{ id: 'zz', kind: 'task', task: 'nap', inputs: { x: { value: 1 } } }],
    });
    await waitFor(async () => (await phaseOf('napper')) === 'Running', { what: 'napper running', timeoutMs: 10_000 });
    assert.deepEqual(
      (await client.get('default', 'napper')).metadata.finalizers,
      ['flotilla.io/abort'],
      'a running workflow carries the abort finalizer',
    );
    await waitFor(async () => (await phaseOf('napper')) === 'Succeeded', {
      what: 'napper succeeded',
      timeoutMs: 15_000,
    });
    assert.ok(Date.now() - started >= 1000);
  });

  test('Redis restarted empty: the reconnect hook re-enqueues every cached workflow, so timers are not lost', async () => {
    await submit('amnesia', {
      tasks: { nap: { plugin: 'sleep', config: { duration: '2s' } } },
      nodes: [{ id: 'zz', kind: 'task', task: 'nap', inputs: { x: { value: 1 } } }],
    });
    await waitFor(async () => (await phaseOf('amnesia')) === 'Running', { what: 'amnesia running', timeoutMs: 10_000 });
    await waitFor(async () => (await replica.queueOf(0)?.wakeupAt('default/amnesia')) !== undefined, {
      what: 'wake-up scheduled',
    });
    await redis.restart({ wipe: true });
    // Its wake-up died with Redis' data; only the re-enqueue on reconnect can finish it.
    await waitFor(async () => (await phaseOf('amnesia')) === 'Succeeded', {
      what: 'amnesia succeeded after the wipe',
      timeoutMs: 20_000,
    });
  });

  test('deleting a running workflow aborts it, then the finalizer goes and so does the workflow', async () => {
    await submit('doomed', {
      tasks: { nap: { plugin: 'sleep', config: { duration: '10m' } } },
      nodes: [{ id: 'zz', kind: 'task', task: 'nap', inputs: { x: { value: 1 } } }],
    });
    await waitFor(
      async () => (await client.get('default', 'doomed')).metadata.finalizers?.includes('flotilla.io/abort'),
      { what: 'finalizer added', timeoutMs: 10_000 },
    );
    await waitFor(async () => (await phaseOf('doomed')) === 'Running', { what: 'doomed running', timeoutMs: 10_000 });
    await client.delete('default', 'doomed');
    await waitFor(
      async () => {
        try {
          await client.get('default', 'doomed');
          return false;
        } catch (error) {
          return error instanceof Error && 'code' in error && error.code === 'NotFound';
        }
      },
      { what: 'doomed gone', timeoutMs: 10_000 },
    );
    const workflowPhases = published
      .filter((e) => e.workflow.name === 'doomed' && e.scope === 'workflow')
      .map((e) => e.phase);
    assert.ok(workflowPhases.includes('Aborted'), `workflow events: ${workflowPhases.join(',')}`);
  });

  test('stopping a shard stops its rounds; another replica taking it over finishes the work', async () => {
    await replica.stopShard(0, { graceMs: 2000 });
    assert.deepEqual(replica.shards(), []);
    await submit('after-handover', spec());
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await phaseOf('after-handover'), undefined, 'nobody runs shard 0 now');
    const successor = makeReplica();
    try {
      await successor.startShard(0);
      await waitFor(async () => (await phaseOf('after-handover')) === 'Succeeded', {
        what: 'successor ran it',
        timeoutMs: 15_000,
      });
    } finally {
      await successor.stop({ graceMs: 1000 });
    }
    await replica.startShard(0);
  });

  test('another shard\u2019s workflows are left alone', async () => {
    await submit('elsewhere', spec(), 7);
    await submit('here', spec(), 0);
    await waitFor(async () => (await phaseOf('here')) === 'Succeeded', { what: 'here succeeded', timeoutMs: 15_000 });
    const elsewhere: Workflow = await client.get('default', 'elsewhere');
    assert.equal(elsewhere.status?.phase, undefined);
  });
});
