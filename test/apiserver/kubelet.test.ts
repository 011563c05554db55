/**
 * The simulated kubelet against the embedded API server: Pods go through their phases (seen in
 * order through a watch), with the exit codes, termination messages and system failures the
 * annotations ask for; deletion of a running Pod; a kubelet restart mid-run; many Pods at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, Watch, type V1Pod } from '@kubernetes/client-node';
import { startKubelet, type RunningKubelet } from '../../sandbox/kubelet/index.js';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { waitFor } from '../support/wait.js';

const ns = 'kl';

interface Seen {
  type: string;
  phase: string | undefined;
  deleting: boolean;
  waiting: string | undefined;
  exitCode: number | undefined;
}

function podBody(
  name: string,
  annotations: Record<string, string> = {},
  containers = 1,
  labels: Record<string, string> = {},
): V1Pod {
  return {
    metadata: { name, annotations, labels },
    spec: {
      restartPolicy: 'Never',
      containers: Array.from({ length: containers }, (_, i) => ({
        name: i === 0 ? 'main' : `side-${i}`,
        image: 'busybox:1.36',
      })),
    },
  };
}

/** Consecutive-deduplicated phases (undefined dropped). */
function phases(seen: Seen[]): string[] {
  const out: string[] = [];
  for (const s of seen) if (s.phase && out[out.length - 1] !== s.phase) out.push(s.phase);
  return out;
}

