/**
 * Bounded stops: a replica's SIGTERM gives its shard leases back within 5 s, even when its shards'
 * informers never got their first sync (the API server holds every Workflow list) and a round of
 * each shard waits for that sync. Before the fix, such a round held the stop for the sync timeout
 * (30 s): the shard's queue waits for every round before the lease may go.
 *
 * The time is measured on the leases (the API server's view: when `holderIdentity` stopped naming
 * the replica), from the moment the signal was sent.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { queueName, queuePrefix } from '../../src/controller/queue/index.js';
import { FLEET_NAMESPACE, WORK_NAMESPACE, runScenario, sleep, type FaultFleet } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

const RELEASE_BOUND_MS = 5_000;

async function heldBy(fleet: FaultFleet, replica: string): Promise<number[]> {
  const { leases } = await new LeaseClient(fleet.kubeConfig, FLEET_NAMESPACE).list('shard');
  return leases
    .filter((lease) => lease.holderIdentity === replica)
    .map((lease) => Number(lease.name.slice('flotilla-shard-'.length)));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('faults: bounded stops', { concurrency: 1 }, () => {
  test(
    'SIGTERM releases every shard lease within 5 s while the shards wait for a first sync that never comes',
    { timeout: 180_000 },
    async () => {
      let releasedMs = -1;
      const report = await runScenario({ scenario: 'sigterm-unsynced', replicas: 1, shardCount: 4 }, async (fleet) => {
        await fleet.submitExamples({ count: 12, ratePerSecond: 6 });
        // From now on no informer that starts can list Workflows: its first sync never comes.
        const stall = fleet.apiFaults.stall({ resource: 'workflows.flotilla.io', verb: 'list' });
        fleet.inject('every Workflow list held by the API server (new informers never sync)');
        const late = await fleet.addReplica();
        const shards = await until(`${late} holds shards`, 60_000, async () => {
          const held = await heldBy(fleet, late);
          return held.length > 0 ? held : undefined;
        });
        // A round of each of its shards, waiting for the sync (its informers cannot list).
        const url = new URL(fleet.redisUrl);
        const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
        const queues = shards.map((shard) => new Queue(queueName(shard), { connection, prefix: queuePrefix(shard) }));
        try {
          for (const queue of queues)
            await queue.add('round', { key: `${WORK_NAMESPACE}/wf-0` }, { removeOnComplete: true });
          await until('a round waiting on each shard', 30_000, async () => {
            const active = await Promise.all(queues.map((queue) => queue.getActiveCount()));
            return active.every((n) => n > 0) ? true : undefined;
          });
          fleet.inject(
            `${late} holds shards ${shards.join(', ')}, a round of each waiting for the first sync (${stall.held} lists held)`,
          );
          const signalled = Date.now();
          const stopped = fleet.stopReplica(late);
          await until(`${late}'s leases released`, 60_000, async () =>
            (await heldBy(fleet, late)).length === 0 ? true : undefined,
          );
          releasedMs = Date.now() - signalled;
          fleet.inject(`${late}'s shard leases released ${releasedMs} ms after SIGTERM`);
          await stopped;
        } finally {
          stall.release();
          await Promise.all(queues.map((queue) => queue.close()));
        }
        return [`SIGTERM → shard leases released in ${releasedMs} ms (bound ${RELEASE_BOUND_MS} ms)`];
      });
      assert.ok(scenarioOk(report), renderScenarioReport(report));
      assert.ok(releasedMs >= 0 && releasedMs <= RELEASE_BOUND_MS, `leases released after ${releasedMs} ms`);
    },
  );
});
