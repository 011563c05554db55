import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { TaskContext } from '../../engine/plugins.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlobStore } from '../../storage/open.js';
import {
  buildPod,
  classifyPod,
  createPodPlugin,
  MemoryPodGateway,
  OUTPUTS_URI_ENV,
  outputsUriFor,
  podNameFor,
  type PodRefusal,
} from './index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function ctx(over: Partial<TaskContext> = {}, annotations: Record<string, string> = {}): TaskContext {
  return {
    workflow: { namespace: 'team-a', name: 'nightly-etl', uid: 'u-1', shard: '7' },
    nodeId: 'extract',
    attempt: 1,
    taskName: 'extract',
    task: {
      plugin: 'pod',
      pod: {
        image: 'etl:1.4',
        command: ['extract'],
        env: { A: 'b' },
        annotations,
        resources: { limits: { memory: '1Gi' } },
      },
      interruptible: true,
    },
    inputs: { date: '2026-11-24' },
    attemptStartedAt: new Date(T0).toISOString(),
    ...over,
  };
}

describe('pod plugin: building', () => {
  test('deterministic name, labels, owner, restartPolicy, annotations passed through', () => {
    const pod = buildPod(ctx({}, { 'flotilla.io/sim-duration': '2s' }));
    assert.equal(pod.metadata?.name, 'nightly-etl-extract-1');
    assert.deepEqual(buildPod(ctx()).metadata?.name, pod.metadata?.name);
    assert.equal(pod.metadata?.namespace, 'team-a');
    assert.equal(pod.metadata?.labels?.['flotilla.io/workflow'], 'nightly-etl');
    assert.equal(pod.metadata?.labels?.['flotilla.io/node'], 'extract');
    assert.equal(pod.metadata?.labels?.['flotilla.io/attempt'], '1');
    assert.equal(pod.metadata?.labels?.['flotilla.io/shard'], '7');
    assert.equal(pod.metadata?.labels?.['flotilla.io/interruptible'], 'true');
    assert.equal(pod.metadata?.annotations?.['flotilla.io/sim-duration'], '2s');
    assert.deepEqual(pod.metadata?.ownerReferences?.[0], {
      apiVersion: 'flotilla.io/v1alpha1',
      kind: 'Workflow',
      name: 'nightly-etl',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
    assert.equal(pod.spec?.restartPolicy, 'Never');
    const container = pod.spec?.containers[0];
    assert.equal(container?.image, 'etl:1.4');
    assert.deepEqual(container?.command, ['extract']);
    assert.deepEqual(
      container?.env?.find((e) => e.name === 'FLOTILLA_INPUTS')?.value,
      JSON.stringify({ date: '2026-11-24' }),
    );
    assert.equal(container?.resources?.limits?.['memory'], '1Gi');
  });

  test('long or odd names are sanitised to a DNS label and hashed', () => {
    const long = podNameFor({
      workflow: { namespace: 'n', name: 'a'.repeat(60), uid: 'u' },
      nodeId: 'per-part/17/Load_Data',
      attempt: 3,
    });
    assert.ok(long.length <= 63, long);
    assert.match(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const other = podNameFor({
      workflow: { namespace: 'n', name: 'a'.repeat(60), uid: 'u' },
      nodeId: 'per-part/17/Load_Data',
      attempt: 4,
    });
    assert.notEqual(long, other);
    const odd = podNameFor({
      workflow: { namespace: 'n', name: 'wf', uid: 'u' },
      nodeId: 'decide/Publish',
      attempt: 1,
    });
    assert.match(odd, /^wf-decide-publish-1-[0-9a-f]{8}$/);
  });
});

function pod(status: V1Pod['status'], created = T0, deleting = false): V1Pod {
  return {
    metadata: {
      name: 'p',
      creationTimestamp: new Date(created),
      ...(deleting ? { deletionTimestamp: new Date(created) } : {}),
    },
    status,
  };
}
const terminated = (exitCode: number, reason: string, message?: string) => ({
  containerStatuses: [
    {
      name: 'task',
      image: '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: {
        terminated: { exitCode, reason, finishedAt: new Date(T0), ...(message !== undefined ? { message } : {}) },
      },
    },
  ],
});

describe('pod plugin: classifying', () => {
  const now = T0 + 1000;
  test('success parses the termination message as a JSON object', () => {
    assert.deepEqual(classifyPod(pod({ phase: 'Succeeded', ...terminated(0, 'Completed', '{"rows": 3}') }), { now }), {
      phase: 'Succeeded',
      outputs: { rows: 3 },
    });
    assert.deepEqual(classifyPod(pod({ phase: 'Succeeded', ...terminated(0, 'Completed') }), { now }), {
      phase: 'Succeeded',
      outputs: {},
    });
  });
  test('invalid outputs are a user failure with a clear reason', () => {
    const o = classifyPod(pod({ phase: 'Succeeded', ...terminated(0, 'Completed', 'rows=3') }), { now });
    assert.equal(o.phase, 'Failed');
    if (o.phase === 'Failed') {
      assert.equal(o.failure.kind, 'user');
      assert.equal(o.failure.reason, 'InvalidOutputs');
      assert.match(o.failure.message, /not JSON/);
    }
    const arr = classifyPod(pod({ phase: 'Succeeded', ...terminated(0, 'Completed', '[1]') }), { now });
    assert.equal(arr.phase === 'Failed' && arr.failure.reason, 'InvalidOutputs');
  });
  const failures: [string, V1Pod | undefined, 'user' | 'system', string][] = [
    ['non-zero exit', pod({ phase: 'Failed', ...terminated(3, 'Error', 'boom') }), 'user', 'NonZeroExit'],
    ['OOMKilled', pod({ phase: 'Failed', ...terminated(137, 'OOMKilled') }), 'system', 'OOMKilled'],
    ['Evicted', pod({ phase: 'Failed', reason: 'Evicted' }), 'system', 'Evicted'],
    ['lost', undefined, 'system', 'PodLost'],
    ['deleted', pod({ phase: 'Running' }, T0, true), 'system', 'PodDeleted'],
    [
      'image pull',
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'task',
            image: '',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff' } },
          },
        ],
      }),
      'system',
      'ImagePullBackOff',
    ],
    ['pending too long', pod({ phase: 'Pending' }, T0 - 600_000), 'system', 'PendingTimeout'],
  ];
  for (const [name, p, kind, reason] of failures) {
    test(`${name} → ${kind} failure ${reason}`, () => {
      const o = classifyPod(p, { now });
      assert.equal(o.phase, 'Failed');
      if (o.phase === 'Failed') {
        assert.equal(o.failure.kind, kind);
        assert.equal(o.failure.reason, reason);
      }
    });
  }
  test('pending and running ask to be checked again', () => {
    assert.equal(classifyPod(pod({ phase: 'Pending' }), { now }).phase, 'Queued');
    const running = classifyPod(pod({ phase: 'Running' }), { now, checkAfterMs: 250 });
    assert.equal(running.phase === 'Running' && running.checkAfterMs, 250);
  });
});

