/**
 * The API server misbehaving: every watch expired (410) again and again, 409 storms on status
 * writes, a 10 s partition (requests hang, watches go silent), and a restart with its data
 * directory (connections cut, watch history gone).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: the API server', { concurrency: 1 }, () => {
  test('watches expired (410) and 409 storms on workflow writes', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'apiserver-410-409', replicas: 2 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 50, ratePerSecond: 4 });
      let expired = 0;
      for (let i = 0; i < 5; i++) {
        await sleep(2_000);
        fleet.inject('expire every watch (410 on resume)');
        expired += fleet.apiFaults.expireWatches();
        fleet.inject('409 on the next 30 workflow writes');
        fleet.apiFaults.conflicts({ resource: 'workflows.flotilla.io', count: 30 });
      }
      await work;
      return [`${expired} watches expired in all`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });

  test('a 10 s partition: requests hang, watches are silent', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'apiserver-partition', replicas: 2 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
      await sleep(5_000);
      fleet.inject('partition: no answers for 10 s');
      fleet.apiFaults.partition({ ms: 10_000 });
      await sleep(10_000);
      await work;
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });

  test('the API server restarted with its data directory', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'apiserver-restart', replicas: 2 }, async (fleet) => {
      const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
      await sleep(5_000);
      await fleet.restartApiServer({ downMs: 3_000 });
      await work;
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });
});
