/**
 * The shard manager's leader SIGKILLed while a rebalance is under way (a replica just joined and
 * shards are moving to it), and a new manager started: the handovers in flight complete or are
 * redone, no workflow is lost or run twice, and the newcomer ends up with shards.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseClient } from '../../shard-manager/leases/lease-client.js';
import { FLEET_NAMESPACE, runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: the shard manager', { concurrency: 1 }, () => {
  test('SIGKILL the manager leader mid-rebalance, then start a new one', { timeout: 180_000 }, async () => {
    let newcomerShards = 0;
    const report = await runScenario({ scenario: 'manager-kill-mid-rebalance', replicas: 2 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
      await sleep(3_000);
      const leases = new LeaseClient(fleet.kubeConfig, FLEET_NAMESPACE);
      const newcomer = await fleet.addReplica();
      // Mid-rebalance: the manager has begun assigning shards to the newcomer.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { leases: shards } = await leases.list('shard');
        if (shards.some((l) => l.annotations?.['flotilla.io/assigned-to'] === newcomer)) break;
        if (Date.now() > deadline) throw new Error(`no shard assigned to ${newcomer} within 30 s`);
        await sleep(20);
      }
      await fleet.killManager();
      await sleep(2_000);
      await fleet.startManager();
      await work;
      newcomerShards = (await leases.list('shard')).leases.filter((l) => l.holderIdentity === newcomer).length;
      return [`${newcomer} holds ${newcomerShards} shards after the new manager took over`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
    assert.ok(newcomerShards > 0, 'the rebalance completed under the new manager');
  });
});
