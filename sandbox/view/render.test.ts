import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ViewState } from './model.js';
import { renderLine, renderView } from './render.js';
import { progressBar } from './progress.js';
import { inPlaceFrame } from './terminal.js';
import { sumMetric } from './collect.js';

function state(shards: number): ViewState {
  return {
    uptimeSeconds: 42.7,
    notes: [],
    manager: { leader: 'sandbox-manager', live: true },
    replicas: [
      { name: 'replica-1', process: 'up', pid: 101, live: true, shards: 2, roundsPerSecond: 12.25, restarts: 0 },
      { name: 'replica-2', process: 'down', pid: null, live: false, shards: 0, roundsPerSecond: null, restarts: 1 },
    ],
    shards: Array.from({ length: shards }, (_, i) => ({
      shard: String(i),
      owner: i % 2 === 0 ? 'replica-1' : null,
      moving: i === 1,
      workflows: i,
      queueDepth: 0,
    })),
    phases: { Succeeded: 7, Running: 2, Pending: 1 },
    submitted: 10,
    finished: 7,
    throughput: 1.5,
    events: [{ at: '2026-11-25T01:02:03.000Z', text: 'replica-2 died (SIGKILL)' }],
  };
}

describe('renderView', () => {
  test('few shards: replicas, shard table, phases in order with a progress bar, throughput, last events', () => {
    assert.equal(
      renderView(state(2)),
      [
        'flotilla sandbox · up 42s · manager: leader sandbox-manager',
        '',
        '┌───────────┬──────────────┬─────────┬────────┬──────────┬──────────┐',
        '│ replica   │ process      │ lease   │ shards │ rounds/s │ restarts │',
        '├───────────┼──────────────┼─────────┼────────┼──────────┼──────────┤',
        '│ replica-1 │ up (pid 101) │ live    │ 2      │ 12.3     │ 0        │',
        '│ replica-2 │ down         │ expired │ 0      │ -        │ 1        │',
        '└───────────┴──────────────┴─────────┴────────┴──────────┴──────────┘',
        '',
        '┌───────┬────────────┬───────────┬───────┐',
        '│ shard │ owner      │ workflows │ queue │',
        '├───────┼────────────┼───────────┼───────┤',
        '│ 0     │ replica-1  │ 0         │ 0     │',
        '│ 1     │ - (moving) │ 1         │ 0     │',
        '└───────┴────────────┴───────────┴───────┘',
        '',
        'workflows  Pending 1 · Running 2 · Succeeded 7',
        'finished   [#####################.........] 7/10 70%',
        'throughput 1.5 wf/s',
        '',
        'last events',
        '  01:02:03 replica-2 died (SIGKILL)',
      ].join('\n'),
    );
    const text = renderView(state(2));
    assert.match(text, /^flotilla sandbox · up 42s · manager: leader sandbox-manager$/m);
    assert.match(text, /│ replica-1 +│ up \(pid 101\) +│ live +│ 2 +│ 12\.3 +│ 0 +│/);
    assert.match(text, /│ replica-2 +│ down +│ expired +│ 0 +│ - +│ 1 +│/);
    assert.match(text, /│ 1 +│ - \(moving\) +│ 1 +│ 0 +│/);
    assert.match(text, /^workflows {2}Pending 1 · Running 2 · Succeeded 7$/m);
    assert.match(text, /^finished {3}\[#{21}\.{9}\] 7\/10 70%$/m);
    assert.match(text, /^throughput 1\.5 wf\/s$/m);
    assert.match(text, /^ {2}01:02:03 replica-2 died \(SIGKILL\)$/m);
    assert.ok(!text.includes('\x1b['), 'no colour codes in the rendered text');
  });

  test('many shards: a compact grid that fits the width', () => {
    const text = renderView(state(32), { width: 80 });
    assert.match(text, /^shards \(shard:owner workflows\/queue, \* = moving\)$/m);
    const grid = text.split('\n').filter((l) => /^ +\d+:(r\d|-)/.test(l));
    assert.equal(grid.length, 8, 'four 18-column cells per 80-column row');
    for (const line of grid) assert.ok(line.length <= 80, line);
    assert.equal(grid[0], '  0:r1     0/0     1:-  *   1/0     2:r1     2/0     3:-      3/0');
  });

  test('notes say what is missing; an empty fleet still renders', () => {
    const text = renderView({
      ...state(0),
      notes: ['controller: not in this build yet'],
      replicas: [],
      manager: null,
      phases: {},
      submitted: 0,
      finished: 0,
      events: [],
    });
    assert.match(text, /manager: not running/);
    assert.match(text, /^! controller: not in this build yet$/m);
    assert.match(text, /^replicas: none running$/m);
    assert.match(text, /^shards: no shard leases yet$/m);
    assert.match(text, /^workflows {2}none yet$/m);
    assert.match(text, /\(none yet\)/);
  });

  test('one plain line for --no-ui and non-TTY output', () => {
    assert.equal(
      renderLine(state(4)),
      '[42s] replicas 1/2 up · shards 2/4 owned · finished 7/10 · 1.5 wf/s · Succeeded=7 Running=2 Pending=1',
    );
  });
});

describe('view helpers', () => {
  test('progress bar clamps and handles an empty total', () => {
    assert.equal(progressBar(0, 0, 10), '[..........] 0/0 0%');
    assert.equal(progressBar(5, 10, 10), '[#####.....] 5/10 50%');
    assert.equal(progressBar(12, 10, 4), '[####] 12/10 100%');
  });

  test('an in-place frame homes the cursor, clears each line end and the rest of the screen', () => {
    assert.equal(inPlaceFrame('a\nb'), '\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J');
  });

  test('sumMetric adds every sample of a metric, whatever its labels, and ignores longer names', () => {
    const text = [
      '# HELP flotilla_rounds_total Rounds run',
      '# TYPE flotilla_rounds_total counter',
      'flotilla_rounds_total{shard="1",result="ok"} 5',
      'flotilla_rounds_total{shard="2",result="error"} 2',
      'flotilla_rounds_total_extra 100',
    ].join('\n');
    assert.equal(sumMetric(text, 'flotilla_rounds_total'), 7);
    assert.equal(sumMetric(text, 'flotilla_missing'), null);
  });
});
