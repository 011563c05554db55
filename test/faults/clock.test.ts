/**
 * Clocks that disagree. Replicas run under libfaketime (their wall clock only; the monotonic clock
 * is the machine's): one five minutes ahead and one five minutes behind the rest of the fleet,
 * killed and restarted mid-run, so shards move between replicas whose clocks are ten minutes apart;
 * and a replica whose wall clock is stepped five minutes back while it is frozen beyond its lease
 * (an NTP step), which by its wall clock would believe its last renewal fresh and act on shards it
 * has lost. Lease expiry is judged by the observer's own clock and a replica fences itself by a
 * clock that never steps (src/lifecycle/steady-clock.ts), so every invariant must hold.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: clock skew', { concurrency: 1 }, () => {
  test('replicas five minutes ahead and behind, killed mid-run', { timeout: 240_000 }, async () => {
    const report = await runScenario({ scenario: 'clock-skew', replicas: 1 }, async (fleet) => {
      const ahead = await fleet.addReplica({ clockOffsetSeconds: 300 });
      const behind = await fleet.addReplica({ clockOffsetSeconds: -300 });
      const work = fleet.submitExamples({ count: 50, ratePerSecond: 4 });
      await sleep(4_000);
      await fleet.killReplicas([ahead]);
      await sleep(3_000);
      await fleet.addReplica({ name: ahead });
      await sleep(4_000);
      await fleet.killReplicas([behind]);
      await sleep(3_000);
      await fleet.addReplica({ name: behind });
      await work;
      return [`${ahead} ran 300 s ahead and ${behind} 300 s behind the other replica, the manager and the API server`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });

  test(
    'a replica frozen beyond its lease wakes up with its wall clock stepped five minutes back',
    { timeout: 240_000 },
    async () => {
      const report = await runScenario({ scenario: 'clock-step-back', replicas: 1 }, async (fleet) => {
        const victim = await fleet.addReplica({ clockOffsetSeconds: 0 });
        const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
        await sleep(5_000);
        fleet.pauseReplica(victim);
        fleet.stepReplicaClock(victim, -300);
        // The default lease is 6 s: well beyond it, the other replica has taken every shard.
        await sleep(12_000);
        fleet.resumeReplica(victim);
        await work;
        return [`${victim} was frozen for 12 s (lease 6 s) and woke with its wall clock 300 s earlier`];
      });
      assert.ok(scenarioOk(report), renderScenarioReport(report));
    },
  );
});
