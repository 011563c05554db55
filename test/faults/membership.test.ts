/**
 * The fleet changing shape while work flows: a rolling restart of every replica (SIGTERM, wait,
 * start again under the same name, one after another), and scale-out then scale-in under load.
 * Planned stops hand shards over; nothing may be lost or run twice on the way.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: rolling restart and scaling', { concurrency: 1 }, () => {
  test('rolling restart of every replica while work flows', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'rolling-restart', replicas: 3 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 60, ratePerSecond: 3 });
      await sleep(3_000);
      for (const name of fleet.replicaNames()) {
        await fleet.restartReplica(name);
        await sleep(2_000);
      }
      await work;
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
    assert.equal(report.injected.filter((i) => i.what.startsWith('rolling restart')).length, 3);
  });

  test('scale out 1 → 3, then in 3 → 1, under load', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'scale-out-in', replicas: 1 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 60, ratePerSecond: 3 });
      await sleep(3_000);
      await fleet.addReplica();
      await fleet.addReplica();
      await sleep(6_000);
      const [, second, third] = fleet.replicaNames();
      assert.ok(second && third);
      await fleet.stopReplica(third);
      await sleep(3_000);
      await fleet.stopReplica(second);
      await work;
      return [`running at the end: ${fleet.replicaNames().join(', ')}`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });
});
