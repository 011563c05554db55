/**
 * FlyteWorkflows through a replica's SIGKILL: a fleet of three replicas with `--flyte` runs
 * container chains (three tasks each, one Pod per task attempt) while one replica is killed and
 * started again. Every FlyteWorkflow still ends Succeeded, once (its phase never leaves a terminal
 * phase, seen by a watch in this process), with exactly one Pod per task: the API server answered
 * one successful create per Pod name (the invariants checker) and a watch saw no task with a second Pod.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CustomObjectsApi, Watch, type V1Pod } from '@kubernetes/client-node';
import { flyteShardKey } from '../../src/flyte/shard.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import { fixture, get } from '../flyte/fixtures.js';
import { runScenario, sleep, WORK_NAMESPACE, type FaultFleet } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

const api = { group: FLYTE_GROUP, version: FLYTE_VERSION, plural: FLYTE_PLURAL, namespace: WORK_NAMESPACE };
const TERMINAL = new Set([3, 5, 6]);
const COUNT = 24;

interface FlyteView {
  metadata: { name: string };
  status?: { phase?: number; message?: string; nodeStatus?: Record<string, { phase?: number }> };
}

/** A container chain as FlyteAdmin would create it: its own execution id and shard-key, no status. */
function chain(name: string): Record<string, unknown> {
  const fw = fixture('a-container-chain.yaml');
  get(fw, 'metadata')['name'] = name;
  get(fw, 'metadata')['namespace'] = WORK_NAMESPACE;
  const labels = get(fw, 'metadata', 'labels');
  labels['execution-id'] = name;
  labels['shard-key'] = String(flyteShardKey(name));
  get(fw, 'executionId')['name'] = name;
  delete fw['status'];
  return fw;
}

/** Every phase each FlyteWorkflow was seen in, in watch order. */
async function watchPhases(fleet: FaultFleet, phases: Map<string, number[]>): Promise<() => void> {
  const watch = await new Watch(fleet.kubeConfig).watch(
    `/apis/${FLYTE_GROUP}/${FLYTE_VERSION}/namespaces/${WORK_NAMESPACE}/${FLYTE_PLURAL}`,
    {},
    (_type, fw: FlyteView) => {
      const phase = fw.status?.phase;
      if (phase === undefined) return;
      const seen = phases.get(fw.metadata.name) ?? [];
      if (seen.at(-1) !== phase) seen.push(phase);
      phases.set(fw.metadata.name, seen);
    },
    () => undefined,
  );
  return () => watch.abort();
}

/** The names of every Pod added for each FlyteWorkflow (pods are deleted once their attempt ends). */
async function watchPods(fleet: FaultFleet, pods: Map<string, Set<string>>): Promise<() => void> {
  const watch = await new Watch(fleet.kubeConfig).watch(
    `/api/v1/namespaces/${WORK_NAMESPACE}/pods`,
    {},
    (type, pod: V1Pod) => {
      const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'FlyteWorkflow')?.name;
      if (type !== 'ADDED' || owner === undefined || pod.metadata?.name === undefined) return;
      pods.set(owner, (pods.get(owner) ?? new Set()).add(pod.metadata.name));
    },
    () => undefined,
  );
  return () => watch.abort();
}

describe('faults: FlyteWorkflows through a replica kill', { concurrency: 1 }, () => {
  test(
    'SIGKILL a replica mid-way: every FlyteWorkflow ends Succeeded once, one Pod per task',
    { timeout: 240_000 },
    async () => {
      const phases = new Map<string, number[]>();
      const names = Array.from({ length: COUNT }, (_, n) => `fk-${n}`);
      let final: FlyteView[] = [];
      const podsByWorkflow = new Map<string, Set<string>>();
      const report = await runScenario({ scenario: 'flyte-sigkill', replicas: 3, flyte: true }, async (fleet) => {
        const custom = fleet.kubeConfig.makeApiClient(CustomObjectsApi);
        const stopWatch = await watchPhases(fleet, phases);
        const stopPodWatch = await watchPods(fleet, podsByWorkflow);
        try {
          const submitted = (async () => {
            for (const name of names) {
              await custom.createNamespacedCustomObject({ ...api, body: chain(name) });
              await sleep(250);
            }
          })();
          // Mid-way: some chains have pods running, others are not yet submitted.
          await sleep(3_000);
          const [victim] = fleet.replicaNames();
          assert.ok(victim);
          await fleet.killReplicas([victim]);
          await submitted;
          await sleep(2_000);
          await fleet.addReplica({ name: victim });
          const deadline = Date.now() + 150_000;
          for (;;) {
            const list = (await custom.listNamespacedCustomObject(api)) as { items: FlyteView[] };
            final = list.items;
            if (final.length === COUNT && final.every((fw) => TERMINAL.has(fw.status?.phase ?? -1))) break;
            if (Date.now() > deadline) break;
            await sleep(1_000);
          }
          return [
            `${victim} SIGKILLed 3 s into ${COUNT} FlyteWorkflow container chains, restarted after the last submit`,
          ];
        } finally {
          stopWatch();
          stopPodWatch();
        }
      });
      assert.ok(scenarioOk(report), renderScenarioReport(report));
      assert.ok(
        report.injected.some((i) => i.what.startsWith('SIGKILL')),
        'the scenario killed a replica',
      );
      assert.equal(final.length, COUNT, 'every FlyteWorkflow is still there');
      for (const fw of final) {
        const name = fw.metadata.name;
        assert.equal(fw.status?.phase, 3, `${name} Succeeded: ${JSON.stringify(fw.status?.message)}`);
        for (const node of ['n0', 'n1', 'n2']) assert.equal(fw.status?.nodeStatus?.[node]?.phase, 5, `${name} ${node}`);
        const seen = phases.get(name) ?? [];
        const firstTerminal = seen.findIndex((p) => TERMINAL.has(p));
        assert.deepEqual(seen.slice(firstTerminal), [3], `${name} ended once: phases seen ${seen.join(' → ')}`);
        const pods = [...(podsByWorkflow.get(name) ?? [])];
        assert.equal(pods.length, 3, `${name}: one pod per task, got ${pods.join(', ')}`);
      }
    },
  );
});
