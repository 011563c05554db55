/**
 * Redis past one server, under faults, checked by the invariants checker: a Redis Cluster master
 * SIGKILLed mid-run (its replica promoted), a slot migration mid-run (`redis-cli --cluster
 * reshard`), and a Sentinel master SIGKILLed mid-run. Every workflow ends in its expected phase, no
 * task starts twice, events stay unique (docs/redis.md: what asynchronous replication can lose is
 * re-created by the replicas' re-enqueue on reconnect).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: Redis Cluster and Sentinel', { concurrency: 1 }, () => {
  test('a Redis Cluster master SIGKILLed mid-run', { timeout: 180_000 }, async () => {
    const report = await runScenario(
      { scenario: 'redis-cluster-master-kill', replicas: 2, redisMode: 'cluster' },
      async (fleet) => {
        const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
        await sleep(5_000);
        await fleet.killClusterMaster(0);
        await work;
      },
    );
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });

  test('a slot migration mid-run (every slot of one master moves)', { timeout: 180_000 }, async () => {
    const report = await runScenario(
      { scenario: 'redis-cluster-reshard', replicas: 2, redisMode: 'cluster' },
      async (fleet) => {
        const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
        await sleep(4_000);
        await fleet.reshardCluster(0);
        await work;
      },
    );
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });

  test('a Sentinel master SIGKILLed mid-run', { timeout: 180_000 }, async () => {
    const report = await runScenario(
      { scenario: 'redis-sentinel-master-kill', replicas: 2, redisMode: 'sentinel' },
      async (fleet) => {
        const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
        await sleep(5_000);
        await fleet.sentinelFailover({ kill: true });
        await work;
      },
    );
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });
});
