/**
 * Faults together, as a bad afternoon brings them: while work flows, a replica is SIGKILLed during
 * a 409 storm, every watch expires, Redis is killed and comes back with its data, and the API
 * server stops answering for a few seconds — overlapping, not one after another.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: together', () => {
  test('SIGKILL + 409 storm + 410 + Redis restart + a short partition, overlapping', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'combined', replicas: 3 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 60, ratePerSecond: 4 });
      await sleep(4_000);
      fleet.inject('409 on the next 40 workflow writes');
      fleet.apiFaults.conflicts({ resource: 'workflows.flotilla.io', count: 40 });
      const [victim] = fleet.replicaNames();
      assert.ok(victim);
      await fleet.killReplicas([victim]);
      fleet.inject('expire every watch (410 on resume)');
      fleet.apiFaults.expireWatches();
      const redis = fleet.restartRedis({ wipe: false, downMs: 2_000 });
      await sleep(1_000);
      fleet.inject('partition: no answers for 4 s');
      fleet.apiFaults.partition({ ms: 4_000 });
      await redis;
      await sleep(4_000);
      await fleet.addReplica({ name: victim });
      fleet.inject('expire every watch (410 on resume)');
      fleet.apiFaults.expireWatches();
      await work;
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });
});
