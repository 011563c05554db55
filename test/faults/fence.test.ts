/**
 * Fenced writes: a replica frozen after its lease check, whose request reaches the API server only
 * after the shard moved, has that late write refused by the webhook's fence, and the same scenario
 * with the fence off lets it land (so the first test cannot pass without the fence).
 *
 * How the late write is made, deterministically: the API server holds the owner's first status
 * write of one Workflow (as a slow network or a process frozen right after its check would); the
 * owner is SIGSTOPped, its member lease lapses, the manager moves the shard and the new owner takes
 * the lease with the next epoch; at that moment the held write is released, and the owner resumed
 * (SIGCONT). Every other write of that Workflow is held until the late one was answered, so the new
 * owner cannot write first and turn the late write into a plain resourceVersion conflict.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import type { LeaseFields } from '../../shard-manager/leases/lease-state.js';
import { hashShardId } from '../../shard-manager/sharding/hash.js';
import { FLEET_NAMESPACE, WORK_NAMESPACE, runScenario, sleep, type FaultFleet } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

interface LateWrite {
  /** The HTTP status the late write was answered with. */
  code: number;
  /** The API server's message, when it was refused. */
  message: string | undefined;
  epochBefore: number;
  epochAfter: number;
}

async function lateWrite(fleet: FaultFleet): Promise<LateWrite> {
  const name = 'late-0';
  const leases = new LeaseClient(fleet.kubeConfig, FLEET_NAMESPACE);
  const lease = `flotilla-shard-${hashShardId(WORK_NAMESPACE, name, fleet.shardCount)}`;
  const caught = fleet.apiFaults.hold({
    resource: 'workflows.flotilla.io',
    verb: 'update',
    subresource: 'status',
    namespace: WORK_NAMESPACE,
    name,
  });
  await fleet.submitExamples({ count: 1, prefix: 'late' });
  const held = await Promise.race([
    caught,
    sleep(30_000).then(() => Promise.reject(new Error(`no status write of ${name} within 30 s`))),
  ]);
  const before = await leases.get(lease);
  const owner = before?.holderIdentity;
  assert.ok(owner, `${lease} has a holder`);
  const epochBefore = before?.leaseTransitions ?? 0;
  // The new owner's writes of this Workflow wait until the late one was answered.
  const later = fleet.apiFaults.hold({
    resource: 'workflows.flotilla.io',
    verb: ['update', 'patch'],
    namespace: WORK_NAMESPACE,
    name,
  });
  fleet.pauseReplica(owner);
  let after: LeaseFields | undefined = before;
  const deadline = Date.now() + 45_000;
  while (!(after?.holderIdentity && after.holderIdentity !== owner && (after.leaseTransitions ?? 0) > epochBefore)) {
    if (Date.now() > deadline) throw new Error(`${lease} did not move off ${owner} within 45 s`);
    await sleep(5);
    after = await leases.get(lease);
  }
  fleet.inject(
    `${lease} moved to ${after.holderIdentity ?? ''} (epoch ${epochBefore} → ${after.leaseTransitions ?? 0}); the held status write of ${name} from ${owner} released`,
  );
  held.release();
  fleet.resumeReplica(owner);
  const code = await held.answered;
  void later.then((next) => next.release());
  const refusal = fleet.apiFaults
    .audit({ resource: 'workflows.flotilla.io', verb: 'status-update', name })
    .find((entry) => entry.code >= 400);
  return { code, message: refusal?.message, epochBefore, epochAfter: after.leaseTransitions ?? 0 };
}

async function scenario(fence: boolean): Promise<LateWrite> {
  let late: LateWrite | undefined;
  const report = await runScenario(
    { scenario: fence ? 'late-write-fenced' : 'late-write-unfenced', replicas: 2, shardCount: 2, webhook: { fence } },
    async (fleet) => {
      const work = fleet.submitExamples({ count: 16, ratePerSecond: 4 });
      late = await lateWrite(fleet);
      await work;
      return [
        `late status write answered ${late.code}${late.message ? `: ${late.message}` : ''} (epoch ${late.epochBefore}, lease at ${late.epochAfter})`,
      ];
    },
  );
  assert.ok(scenarioOk(report), renderScenarioReport(report));
  assert.ok(late);
  return late;
}

describe('faults: fenced writes', { concurrency: 1 }, () => {
  test(
    'a replica frozen past its lease has its late status write refused by the fence',
    { timeout: 150_000 },
    async () => {
      const late = await scenario(true);
      assert.ok(late.epochAfter > late.epochBefore);
      assert.equal(late.code, 409);
      assert.match(
        late.message ?? '',
        /admission webhook "fence\.workflows\.flotilla\.io" denied the request: stale shard epoch: the write carries epoch \d+ of shard \d+, whose lease flotilla-shard-\d+ is at epoch \d+/,
      );
    },
  );

  test('the same late write lands with the fence off (what the fence closes)', { timeout: 150_000 }, async () => {
    const late = await scenario(false);
    assert.ok(late.epochAfter > late.epochBefore);
    assert.equal(late.code, 200, `the late write was answered ${late.code}: ${late.message ?? ''}`);
  });
});
