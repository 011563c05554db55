/**
 * Redis killed (SIGKILL) and restarted mid-run, with its data (append-only file) and without it.
 * Without its data every queue is empty: the replicas must notice the restart and re-enqueue
 * every workflow of their shards from their informers, or work waits forever.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: Redis killed and restarted', { concurrency: 1 }, () => {
  for (const wipe of [false, true]) {
    test(`SIGKILL Redis mid-run, restart ${wipe ? 'without' : 'with'} its data`, { timeout: 180_000 }, async () => {
      const report = await runScenario(
        { scenario: wipe ? 'redis-restart-empty' : 'redis-restart-with-data', replicas: 2 },
        async (fleet) => {
          const work = fleet.submitExamples({ count: 50, ratePerSecond: 4 });
          await sleep(6_000);
          await fleet.restartRedis({ wipe, downMs: 3_000 });
          await sleep(4_000);
          // A second outage while the first recovery is still under way.
          await fleet.restartRedis({ wipe, downMs: 1_000 });
          await work;
        },
      );
      assert.ok(scenarioOk(report), renderScenarioReport(report));
    });
  }
});
