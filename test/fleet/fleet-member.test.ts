/**
 * `FleetMember` with in-process Replicas against the embedded API server and a real Redis, its
 * components run by a `Lifecycle` as a process does (a manager candidate composed beside it on one
 * replica, sharing the lease cache): the manager candidate assigns the hash shards, the labeller
 * labels unlabelled Workflows, the replicas acquire their shards and run the workflows to
 * completion; the fence (`canRun`) follows ownership; load is published on the member lease, from
 * the informer caches with metrics off; a graceful stop hands shards over at once; a fenced stop
 * leaves the leases to expire, after which the survivor takes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateWorkflow } from '../../src/api/validation/index.js';
import { EngineDriver, MemoryOutputStore } from '../../src/engine/index.js';
import { PluginRegistry } from '../../src/engine/plugin-registry.js';
import { inProcessPlugins } from '../../src/plugins/inprocess/index.js';
import { EventRecorder } from '../../src/controller/k8s-events.js';
import { WorkflowClient } from '../../src/kube/workflow-client.js';
import { Replica } from '../../src/controller/replica.js';
import { FleetMember } from '../../src/controller/fleet-member.js';
import { Lifecycle } from '../../src/lifecycle/index.js';
import { Metrics } from '../../src/observability/metrics.js';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { LeaseInformer, leaseCacheComponent } from '../../shard-manager/leases/lease-informer.js';
import { ShardManagerCandidate } from '../../shard-manager/manager/running.js';
import { hashShardIds } from '../../shard-manager/sharding/hash.js';
import { LOAD_ANNOTATION, parseLoad } from '../../shard-manager/replica/membership.js';
import { memberLeaseName, shardLeaseName } from '../../shard-manager/leases/names.js';
import { FAST_TIMINGS } from '../../shard-manager/testing.js';
import { RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { createWorkflow, startEnv, type TestEnv } from '../controller/support/env.js';

const SHARDS = 4;
const FLEET_NS = 'flotilla-system';

interface Member {
  id: string;
  replica: Replica;
  member: FleetMember;
  lifecycle: Lifecycle;
  metrics: Metrics;
}

describe('fleet member (in-process replicas, embedded API server, Redis)', () => {
  let env: TestEnv;
  let redis: RedisServer;
  let client: WorkflowClient;
  let leases: LeaseClient;
  const members = new Map<string, Member>();

  /** `metrics: false`: the replica runs without metrics, as with them switched off. */
  async function join(id: string, manager: boolean, options: { metrics?: boolean } = {}): Promise<Member> {
    const metrics = new Metrics({ processMetrics: false });
    const fence: { member?: FleetMember } = {};
    const replica = new Replica({
      kubeConfig: env.kubeConfig,
      redisUrl: redis.url,
      ...(options.metrics === false ? {} : { metrics }),
      canRun: (shard) => fence.member?.canRun(shard) ?? false,
      round: {
        driver: new EngineDriver({ plugins: new PluginRegistry(inProcessPlugins()), outputs: new MemoryOutputStore() }),
        validate: validateWorkflow,
        events: { publish: () => undefined },
        recorder: new EventRecorder({ kubeConfig: env.kubeConfig }),
      },
      queue: { concurrency: 4, wakeupPollMs: 200 },
      watchdogMs: 30_000,
    });
    const source = new LeaseInformer({ kubeConfig: env.kubeConfig, namespace: FLEET_NS });
    const member = new FleetMember({
      kubeConfig: env.kubeConfig,
      replica,
      replicaId: id,
      fleetNamespace: FLEET_NS,
      source,
      timings: FAST_TIMINGS,
      ...(options.metrics === false ? {} : { metrics }),
      releaseGraceMs: 2000,
    });
    const candidate = manager
      ? [
          new ShardManagerCandidate({
            kubeConfig: env.kubeConfig,
            identity: id,
            fleetNamespace: FLEET_NS,
            shards: hashShardIds(SHARDS),
            shardCount: SHARDS,
            timings: FAST_TIMINGS,
            source,
            metrics,
          }),
        ]
      : [];
    const lifecycle = new Lifecycle([leaseCacheComponent(source), ...member.components, ...candidate]);
    fence.member = member;
    await lifecycle.start();
    const joined = { id, replica, member, lifecycle, metrics };
    members.set(id, joined);
    return joined;
  }

  async function leave(id: string, release: boolean): Promise<void> {
    const m = members.get(id);
    if (!m) return;
    members.delete(id);
    if (!release) await m.member.stopFenced();
    await m.lifecycle.stop({ graceMs: 2000 });
    await m.replica.stop({ graceMs: 0 });
  }

  async function holders(): Promise<(string | undefined)[]> {
    return Promise.all(
      Array.from(
        { length: SHARDS },
        async (_, i) => (await leases.get(shardLeaseName(String(i))))?.holderIdentity ?? undefined,
      ),
    );
  }

  async function submitAndFinish(prefix: string, count: number): Promise<void> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    for (const name of names) await createWorkflow(env, 'default', name); // no shard label: the labeller adds it
    await waitFor(
      async () => {
        const phases = await Promise.all(names.map(async (n) => (await client.get('default', n)).status?.phase));
        return phases.every((p) => p === 'Succeeded');
      },
      { what: `${prefix}-* succeeded`, timeoutMs: 30_000 },
    );
  }

  before(async () => {
    [env, redis] = await Promise.all([startEnv(), RedisServer.start({ persist: false })]);
    await env.core.createNamespace({ body: { metadata: { name: FLEET_NS } } });
    client = new WorkflowClient(env.kubeConfig);
    leases = new LeaseClient(env.kubeConfig, FLEET_NS);
  });
  after(async () => {
    for (const id of [...members.keys()]) await leave(id, true);
    await Promise.all([env.stop(), redis.stop()]);
  });

  test('two members share the shards; unlabelled workflows are labelled and complete; canRun follows ownership', async () => {
    const r1 = await join('r1', true);
    const r2 = await join('r2', false);
    await waitFor(
      async () => {
        const h = await holders();
        return h.every((x) => x === 'r1' || x === 'r2') && h.includes('r1') && h.includes('r2');
      },
      { what: 'every shard held, by both replicas', timeoutMs: 15_000 },
    );
    await waitFor(() => r1.replica.shards().length + r2.replica.shards().length === SHARDS, { what: 'shards running' });
    await submitAndFinish('first', 8);
    // With 2 s leases a loaded machine can stall a member past its fence deadline for a moment (it
    // then fences itself and takes its shards back): the holder runs its shards *eventually*, and
    // at no instant do both members run one.
    await waitFor(
      async () => {
        const h = await holders();
        for (let shard = 0; shard < SHARDS; shard++)
          if (!(h[shard] === 'r1' ? r1 : r2).member.canRun(shard)) return undefined;
        return true;
      },
      { what: 'every shard runs on its holder', timeoutMs: 15_000 },
    );
    for (let shard = 0; shard < SHARDS; shard++)
      assert.equal(r1.member.canRun(shard) && r2.member.canRun(shard), false, `shard ${shard} runs on one member only`);
    assert.equal(r1.member.ready(), true);
    const labelled = await client.get('default', 'first-0');
    assert.match(labelled.metadata.labels?.['flotilla.io/shard'] ?? '', /^[0-3]$/);

    // Load is published with the member lease renewals, one entry per running shard.
    await waitFor(
      async () => {
        const load = parseLoad((await leases.get(memberLeaseName('r1')))?.annotations?.[LOAD_ANNOTATION]);
        return r1.replica.shards().every((s) => load.has(String(s))) && [...load.values()].some((l) => l.workflows > 0);
      },
      { what: 'r1 publishes per-shard load with workflow counts', timeoutMs: 10_000 },
    );
    const text = await r1.metrics.text();
    assert.match(text, /flotilla_assignment_computations_total [1-9]/);
    assert.match(text, /flotilla_shards_held\{replica="r2"\} [1-9]/);
    assert.match(text, /flotilla_shard_transitions_total\{type="acquire"\} [1-9]/);
  });

  test('a graceful stop releases at once: the survivor takes every shard and new workflows complete', async () => {
    const r2Shards = members.get('r2')?.replica.shards() ?? [];
    assert.ok(r2Shards.length > 0);
    await leave('r2', true);
    assert.equal(await leases.get(memberLeaseName('r2')), undefined, 'member lease deleted');
    for (const shard of r2Shards) {
      const lease = await leases.get(shardLeaseName(String(shard)));
      assert.notEqual(lease?.holderIdentity, 'r2', `shard ${shard} released`);
    }
    await waitFor(async () => (await holders()).every((x) => x === 'r1'), {
      what: 'r1 holds every shard',
      timeoutMs: 15_000,
    });
    await submitAndFinish('second', 6);
    const text = (await members.get('r1')?.metrics.text()) ?? '';
    assert.match(text, /flotilla_shard_handovers_total\{reason="[a-z-]+"\} [1-9]|flotilla_shard_failovers_total [1-9]/);
  });

  test('a fenced stop leaves the leases held; the survivor takes them only after expiry', async () => {
    const r3 = await join('r3', false);
    await waitFor(async () => (await holders()).includes('r3'), { what: 'r3 gets shards', timeoutMs: 15_000 });
    const lost = r3.replica.shards();
    const stoppedAt = Date.now();
    await leave('r3', false);
    const right = await holders();
    assert.ok(
      lost.every((s) => right[s] === 'r3'),
      'a fenced stop writes nothing: r3 still holds its leases',
    );
    assert.ok((await leases.get(memberLeaseName('r3'))) !== undefined, 'member lease left to expire');
    await waitFor(async () => (await holders()).every((x) => x === 'r1'), {
      what: 'r1 takes r3 shards after expiry',
      timeoutMs: 20_000,
    });
    assert.ok(Date.now() - stoppedAt >= FAST_TIMINGS.leaseDurationMs - 200, 'not before the member lease expired');
    await submitAndFinish('third', 6);
    const text = (await members.get('r1')?.metrics.text()) ?? '';
    assert.match(text, /flotilla_shard_failovers_total [1-9]/);
    assert.match(text, /flotilla_shard_failover_duration_seconds_count [1-9]/);
  });

  test('load (workflows, rounds) is published from the informer caches with metrics off', async () => {
    const r4 = await join('r4', false, { metrics: false });
    await waitFor(async () => (await holders()).includes('r4') && r4.replica.shards().length > 0, {
      what: 'r4 gets shards',
      timeoutMs: 15_000,
    });
    await waitFor(
      async () => {
        const load = parseLoad((await leases.get(memberLeaseName('r4')))?.annotations?.[LOAD_ANNOTATION]);
        const shards = r4.replica.shards();
        return (
          shards.length > 0 &&
          shards.every((s) => load.get(String(s))?.workflows === r4.replica.cachedWorkflows(s).length) &&
          [...load.values()].some((l) => l.workflows > 0) &&
          // The rounds counter: what the shard ran here so far (the lease lags the replica, never leads it).
          shards.every((s) => (load.get(String(s))?.rounds ?? Infinity) <= (r4.replica.roundsByShard().get(s) ?? 0)) &&
          [...load.values()].some((l) => l.rounds > 0)
        );
      },
      {
        what: 'r4 publishes the workflow count and rounds counter of each cached shard, metrics off',
        timeoutMs: 10_000,
      },
    );
  });
});