describe('pod plugin with the in-memory kubelet', () => {
  test('start is idempotent; the pod runs for sim-duration; abort deletes', async () => {
    let now = T0;
    const gateway = new MemoryPodGateway({ clock: () => now });
    const plugin = createPodPlugin({ gateway, clock: () => now });
    const c = ctx({}, { 'flotilla.io/sim-duration': '2s', 'flotilla.io/sim-message': '{"ok":true}' });
    assert.equal((await plugin.start(c)).phase, 'Running');
    assert.equal((await plugin.start(c)).phase, 'Running');
    assert.equal(gateway.created, 1);
    now += 2000;
    assert.deepEqual(await plugin.check(c), { phase: 'Succeeded', outputs: { ok: true } });
    await plugin.abort(c);
    await plugin.abort(c);
    const lost = await plugin.check(c);
    assert.equal(lost.phase === 'Failed' && lost.failure.reason, 'PodLost');
  });
  test('sim-exit-code and sim-failure', async () => {
    let now = T0;
    const gateway = new MemoryPodGateway({ clock: () => now });
    const plugin = createPodPlugin({ gateway, clock: () => now });
    const exit = ctx({ nodeId: 'a' }, { 'flotilla.io/sim-duration': '1s', 'flotilla.io/sim-exit-code': '2' });
    const oom = ctx({ nodeId: 'b' }, { 'flotilla.io/sim-duration': '1s', 'flotilla.io/sim-failure': 'OOMKilled' });
    await plugin.start(exit);
    await plugin.start(oom);
    now += 1000;
    const e = await plugin.check(exit);
    const o = await plugin.check(oom);
    assert.equal(e.phase === 'Failed' && `${e.failure.kind}/${e.failure.reason}`, 'user/NonZeroExit');
    assert.equal(o.phase === 'Failed' && `${o.failure.kind}/${o.failure.reason}`, 'system/OOMKilled');
  });
});

