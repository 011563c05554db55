/**
 * `docs/monitoring.md` lists every series: a replica (with the shard manager, an event sink and a
 * real Redis, against the embedded API server) runs a load of Workflows, and the names on its
 * `/metrics` are compared with the page in both directions; the series that load must produce
 * have values. The event sink's `/metrics` is compared with its section the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  spawnController,
  startControllerEnv,
  submit,
  waitTerminal,
  workflow,
  type ControllerEnv,
  type ControllerProcessHandle,
} from '../support/controller.js';
import { startFlotilla, type FlotillaProcess } from '../support/fleet.js';
import { documentedMetrics, exportedNames, OWN_NAMES } from '../support/metric-names.js';
import { waitFor } from '../support/wait.js';
import { WebhookMetrics } from '../../src/webhook/metrics.js';

const WORKFLOWS = 12;

function sum(text: string, name: string, labels: RegExp = /.*/): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith('{') || rest.startsWith(' ')) || !labels.test(rest)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const pod = (duration: string) => ({
  plugin: 'pod',
  pod: { image: 'busybox', command: ['run'], annotations: { 'flotilla.io/sim-duration': duration } },
});

describe('docs/monitoring.md lists every series a replica under load exports', () => {
  let env: ControllerEnv;
  let sink: FlotillaProcess;
  let controller: ControllerProcessHandle;
  let sinkMetricsUrl = '';
  let duringLoad = '';
  let afterLoad = '';

  before(async () => {
    env = await startControllerEnv();
    sink = await startFlotilla(
      ['event-sink', '--port', '0', '--store', 'memory', '--metrics-port', '0'],
      /listening on \S+ \(metrics http:\S+\)/,
    );
    const match = /listening on (\S+) \(metrics (http:\S+)\)/.exec(sink.stdout());
    sinkMetricsUrl = match?.[2] ?? '';
    controller = await spawnController({
      id: 'r-doc',
      kubeconfig: env.api.kubeconfigPath,
      redisUrl: env.redis.url,
      shards: '',
      args: ['--manager', '--shard-count', '2', '--fleet-namespace', 'default', '--event-sink', match?.[1] ?? ''],
    });
    const names: string[] = [];
    for (let i = 0; i < WORKFLOWS; i++) {
      const name = `load-${i}`;
      names.push(name);
      await submit(
        env,
        workflow(
          name,
          {
            tasks: { slow: pod('1500ms'), echo: { plugin: 'echo' } },
            nodes: [
              { id: 'first', kind: 'task', task: 'echo' },
              { id: 'second', kind: 'task', task: 'slow', dependsOn: ['first'] },
              { id: 'third', kind: 'task', task: 'echo', dependsOn: ['second'] },
            ],
          },
          { shard: i % 2 },
        ),
      );
    }
    // An invalid one (Failed at once) beside the valid ones.
    await submit(env, workflow('load-invalid', { tasks: {}, nodes: [{ id: 'x', kind: 'task', task: 'missing' }] }));
    await waitFor(
      async () => {
        duringLoad = await (await fetch(`${controller.metricsUrl}/metrics`)).text();
        return sum(duringLoad, 'flotilla_workflows_running') > 0;
      },
      { what: 'workflows running', timeoutMs: 30_000 },
    );
    for (const name of [...names, 'load-invalid']) await waitTerminal(env, name, 60_000);
    // The terminal rounds' metrics and the publisher's deliveries are recorded right after the writes.
    await waitFor(
      async () => {
        afterLoad = await (await fetch(`${controller.metricsUrl}/metrics`)).text();
        return sum(afterLoad, 'flotilla_workflow_completion_latency_seconds_count') >= WORKFLOWS + 1;
      },
      { what: 'every completion observed' },
    );
  });
  after(async () => {
    const code = await controller?.stop('SIGTERM');
    await sink?.stop();
    await env?.stop();
    assert.equal(code, 0, `controller exit code (stderr: ${controller?.stderr().slice(-1000)})`);
  });

  test('every documented controller series is on /metrics, and every exported one is documented', () => {
    const documented = documentedMetrics().controller;
    const exported = exportedNames(afterLoad);
    const missing = [...documented].filter((name) => !exported.has(name));
    assert.deepEqual(missing, [], 'documented in docs/monitoring.md but not exported');
    const undocumented = [...exported].filter((name) => OWN_NAMES.test(name) && !documented.has(name));
    assert.deepEqual(undocumented, [], 'exported but not in docs/monitoring.md');
  });

  test('the load produced values in the conventional and service-level series', () => {
    const text = afterLoad;
    assert.ok(sum(text, 'flotilla_rounds_total') >= WORKFLOWS);
    assert.ok(sum(text, 'workqueue_adds_total', /name="shard-[01]"/) >= WORKFLOWS);
    assert.ok(sum(text, 'workqueue_work_duration_seconds_count', /name="shard-0"/) > 0);
    assert.ok(sum(text, 'workqueue_queue_duration_seconds_count', /name="shard-1"/) > 0);
    assert.ok(sum(text, 'rest_client_requests_total', /code="200",method="PUT"/) > 0, 'status writes counted');
    assert.ok(sum(text, 'rest_client_requests_total', /code="201",method="POST"/) >= WORKFLOWS, 'pod creates counted');
    assert.ok(sum(text, 'rest_client_request_duration_seconds_count', /verb="GET"/) > 0);
    assert.equal(sum(text, 'leader_election_master_status', /name="flotilla-manager"/), 1);
    assert.equal(sum(text, 'flotilla_shards_without_owner'), 0);
    assert.equal(sum(text, 'flotilla_workflow_acceptance_latency_seconds_count'), WORKFLOWS + 1);
    assert.equal(sum(text, 'flotilla_workflow_completion_latency_seconds_count', /phase="Succeeded"/), WORKFLOWS);
    assert.equal(sum(text, 'flotilla_workflow_completion_latency_seconds_count', /phase="Failed"/), 1);
    assert.equal(sum(text, 'flotilla_node_transition_latency_seconds_count'), WORKFLOWS * 3);
    assert.ok(sum(text, 'flotilla_event_publisher_events_total', /result="delivered"/) > 0);
    assert.ok(sum(text, 'process_resident_memory_bytes') > 0);
    assert.ok(sum(duringLoad, 'flotilla_workflows_running', /namespace="default"/) > 0);
  });

  test("the event sink's /metrics matches its section", async () => {
    const text = await (await fetch(`${sinkMetricsUrl}/metrics`)).text();
    const documented = documentedMetrics().eventSink;
    const exported = [...exportedNames(text)].filter((name) => OWN_NAMES.test(name));
    assert.deepEqual(exported.sort(), [...documented].sort());
    assert.ok(sum(text, 'flotilla_event_sink_events_total', /outcome="stored"/) > 0, 'the replica delivered events');
  });
});

describe("docs/monitoring.md's webhook section", () => {
  test('names exactly the series the webhook registers', async () => {
    const metrics = new WebhookMetrics({ processMetrics: true });
    const exported = [...exportedNames(await metrics.registry.metrics())];
    assert.deepEqual(exported.filter((name) => OWN_NAMES.test(name)).sort(), [...documentedMetrics().webhook].sort());
    assert.ok(exported.includes('process_cpu_user_seconds_total'), 'with the standard process metrics, unprefixed');
  });
});
