import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { decide, type PodMemory, type Step } from './stages.js';

const config = { nodeName: 'sandbox-node', pendingMs: 100, runMs: 1000 };
const t0 = Date.parse('2026-11-25T10:00:00.000Z');

function pod(annotations: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations },
    spec: {
      containers: [
        { name: 'main', image: 'busybox' },
        { name: 'side', image: 'envoy' },
      ],
      restartPolicy: 'Never',
    },
  };
}

/** Applies a step as the API server would (status replaced, nodeName bound), and the memory as the kubelet does. */
function apply(p: V1Pod, mem: PodMemory | undefined, step: Step): { pod: V1Pod; mem: PodMemory } {
  const next: V1Pod = structuredClone(p);
  if (step.bind) next.spec = { ...next.spec!, nodeName: config.nodeName };
  if (step.status) next.status = structuredClone(step.status) as unknown as V1Pod['status'];
  return { pod: next, mem: { ...(mem ?? { uid: 'u1', stage: 'new' }), ...step.remember } };
}

/** Drives a pod to its end with a fake clock, returning the statuses' phases and the final state. */
function drive(p: V1Pod, useMemory = true) {
  let now = t0;
  let mem: PodMemory | undefined;
  const phases: string[] = [];
  let last: Step | undefined;
  for (let i = 0; i < 20; i++) {
    const step = decide(p, useMemory ? mem : undefined, now, config);
    if (!step) break;
    last = step;
    ({ pod: p, mem } = apply(p, mem, step));
    if (step.status)
      phases.push(
        `${step.status.phase}${step.status.containerStatuses[0]?.state.waiting ? `/${step.status.containerStatuses[0].state.waiting.reason}` : ''}@${now - t0}`,
      );
    if (step.delete) phases.push(`deleted@${now - t0}`);
    if (step.requeueAfterMs === undefined) break;
    now += step.requeueAfterMs;
  }
  return { pod: p, phases, last, now };
}

describe('decide', () => {
  test('a default pod: scheduled, ContainerCreating, Running, Succeeded at the exact times', () => {
    const { pod: end, phases } = drive(pod());
    assert.deepEqual(phases, ['Pending/ContainerCreating@0', 'Running@100', 'Succeeded@1100']);
    const main = end.status?.containerStatuses?.[0];
    assert.equal(main?.state?.terminated?.exitCode, 0);
    assert.equal(main?.state?.terminated?.reason, 'Completed');
    assert.equal(end.status?.containerStatuses?.length, 2);
    assert.equal(end.spec?.nodeName, 'sandbox-node');
    const ready = end.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'PodCompleted');
  });

  test('duration, exit code and message annotations', () => {
    const { pod: end, phases } = drive(
      pod({
        'flotilla.io/sim-duration': '250ms',
        'flotilla.io/sim-exit-code': '7',
        'flotilla.io/sim-message': '{"rows":3}',
      }),
    );
    assert.deepEqual(phases, ['Pending/ContainerCreating@0', 'Running@100', 'Failed@350']);
    const terminated = end.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 7);
    assert.equal(terminated?.reason, 'Error');
    assert.equal(terminated?.message, '{"rows":3}');
    assert.equal(end.status?.containerStatuses?.[1]?.state?.terminated?.message, undefined);
  });

  test('OOMKilled, Evicted, Lost, ImagePullBackOff', () => {
    const oom = drive(pod({ 'flotilla.io/sim-failure': 'OOMKilled' })).pod.status?.containerStatuses?.[0]?.state
      ?.terminated;
    assert.deepEqual([oom?.exitCode, oom?.reason], [137, 'OOMKilled']);
    const evicted = drive(pod({ 'flotilla.io/sim-failure': 'Evicted' })).pod.status;
    assert.deepEqual([evicted?.phase, evicted?.reason], ['Failed', 'Evicted']);
    const lost = drive(pod({ 'flotilla.io/sim-failure': 'Lost' }));
    assert.deepEqual(lost.phases, ['Pending/ContainerCreating@0', 'Running@100', 'deleted@1100']);
    const pull = drive(pod({ 'flotilla.io/sim-failure': 'ImagePullBackOff' }));
    assert.deepEqual(pull.phases, [
      'Pending/ContainerCreating@0',
      'Pending/ErrImagePull@100',
      'Pending/ImagePullBackOff@200',
    ]);
  });

  test('forever runs until deleted; deletion kills with 143 and deletes', () => {
    const running = drive(pod({ 'flotilla.io/sim-duration': 'forever' }));
    assert.deepEqual(running.phases, ['Pending/ContainerCreating@0', 'Running@100']);
    const deleting = structuredClone(running.pod);
    deleting.metadata!.deletionTimestamp = new Date(running.now);
    const step = decide(deleting, { uid: 'u1', stage: 'running', startedAt: t0 + 100 }, running.now + 5000, config);
    assert.equal(step?.delete, true);
    assert.equal(step?.status?.phase, 'Failed');
    assert.equal(step?.status?.containerStatuses[0]?.state.terminated?.exitCode, 143);
    assert.equal(step?.remember.stage, 'gone');
    assert.equal(decide(deleting, { uid: 'u1', stage: 'gone' }, running.now + 5000, config), undefined);
  });

  test('memory ahead of a stale cache prevents a second transition', () => {
    const fresh = pod();
    const first = decide(fresh, undefined, t0, config);
    assert.equal(first?.bind, true);
    // the informer has not delivered our write yet: the pod still looks new
    const again = decide(fresh, { uid: 'u1', stage: 'scheduled', scheduledAt: t0 }, t0 + 10, config);
    assert.equal(again?.status, undefined);
    assert.equal(again?.requeueAfterMs, 90);
  });

  test('without memory (a restarted kubelet) timers come back from the pod timestamps', () => {
    const { pod: running } = drive(pod({ 'flotilla.io/sim-duration': '5s' }), true);
    // rebuild a running pod at t0+100, then ask with no memory at t0+2000: about 3.1 s left
    const mid = decide(pod({ 'flotilla.io/sim-duration': '5s' }), undefined, t0, config)!;
    const scheduled = apply(pod({ 'flotilla.io/sim-duration': '5s' }), undefined, mid).pod;
    const toRun = decide(scheduled, undefined, t0 + 100, config)!;
    const isRunning = apply(scheduled, undefined, toRun).pod;
    const later = decide(isRunning, undefined, t0 + 2000, config);
    assert.equal(later?.status, undefined);
    assert.equal(later?.requeueAfterMs, 3000);
    assert.equal(running.status?.phase, 'Succeeded');
  });

  test('pods bound to another node are left alone; a terminated pod needs nothing', () => {
    const other = pod();
    other.spec!.nodeName = 'elsewhere';
    assert.equal(decide(other, undefined, t0, config), undefined);
    const done = drive(pod()).pod;
    assert.equal(decide(done, undefined, t0 + 10_000, config), undefined);
  });

  test('a recreated pod (new uid) starts from scratch', () => {
    const step = decide(pod(), { uid: 'old', stage: 'terminated' }, t0, config);
    assert.equal(step?.bind, true);
  });
});
