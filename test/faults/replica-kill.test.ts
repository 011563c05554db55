/**
 * Replicas dying under load: SIGKILL one replica mid-run, then two at once; SIGSTOP one beyond its
 * lease and SIGCONT it later. Every scenario checks all the invariants (see harness.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: replicas killed and paused', { concurrency: 1 }, () => {
  test('SIGKILL one replica, then two at once, mid-run', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'sigkill-replicas', replicas: 3 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 60, ratePerSecond: 4 });
      await sleep(5_000);
      const [first] = fleet.replicaNames();
      assert.ok(first);
      await fleet.killReplicas([first]);
      await sleep(3_000);
      await fleet.addReplica({ name: first });
      await sleep(5_000);
      const two = fleet.replicaNames().slice(0, 2);
      await fleet.killReplicas(two);
      await work;
      for (const name of two) await fleet.addReplica({ name });
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
    assert.equal(report.injected.filter((i) => i.what.startsWith('SIGKILL')).length, 2);
  });

  test('SIGSTOP a replica beyond its lease, SIGCONT it later', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'sigstop-replica', replicas: 2 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
      await sleep(4_000);
      const [victim] = fleet.replicaNames();
      assert.ok(victim);
      fleet.pauseReplica(victim);
      // The default lease is 6 s: well beyond it, the other replica has taken every shard.
      await sleep(15_000);
      fleet.resumeReplica(victim);
      await work;
      return [`${victim} was stopped for 15 s (lease 6 s)`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });
});
