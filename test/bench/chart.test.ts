/** Unit tests of the report's pure parts: statistics, ratios, the Markdown table, the SVG chart, redis-benchmark CSV. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, niceMax, renderChart } from '../../bench/chart.js';
import type { BenchReport, Figure } from '../../bench/model.js';
import { parseCsv } from '../../bench/redis-ceiling.js';
import { costOf } from '../../bench/redis-stats.js';
import { computeRatios, renderMarkdown, renderReportChart } from '../../bench/report.js';
import { percentile, spread } from '../../bench/stats.js';

function figure(id: string, median: number, min: number, max: number, values?: number[]): Figure {
  return {
    id,
    suite: id.split('.')[0] as string,
    label: id,
    unit: 'x/s',
    better: 'higher',
    median,
    min,
    max,
    samples: values?.length ?? 3,
    ...(values ? { values } : {}),
  };
}

describe('stats', () => {
  test('spread is the median with min and max; percentile is nearest-rank', () => {
    assert.deepEqual(spread([5, 1, 3]), { median: 3, min: 1, max: 5 });
    assert.deepEqual(spread([4, 1, 3, 2]), { median: 2, min: 1, max: 4 });
    assert.ok(Number.isNaN(spread([]).median));
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 99), 99);
    assert.equal(percentile([7], 99), 7);
  });
});

describe('ratios', () => {
  test('paired per repeat when both figures carry samples of one length', () => {
    const [r] = computeRatios(
      [figure('a.x', 20, 10, 30, [10, 20, 30]), figure('b.y', 10, 5, 15, [5, 10, 15])],
      [{ id: 'a/b', label: 'a ÷ b', numerator: 'a.x', denominator: 'b.y' }],
    );
    assert.deepEqual(r && { paired: r.paired, median: r.median, min: r.min, max: r.max }, {
      paired: true,
      median: 2,
      min: 2,
      max: 2,
    });
  });

  test('unpaired: median ÷ median with the widest bounds; missing figures give no ratio', () => {
    const ratios = computeRatios(
      [figure('a.x', 20, 10, 30), figure('b.y', 10, 5, 20)],
      [
        { id: 'a/b', label: 'a ÷ b', numerator: 'a.x', denominator: 'b.y' },
        { id: 'c/b', label: 'c ÷ b', numerator: 'c.z', denominator: 'b.y' },
      ],
    );
    assert.equal(ratios.length, 1);
    assert.deepEqual(ratios[0] && [ratios[0].paired, ratios[0].median, ratios[0].min, ratios[0].max], [
      false,
      2,
      0.5,
      6,
    ]);
  });
});

function report(): BenchReport {
  const figures = [
    figure('peer.flowproducer.workflowsPerSecond', 400, 380, 420, [400, 380, 420]),
    figure('peer.engineQueue.workflowsPerSecond', 800, 700, 900, [800, 700, 900]),
  ];
  return {
    formatVersion: 1,
    name: 'unit',
    date: '2026-11-25',
    startedAt: '2026-11-25T00:00:00.000Z',
    durationSeconds: 12,
    mode: 'quick',
    repeats: 3,
    only: ['peer', 'fleet'],
    machine: {
      cpuModel: 'Test CPU',
      cores: 2,
      memoryGiB: 4,
      freeMemoryGiB: 2,
      loadAverage: [1, 1, 1],
      os: 'Linux',
      node: 'v20',
      redis: '7.0',
      packages: { bullmq: '5' },
      commit: 'abc',
    },
    suites: [
      { name: 'peer', title: 'Peer', status: 'ok', durationSeconds: 10, parameters: {} },
      {
        name: 'fleet',
        title: 'Fleet | replicas',
        status: 'not-run',
        reason: 'needs the fleet',
        durationSeconds: 0,
        parameters: {},
      },
    ],
    figures,
    ratios: computeRatios(figures, [
      {
        id: 'r',
        label: 'engine+queue ÷ FlowProducer',
        numerator: 'peer.engineQueue.workflowsPerSecond',
        denominator: 'peer.flowproducer.workflowsPerSecond',
      },
    ]),
  };
}

describe('markdown', () => {
  test('one row per figure, the ratio beside its numerator, not-run suites with their reason', () => {
    const md = renderMarkdown(report());
    const rows = md.split('\n').filter((l) => l.startsWith('| peer |') || l.startsWith('| fleet |'));
    assert.equal(rows.length, 3);
    assert.match(
      rows[1] ?? '',
      /\| 800 \| 700 \| 900 \| x\/s \| 2\.00× \(1\.84–2\.14\) engine\+queue ÷ FlowProducer \|/,
    );
    assert.match(rows[2] ?? '', /^\| fleet \| Fleet \\\| replicas \| not run \|.*needs the fleet \|$/);
    assert.match(md, /\| engine\+queue ÷ FlowProducer \| 2\.00 \| 1\.84 \| 2\.14 \| per repeat \|/);
  });
});

describe('svg chart', () => {
  test('bars for measured values, dashed slots for missing ones, escaped text', () => {
    const svg = renderChart([
      {
        title: 'A & <B>',
        unit: 'ops/s',
        series: ['s0', 's1'],
        bars: [
          { label: 'one', value: { median: 10, min: 8, max: 12 } },
          { label: 'two', series: 1, value: { median: 40, min: 30, max: 45 } },
          { label: 'three', note: 'not run: needs X' },
        ],
      },
    ]);
    assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/class="bar"/g) ?? []).length, 2);
    assert.equal((svg.match(/class="whisker"/g) ?? []).length, 2);
    assert.equal((svg.match(/class="missing"/g) ?? []).length, 1);
    assert.ok(svg.includes('A &amp; &lt;B&gt;'));
    assert.ok(svg.includes('not run: needs X'));
    assert.ok(!/NaN|undefined/.test(svg));
    // The tallest bar reaches the axis maximum's scale: 45 → axis 50, so bar two is 80 % of the plot.
    const heights = [...svg.matchAll(/class="bar" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"/g)].map((m) =>
      Number(m[1]),
    );
    assert.equal(heights.length, 2);
    assert.ok(Math.abs((heights[1] as number) / (heights[0] as number) - 4) < 0.01);
  });

  test('niceMax rounds up to 1, 2 or 5 × 10^k; escapeXml escapes all five', () => {
    assert.deepEqual([niceMax(0), niceMax(0.3), niceMax(45), niceMax(101), niceMax(4999)], [1, 0.5, 50, 200, 5000]);
    assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  test('the report chart has throughput, latency and queue panels, fleet slots marked not run', () => {
    const svg = renderReportChart(report());
    assert.ok(svg.includes('Workflows/s (5-node chains)'));
    assert.ok(svg.includes('Creation→completion latency'));
    assert.ok(svg.includes('Queue: no-op jobs/s'));
    assert.equal((svg.match(/class="bar"/g) ?? []).length, 2);
    assert.ok(svg.includes('fleet: not run'));
  });
});

describe('redis figures', () => {
  test('parses redis-benchmark --csv, including an EVAL test name with quotes inside', () => {
    const rows = parseCsv(
      [
        '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
        '"SET","136054.42","0.231","0.072","0.215","0.335","0.487","3.207"',
        `"eval return redis.call('INCR', KEYS[1]) 1 k","121212.12","0.275","0.080","0.271","0.391","0.631","3.223"`,
        '',
      ].join('\n'),
    );
    assert.deepEqual(rows, [
      { test: 'SET', rps: 136054.42, p50: 0.215, p99: 0.487 },
      { test: "eval return redis.call('INCR', KEYS[1]) 1 k", rps: 121212.12, p50: 0.271, p99: 0.631 },
    ]);
  });

  test('cost per job from two snapshots leaves the measuring commands out', () => {
    const cost = costOf(
      { calls: { evalsha: 10, hset: 5, info: 3 }, cpuSeconds: 1 },
      { calls: { evalsha: 30, hset: 15, info: 9, zadd: 10 }, cpuSeconds: 1.001 },
      10,
    );
    assert.equal(cost.commandsPerJob, 4);
    assert.equal(cost.scriptsPerJob, 2);
    assert.ok(Math.abs(cost.redisCpuUsPerJob - 100) < 1e-6);
    assert.deepEqual(
      cost.top.map((t) => t.command),
      ['evalsha', 'hset', 'zadd'],
    );
  });
});
