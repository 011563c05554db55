/**
 * One replica cut off from one dependency while the other stays, through TCP proxies the test
 * controls on loopback (a cut drops bytes silently, as a partition does):
 * - API server only: the replica cannot renew its member lease, fences itself, and its shards move
 *   to the other replica; Redis stays reachable the whole time;
 * - Redis only: its leases stay renewed (it keeps its shards) but its queues cannot run; when the
 *   link comes back, every cached key is enqueued again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: one dependency cut off from one replica', { concurrency: 1 }, () => {
  test('API server only (Redis stays): 12 s', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'api-only-cut', replicas: 1 }, async (fleet) => {
      const cut = await fleet.addReplica({ proxied: true, quiet: true });
      const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
      await sleep(4_000);
      fleet.cutApi(cut, true);
      // Twice the lease duration: the replica fences itself and its shards move.
      await sleep(12_000);
      fleet.cutApi(cut, false);
      await work;
      return [`${cut} reached the API server through a proxy that was cut for 12 s (lease 6 s)`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });

  test('Redis only (the API server stays): 10 s', { timeout: 180_000 }, async () => {
    const report = await runScenario({ scenario: 'redis-only-cut', replicas: 1 }, async (fleet) => {
      const cut = await fleet.addReplica({ proxied: true, quiet: true });
      const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
      await sleep(4_000);
      fleet.cutRedis(cut, true);
      await sleep(10_000);
      fleet.cutRedis(cut, false);
      await work;
      return [`${cut} reached Redis through a proxy that was cut for 10 s`];
    });
    assert.ok(scenarioOk(report), renderScenarioReport(report));
  });
});
