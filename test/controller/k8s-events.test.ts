/** Kubernetes Events on Workflows against the embedded API server: names, aggregation, no throws. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder } from '../../src/controller/k8s-events.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import type { KubeError } from '../../src/kube/errors.js';
import { createWorkflow, startEnv, type TestEnv } from './support/env.js';
import type { Workflow } from '../../src/api/workflow.js';

describe('Kubernetes events recorder (embedded API server)', () => {
  let env: TestEnv;
  let workflow: Workflow;
  let sent = 0;
  const failed: KubeError[] = [];

  before(async () => {
    env = await startEnv();
    workflow = await createWorkflow(env, 'default', 'evented');
  });
  after(async () => {
    await env.stop();
  });

  const eventsOf = async (name: string) =>
    (await env.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${name}` })).items;

  test('repeats aggregate into one Event with a growing count; other reasons are other Events', async () => {
    const recorder = new EventRecorder({
      kubeConfig: env.kubeConfig,
      instance: 'r1',
      onSent: () => (sent += 1),
      onFailed: (e) => failed.push(e),
    });
    const invalid = { type: 'Warning' as const, reason: 'InvalidSpec', message: 'nodes[0].task: unknown task "x"' };
    await Promise.all([recorder.record(workflow, invalid), recorder.record(workflow, invalid)]);
    await recorder.record(workflow, invalid);
    await recorder.record(workflow, { type: 'Normal', reason: 'Started', message: 'workflow started' });
    const events = await eventsOf('evented');
    assert.equal(events.length, 2);
    const warning = events.find((e) => e.reason === 'InvalidSpec');
    assert.equal(warning?.metadata.name, EventRecorder.eventName(workflow, invalid));
    assert.equal(warning?.count, 3);
    assert.equal(warning?.type, 'Warning');
    assert.equal(warning?.involvedObject.kind, 'Workflow');
    assert.equal(warning?.involvedObject.uid, workflow.metadata.uid);
    assert.equal(warning?.reportingInstance, 'r1');
    assert.equal(events.find((e) => e.reason === 'Started')?.count, 1);
    assert.equal(sent, 4);
    assert.equal(failed.length, 0);

    // A new recorder (a restarted replica) continues the count of the existing Event.
    const restarted = new EventRecorder({ kubeConfig: env.kubeConfig });
    await restarted.record(workflow, invalid);
    assert.equal((await eventsOf('evented')).find((e) => e.reason === 'InvalidSpec')?.count, 4);
  });

  test('remembered counts are bounded; an Event repeated after its count was dropped still counts on', async () => {
    const bounded = await createWorkflow(env, 'default', 'bounded');
    const recorder = new EventRecorder({ kubeConfig: env.kubeConfig, maxRemembered: 1 });
    const first = { type: 'Normal' as const, reason: 'First', message: 'one' };
    const second = { type: 'Normal' as const, reason: 'Second', message: 'two' };
    await recorder.record(bounded, first);
    await recorder.record(bounded, second); // drops First's count
    assert.equal(recorder.rememberedCount, 1);
    await recorder.record(bounded, first); // create answers AlreadyExists: read, then bump
    await recorder.record(bounded, first);
    assert.equal(recorder.rememberedCount, 1);
    const events = await eventsOf('bounded');
    assert.equal(events.find((e) => e.reason === 'First')?.count, 3);
    assert.equal(events.find((e) => e.reason === 'Second')?.count, 1);
  });

  test('an unreachable API server is counted, never thrown', async () => {
    const broken = loadKubeConfig({ yaml: env.server.kubeconfig.replace(`:${env.server.port}`, ':1') });
    const errors: KubeError[] = [];
    const recorder = new EventRecorder({ kubeConfig: broken, onFailed: (e) => errors.push(e) });
    await recorder.record(workflow, { type: 'Normal', reason: 'Started', message: 'x' });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.code, 'Unavailable');
  });
});
