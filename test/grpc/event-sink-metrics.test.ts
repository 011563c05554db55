/**
 * The event sink's metrics are served: `flotilla event-sink --metrics-port 0` as a real process
 * answers `/metrics` with its own counters (by outcome, after real Record calls over gRPC) and the
 * standard process metrics, and `/healthz` / `/readyz`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventSinkClient, recordEvents } from '../../src/events/client.js';
import { startFlotilla, type FlotillaProcess } from '../support/fleet.js';
import { runEvents } from './events-fixtures.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('flotilla event-sink --metrics-port', () => {
  let sink: FlotillaProcess;
  let address = '';
  let metricsUrl = '';
  before(async () => {
    sink = await startFlotilla(
      ['event-sink', '--port', '0', '--store', 'memory', '--metrics-port', '0'],
      /listening on \S+ \(metrics http:\S+\)/,
    );
    const match = /listening on (\S+) \(metrics (http:\S+)\)/.exec(sink.stdout());
    address = match?.[1] ?? '';
    metricsUrl = match?.[2] ?? '';
  });
  after(async () => {
    const code = await sink?.stop();
    assert.equal(code, 0, sink?.stderr());
  });

  test('/metrics counts the events it handled by outcome', async () => {
    const client = createEventSinkClient(address);
    try {
      const events = runEvents('served', ['a', 'b']);
      await recordEvents(client, events);
      await recordEvents(client, events.slice(0, 2)); // the same ids again: duplicates
      const response = await fetch(`${metricsUrl}/metrics`);
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.equal(sample(text, 'flotilla_event_sink_events_total{outcome="stored"}'), events.length);
      assert.equal(sample(text, 'flotilla_event_sink_events_total{outcome="duplicate"}'), 2);
      assert.equal(sample(text, 'flotilla_event_sink_events_total{outcome="invalid"}'), 0);
      assert.equal(sample(text, 'flotilla_event_sink_record_duration_seconds_count'), 2);
      assert.match(text, /^process_resident_memory_bytes \d+/m);
      assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    } finally {
      client.close();
    }
  });

  test('/healthz and /readyz answer; the metrics port binds to loopback by default', async () => {
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${metricsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${metricsUrl}/readyz`)).status, 200);
  });

  test('a bad --metrics-port is a usage error', async () => {
    const bad = await startFlotilla(['event-sink', '--store', 'memory', '--metrics-port', 'x'], /never/, {
      timeoutMs: 20_000,
    }).catch((error: unknown) => error);
    assert.ok(bad instanceof Error);
    assert.match(bad.message, /exited with 2 before starting: [^]*invalid --metrics-port x/);
  });
});