describe('pod plugin: refused creates', () => {
  /** The in-memory kubelet behind a gate that refuses creates while `refusal` is set. */
  class RefusingGateway extends MemoryPodGateway {
    refusal: PodRefusal | undefined;
    override async create(p: V1Pod): Promise<{ created: boolean; refused?: PodRefusal }> {
      return this.refusal ? { created: false, refused: this.refusal } : super.create(p);
    }
  }

  test('a quota refusal waits for resources with the server message, backs off, then starts', async () => {
    const now = T0;
    const gateway = new RefusingGateway({ clock: () => now });
    gateway.refusal = {
      reason: 'Forbidden',
      message:
        'pods "p" is forbidden: exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=1, limited: requests.cpu=2',
    };
    const plugin = createPodPlugin({ gateway, clock: () => now, quotaBackoffBaseMs: 100, quotaBackoffMaxMs: 300 });
    const first = await plugin.start(ctx());
    assert.equal(first.phase, 'WaitingForResources');
    if (first.phase !== 'WaitingForResources') return;
    assert.match(first.message ?? '', /^WaitingForResources: .*exceeded quota: compute/);
    assert.equal(first.checkAfterMs, 100);
    const second = await plugin.check(ctx({ pluginState: first.pluginState ?? {} }));
    assert.equal(second.phase === 'WaitingForResources' && second.checkAfterMs, 200);
    const third = await plugin.check(ctx({ pluginState: { createRefusals: 5 } }));
    assert.equal(third.phase === 'WaitingForResources' && third.checkAfterMs, 300);
    gateway.refusal = undefined;
    const started = await plugin.check(ctx({ pluginState: { createRefusals: 6 } }));
    assert.equal(started.phase, 'Running');
    assert.deepEqual(started.phase === 'Running' && started.pluginState, {});
    assert.equal(gateway.created, 1);
  });

  test('an invalid pod fails at once, not retryable, with the server message', async () => {
    const gateway = new RefusingGateway();
    gateway.refusal = {
      reason: 'Invalid',
      message: 'Pod "p" is invalid: spec.containers[0].name: Invalid value: "Bad"',
    };
    const o = await createPodPlugin({ gateway }).start(ctx());
    assert.equal(o.phase, 'Failed');
    if (o.phase !== 'Failed') return;
    assert.equal(o.failure.reason, 'InvalidPod');
    assert.equal(o.failure.retryable, false);
    assert.match(o.failure.message, /is invalid: spec\.containers\[0\]\.name/);
  });
});

describe('pod plugin with a blob store: outputs beyond the termination message', () => {
  test('the pod gets FLOTILLA_OUTPUTS_URI; a written object wins, else the termination message; a bad object is a user failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-pod-outputs-'));
    const store = await openBlobStore(`file://${dir}`);
    try {
      let now = T0;
      const gateway = new MemoryPodGateway({ clock: () => now });
      const plugin = createPodPlugin({ gateway, store, clock: () => now });
      const c = ctx({}, { 'flotilla.io/sim-duration': '1s', 'flotilla.io/sim-message': '{"small":true}' });
      await plugin.start(c);
      const uri = outputsUriFor(store, c);
      assert.equal(uri, `file://${dir}/flotilla/team-a/u-1/pods/${podNameFor(c)}/outputs.json`);
      const env = (await gateway.get('team-a', podNameFor(c)))?.spec?.containers[0]?.env ?? [];
      assert.equal(env.find((e) => e.name === OUTPUTS_URI_ENV)?.value, uri);
      now += 1000;
      assert.deepEqual(
        await plugin.check(c),
        { phase: 'Succeeded', outputs: { small: true } },
        'no object: the message',
      );
      const big = { table: 'x'.repeat(10_000) };
      await store.put(uri, Buffer.from(JSON.stringify(big)));
      assert.deepEqual(await plugin.check(c), { phase: 'Succeeded', outputs: big }, 'the object, past 4 KiB');
      await store.put(uri, Buffer.from('[1]'));
      const bad = await plugin.check(c);
      assert.equal(bad.phase === 'Failed' && bad.failure.reason, 'InvalidOutputs');
      assert.match(bad.phase === 'Failed' ? bad.failure.message : '', /is JSON but not an object/);
      assert.equal(
        buildPod(c).spec?.containers[0]?.env?.some((e) => e.name === OUTPUTS_URI_ENV),
        false,
        'no URI without a store',
      );
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