describe('the simulated kubelet', () => {
  let api: TestApiServer;
  let core: CoreV1Api;
  let kubelet: RunningKubelet;
  const events = new Map<string, Seen[]>();
  let stopWatch: () => void = () => undefined;

  const seen = (name: string): Seen[] => events.get(name) ?? [];
  const read = (name: string) => core.readNamespacedPod({ namespace: ns, name });
  const finished = (name: string, what = `pod ${name} to finish`) =>
    waitFor(
      async () => {
        const pod = await read(name);
        return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? pod : undefined;
      },
      { what, timeoutMs: 20_000 },
    );
  const deleted = (name: string) =>
    waitFor(() => seen(name).some((s) => s.type === 'DELETED'), { what: `pod ${name} deleted`, timeoutMs: 20_000 });

  before(async () => {
    api = await startTestApiServer();
    core = api.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const controller = await new Watch(api.kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      {},
      (type, obj: V1Pod) => {
        const name = obj.metadata?.name ?? '';
        const container = obj.status?.containerStatuses?.[0];
        const list = events.get(name) ?? [];
        list.push({
          type,
          phase: obj.status?.phase,
          deleting: Boolean(obj.metadata?.deletionTimestamp),
          waiting: container?.state?.waiting?.reason,
          exitCode: container?.state?.terminated?.exitCode,
        });
        events.set(name, list);
      },
      () => undefined,
    );
    stopWatch = () => controller.abort();
    kubelet = await startKubelet({ kubeconfig: api.server.kubeconfig, defaults: { pendingMs: 50, runMs: 300 } });
  });
  after(async () => {
    stopWatch();
    await kubelet?.stop();
    await api?.stop();
  });

  test('a pod runs to Succeeded with its termination message; phases seen in order', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('ok', { 'flotilla.io/sim-duration': '400ms', 'flotilla.io/sim-message': '{"rows":3}' }, 2),
    });
    const pod = await finished('ok');
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.equal(pod.spec?.nodeName, 'sandbox-node');
    const main = pod.status?.containerStatuses?.find((c) => c.name === 'main');
    assert.equal(main?.state?.terminated?.exitCode, 0);
    assert.equal(main?.state?.terminated?.reason, 'Completed');
    assert.equal(main?.state?.terminated?.message, '{"rows":3}');
    assert.equal(pod.status?.containerStatuses?.length, 2);
    assert.ok(pod.status?.startTime);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    await waitFor(() => phases(seen('ok')).includes('Succeeded'), { what: 'the Succeeded event' });
    assert.deepEqual(phases(seen('ok')), ['Pending', 'Running', 'Succeeded']);
    assert.ok(
      seen('ok').some((s) => s.phase === 'Pending' && s.waiting === 'ContainerCreating'),
      'ContainerCreating was shown',
    );
    const writes = api.server.faults.audit({ resource: 'pods', namespace: ns, name: 'ok', verb: 'status-patch' });
    assert.ok(writes.length >= 3, `status written through /status (${writes.length} status patches)`);
    const table = await api.kubectl(['get', 'pod', 'ok', '-n', ns]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ok\s+0\/2\s+Completed\s+0\s+\S+\s*$/m);
  });

  test('a termination message over 4 KiB is cut to its last 4096 bytes, as a real kubelet reads it', async () => {
    const message = `${'a'.repeat(1000)}${'b'.repeat(4096)}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('longmsg', { 'flotilla.io/sim-duration': '100ms', 'flotilla.io/sim-message': message }),
    });
    const pod = await finished('longmsg');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.message, 'b'.repeat(4096));
  });

  test('a non-zero exit code ends in Failed with that code', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('exit3', { 'flotilla.io/sim-duration': '150ms', 'flotilla.io/sim-exit-code': '3' }),
    });
    const pod = await finished('exit3');
    assert.equal(pod.status?.phase, 'Failed');
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    assert.deepEqual([terminated?.exitCode, terminated?.reason], [3, 'Error']);
    await waitFor(() => phases(seen('exit3')).includes('Failed'), { what: 'the Failed event' });
    assert.deepEqual(phases(seen('exit3')), ['Pending', 'Running', 'Failed']);
    const table = await api.kubectl(['get', 'pod', 'exit3', '-n', ns]);
    assert.match(table.stdout, /^exit3\s+0\/1\s+Error\s+0\s+\S+\s*$/m);
  });

  test('system failures: OOMKilled, Evicted, ImagePullBackOff, Lost', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('oom', { 'flotilla.io/sim-failure': 'OOMKilled', 'flotilla.io/sim-duration': '100ms' }),
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('evicted', { 'flotilla.io/sim-failure': 'Evicted', 'flotilla.io/sim-duration': '100ms' }),
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('pull', { 'flotilla.io/sim-failure': 'ImagePullBackOff' }),
    });
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('lost', { 'flotilla.io/sim-failure': 'Lost', 'flotilla.io/sim-duration': '100ms' }),
    });

    const oom = await finished('oom');
    const oomState = oom.status?.containerStatuses?.[0]?.state?.terminated;
    assert.deepEqual([oom.status?.phase, oomState?.exitCode, oomState?.reason], ['Failed', 137, 'OOMKilled']);

    const evicted = await finished('evicted');
    assert.deepEqual([evicted.status?.phase, evicted.status?.reason], ['Failed', 'Evicted']);

    await waitFor(() => seen('pull').some((s) => s.waiting === 'ImagePullBackOff'), {
      what: 'ImagePullBackOff',
      timeoutMs: 10_000,
    });
    const pullReasons = seen('pull')
      .map((s) => s.waiting)
      .filter((w, i, all) => w && all[i - 1] !== w);
    assert.deepEqual(pullReasons, ['ContainerCreating', 'ErrImagePull', 'ImagePullBackOff']);
    const pull = await read('pull');
    assert.equal(pull.status?.phase, 'Pending');

    await deleted('lost');
    assert.deepEqual(phases(seen('lost')), ['Pending', 'Running']);

    const table = await api.kubectl(['get', 'pods', '-n', ns, 'oom', 'evicted', 'pull']);
    assert.match(table.stdout, /^oom\s+0\/1\s+OOMKilled\s+0\s+/m);
    assert.match(table.stdout, /^pull\s+0\/1\s+ImagePullBackOff\s+0\s+/m);
  });

  test('deleting a running pod terminates it (exit 143) and removes it', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('victim', { 'flotilla.io/sim-duration': 'forever' }),
    });
    await waitFor(async () => (await read('victim')).status?.phase === 'Running', { what: 'victim running' });
    await core.deleteNamespacedPod({ namespace: ns, name: 'victim' });
    await deleted('victim');
    const history = seen('victim');
    assert.ok(
      history.some((s) => s.type === 'MODIFIED' && s.deleting),
      'graceful deletion set deletionTimestamp first',
    );
    assert.ok(
      history.some((s) => s.deleting && s.phase === 'Failed' && s.exitCode === 143),
      `terminated with 143 before removal: ${JSON.stringify(history)}`,
    );
    await assert.rejects(read('victim'), (e: unknown) => (e as { code?: number }).code === 404);
  });

  test('an unscheduled pod deleted before it runs is simply gone', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('short', { 'flotilla.io/sim-duration': 'forever' }),
    });
    await core.deleteNamespacedPod({ namespace: ns, name: 'short' });
    await deleted('short');
  });

  test('a kubelet restart mid-run: the pod still finishes, on time from its startTime', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('survivor', { 'flotilla.io/sim-duration': '2500ms' }),
    });
    await waitFor(async () => (await read('survivor')).status?.phase === 'Running', { what: 'survivor running' });
    await kubelet.stop();
    kubelet = await startKubelet({ kubeconfig: api.server.kubeconfig, defaults: { pendingMs: 50, runMs: 300 } });
    const pod = await finished('survivor');
    assert.equal(pod.status?.phase, 'Succeeded');
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    const ranMs = (terminated?.finishedAt?.getTime() ?? 0) - (pod.status?.startTime?.getTime() ?? 0);
    // timestamps have whole seconds: 2.5 s of running shows as at least 2 s
    assert.ok(ranMs >= 2000, `ran ${ranMs} ms`);
    assert.deepEqual(phases(seen('survivor')), ['Pending', 'Running', 'Succeeded']);
  });

  test('pods survive expired watches and a partition', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: podBody('resilient', { 'flotilla.io/sim-duration': '1500ms' }),
    });
    await waitFor(async () => (await read('resilient')).status?.phase === 'Running', { what: 'resilient running' });
    api.server.faults.expireWatches();
    api.server.faults.partition({ ms: 800 });
    const pod = await finished('resilient');
    assert.equal(pod.status?.phase, 'Succeeded');
  });

  test('two hundred pods at once all finish', async () => {
    const count = 200;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        core.createNamespacedPod({
          namespace: ns,
          body: podBody(
            `bulk-${i}`,
            {
              'flotilla.io/sim-duration': `${100 + (i % 10) * 20}ms`,
              'flotilla.io/sim-exit-code': i % 7 === 0 ? '1' : '0',
            },
            1,
            { bulk: 'yes' },
          ),
        }),
      ),
    );
    const done = await waitFor(
      async () => {
        const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'bulk=yes' });
        const ended = list.items.filter((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
        return ended.length === count ? list.items : undefined;
      },
      { what: 'every bulk pod to finish', timeoutMs: 45_000, intervalMs: 250 },
    );
    const failedPods = done
      .filter((p) => p.status?.phase === 'Failed')
      .map((p) => p.metadata?.name)
      .sort();
    const expected = Array.from({ length: count }, (_, i) => i)
      .filter((i) => i % 7 === 0)
      .map((i) => `bulk-${i}`)
      .sort();
    assert.deepEqual(failedPods, expected);
    await waitFor(() => kubelet.stats().timers === 0, { what: 'no timer left' });
  });
});

describe('the API server starts its own kubelet by default', () => {
  let api: TestApiServer;
  before(async () => {
    api = await startTestApiServer({ kubelet: true });
  });
  after(async () => {
    await api?.stop();
  });

  test('a pod runs to Succeeded with no kubelet started by the test', async () => {
    const core = api.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: podBody('builtin', { 'flotilla.io/sim-duration': '100ms' }),
    });
    const pod = await waitFor(
      async () => {
        const p = await core.readNamespacedPod({ namespace: 'default', name: 'builtin' });
        return p.status?.phase === 'Succeeded' ? p : undefined;
      },
      { what: 'the pod to succeed', timeoutMs: 20_000 },
    );
    assert.equal(pod.spec?.nodeName, 'sandbox-node');
    const nodes = await core.listNode();
    assert.deepEqual(
      nodes.items.map((n) => n.metadata?.name),
      ['sandbox-node'],
    );
  });
});
