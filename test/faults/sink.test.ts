/**
 * The event sink down under load and back on the same address (its store kept): terminal rounds
 * cannot get their events confirmed and come back for them; once the sink is back every event is
 * delivered, each exactly once (the checker's event-duplicate and event-terminal invariants).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, sleep } from './harness.js';
import { renderScenarioReport, scenarioOk } from './report.js';

describe('faults: the event sink', { concurrency: 1 }, () => {
  test('event sink down for 20 s under load, then back', { timeout: 240_000 }, async () => {
    const report = await runScenario(
      { scenario: 'event-sink-down', replicas: 2, eventSinkStore: 'file' },
      async (fleet) => {
        const work = fleet.submitExamples({ count: 40, ratePerSecond: 4 });
        await sleep(3_000);
        await fleet.restartEventSink({ downMs: 20_000 });
        await work;
        const back = Date.now();
        await fleet.settle();
        const missing = await fleet.eventsDelivered(60_000);
        return [
          `the sink keeps its events in a file store across the restart; ${missing} workflows without their terminal event ${((Date.now() - back) / 1000).toFixed(1)} s after it came back`,
        ];
      },
    );
    assert.ok(scenarioOk(report), renderScenarioReport(report));
    assert.ok(report.invariants.checked.includes('event-duplicate'));
  });
});
