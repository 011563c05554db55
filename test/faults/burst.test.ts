/**
 * A burst: Workflows created as fast as the API server takes them, with the fleet running. Every
 * one ends in its phase, none runs twice. The test creates `FLOTILLA_FAULT_BURST` Workflows
 * (default 400, so it stays within a few minutes on two loaded cores); the 5,000 is
 * `FLOTILLA_FAULT_BURST=5000 npm run test:only -- test/faults/burst` (settle time scales with it).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

const count = Number(process.env['FLOTILLA_FAULT_BURST'] ?? '400');

describe('faults: a burst of Workflows', { concurrency: 1 }, () => {
  test(`${count} Workflows created at once`, { timeout: 300_000 + count * 200 }, async () => {
    const report = await runScenario(
      { scenario: `burst-${count}`, replicas: 3, settleMs: 120_000 + count * 100 },
      async (fleet) => {
        const started = Date.now();
        // 16 clients creating at once, as a burst from many submitters would.
        const clients = 16;
        await Promise.all(
          Array.from({ length: clients }, (_, c) =>
            fleet.submitExamples({
              count: Math.floor(count / clients) + (c < count % clients ? 1 : 0),
              ratePerSecond: 100_000,
              prefix: `burst-${c}`,
            }),
          ),
        );
        const seconds = (Date.now() - started) / 1000;
        fleet.inject(`${count} Workflows created in ${seconds.toFixed(1)} s by 16 clients at once`);
        return [`${count} created in ${seconds.toFixed(1)} s`];
      },
    );
    assert.ok(scenarioOk(report), renderScenarioReport(report));
    assert.equal(report.submitted, count);
  });
});
