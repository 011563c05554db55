import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  heapUsedFromMetrics,
  judgeMemoryGrowth,
  median,
  MemorySampler,
  readRssBytes,
  renderMemoryReport,
  slope,
  type MemorySample,
} from './memory.js';

const MiB = 2 ** 20;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Samples every `stepS` seconds for `seconds`, RSS in MiB from `mib(t seconds)`. */
function series(
  replica: string,
  pid: number,
  seconds: number,
  mib: (t: number) => number,
  startS = 0,
  stepS = 5,
): MemorySample[] {
  const out: MemorySample[] = [];
  for (let t = 0; t <= seconds; t += stepS)
    out.push({ at: T0 + (startS + t) * 1000, replica, pid, rssBytes: Math.round(mib(t) * MiB) });
  return out;
}

/** A deterministic pseudo-random in [0, 1). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('judgeMemoryGrowth', () => {
  test('flat: ok, medians and peak reported, slope about zero', () => {
    const report = judgeMemoryGrowth(series('replica-1', 100, 600, () => 240));
    assert.equal(report.ok, true);
    const inc = report.replicas[0]?.incarnations[0];
    assert.ok(inc);
    assert.equal(inc.verdict, 'ok');
    assert.equal(inc.firstMedianMiB, 240);
    assert.equal(inc.lastMedianMiB, 240);
    assert.equal(inc.peakMiB, 240);
    assert.equal(inc.slopeMiBPerMin, 0);
    // warm-up: max(20% of 600 s, 60 s) = 120 s, so the samples from 120 s on are judged
    assert.equal(inc.judgedSamples, series('x', 1, 480, () => 0).length);
    assert.equal(report.judged, 1);
    assert.equal(report.tooShort, 0);
  });

  test('leak: 200 → 600 MiB over 10 minutes is a violation, with its slope', () => {
    const report = judgeMemoryGrowth(series('replica-2', 200, 600, (t) => 200 + (400 * t) / 600));
    assert.equal(report.ok, false);
    const inc = report.replicas[0]?.incarnations[0];
    assert.equal(inc?.verdict, 'grew');
    assert.ok(inc.slopeMiBPerMin !== null && Math.abs(inc.slopeMiBPerMin - 40) < 0.01, String(inc.slopeMiBPerMin));
    assert.ok((inc.lastMedianMiB ?? 0) - (inc.firstMedianMiB ?? 0) > 64);
    assert.equal(report.violations.length, 1);
    assert.match(report.violations[0] ?? '', /replica-2 \(pid 200\) RSS grew/);
  });

  test('noisy flat: ±40 MiB of noise around 240 MiB is no growth', () => {
    const r = rng(7);
    const report = judgeMemoryGrowth(series('replica-1', 100, 600, () => 240 + (r() - 0.5) * 80));
    assert.equal(report.replicas[0]?.incarnations[0]?.verdict, 'ok');
    assert.equal(report.ok, true);
  });

  test('growth must break both bounds: large ratio but few MiB, or many MiB but a small ratio, is ok', () => {
    const smallAbsolute = judgeMemoryGrowth(series('a', 1, 600, (t) => 20 + (60 * t) / 600));
    assert.equal(smallAbsolute.replicas[0]?.incarnations[0]?.verdict, 'ok');
    const smallRatio = judgeMemoryGrowth(series('a', 1, 600, (t) => 1000 + (200 * t) / 600));
    assert.equal(smallRatio.replicas[0]?.incarnations[0]?.verdict, 'ok');
    const tighter = judgeMemoryGrowth(
      series('a', 1, 600, (t) => 1000 + (200 * t) / 600),
      { maxGrowthMiB: 50, maxGrowthRatio: 1.05 },
    );
    assert.equal(tighter.replicas[0]?.incarnations[0]?.verdict, 'grew');
  });

  test('the warm-up is ignored: a ramp in the first minute is no growth', () => {
    const ramp = series('replica-1', 100, 200, (t) => (t < 60 ? 10 + 3.8 * t : 240));
    assert.equal(judgeMemoryGrowth(ramp).replicas[0]?.incarnations[0]?.verdict, 'ok');
    // the same samples judged without a warm-up would be growth
    assert.equal(
      judgeMemoryGrowth(ramp, { warmupMs: 0, warmupFraction: 0 }).replicas[0]?.incarnations[0]?.verdict,
      'grew',
    );
  });

  test('short: less than 90 s after the warm-up is too short to judge, not a violation', () => {
    const report = judgeMemoryGrowth(series('replica-1', 100, 140, (t) => 100 + 5 * t));
    const inc = report.replicas[0]?.incarnations[0];
    assert.equal(inc?.verdict, 'too-short');
    assert.equal(inc.firstMedianMiB, null);
    assert.equal(inc.peakMiB, 800);
    assert.equal(report.ok, true);
    assert.equal(report.judged, 0);
    assert.equal(report.tooShort, 1);
  });

  test('incarnations are kept apart by pid, in time order, whatever the input order', () => {
    const samples = [
      ...series('replica-1', 300, 40, () => 500, 60),
      ...series('replica-1', 100, 40, () => 200),
      ...series('replica-2', 200, 400, () => 250),
    ].reverse();
    const report = judgeMemoryGrowth(samples);
    assert.deepEqual(
      report.replicas.map((r) => r.replica),
      ['replica-1', 'replica-2'],
    );
    const r1 = report.replicas[0];
    assert.deepEqual(
      r1?.incarnations.map((i) => i.pid),
      [100, 300],
    );
    assert.equal(r1.peakMiB, 500);
    assert.deepEqual(
      r1.incarnations.map((i) => i.verdict),
      ['too-short', 'too-short'],
    );
    assert.equal(report.replicas[1]?.incarnations[0]?.verdict, 'ok');
    assert.equal(report.samples, samples.length);
  });

  test('across restarts: levels rising from incarnation to incarnation break the bound; flat levels do not', () => {
    const rising: MemorySample[] = [];
    const flat: MemorySample[] = [];
    for (let k = 0; k < 9; k++) {
      rising.push(...series('replica-1', 1000 + k, 45, () => 200 + 30 * k, k * 50));
      flat.push(...series('replica-2', 2000 + k, 45, (t) => 150 + t, k * 50));
    }
    const report = judgeMemoryGrowth([...rising, ...flat]);
    const [r1, r2] = report.replicas;
    assert.equal(r1?.acrossRestarts.verdict, 'grew');
    assert.equal(r1.acrossRestarts.levels, 9);
    assert.equal(
      r1.incarnations.every((i) => i.verdict === 'too-short'),
      true,
    );
    assert.equal(r2?.acrossRestarts.verdict, 'ok');
    assert.equal(report.ok, false);
    assert.deepEqual(report.violations, ['replica-1 RSS grew across 9 incarnations 230.0 → 410.0 MiB']);
  });

  test('fewer than three incarnations: across restarts is too short to judge', () => {
    const report = judgeMemoryGrowth([...series('r', 1, 30, () => 100), ...series('r', 2, 30, () => 900, 40)]);
    assert.equal(report.replicas[0]?.acrossRestarts.verdict, 'too-short');
    assert.equal(report.ok, true);
  });
});

describe('renderMemoryReport', () => {
  test('a line per replica, judged incarnations with medians, slope and heap, the short ones folded, a verdict', () => {
    const judged = series('replica-1', 4242, 600, (t) => 200 + (400 * t) / 600).map((s) => ({
      ...s,
      heapUsedBytes: 60 * MiB,
    }));
    const short = series('replica-2', 77, 40, () => 180);
    const lines = renderMemoryReport(judgeMemoryGrowth([...judged, ...short], {}, 5_000));
    const text = lines.join('\n');
    assert.match(
      lines[0] ?? '',
      /^ {2}memory +RSS of each replica sampled every 5 s · 130 samples · bound: growth > 64 MiB and > ×1\.5/,
    );
    assert.match(
      text,
      /replica-1 +1 incarnation\(s\) · peak 600\.0 MiB · across restarts: too few incarnations to judge \(1\)/,
    );
    assert.match(
      text,
      /pid 4242 +0:00–10:00 \(121 samples\) median \d+\.\d → \d+\.\d MiB · peak 600\.0 · slope \+40\.0 MiB\/min · heap 60\.0 → 60\.0 MiB +✗ grew beyond the bound/,
    );
    assert.match(text, /replica-2 +1 incarnation\(s\) · peak 180\.0 MiB/);
    assert.match(text, /1 incarnation\(s\) too short to judge \(9 samples, longest 40 s, RSS 180\.0–180\.0 MiB\)/);
    assert.match(text, /✗ memory replica-1 \(pid 4242\) RSS grew/);
    assert.match(
      lines[lines.length - 1] ?? '',
      /^ {2}memory verdict +1 bound\(s\) broken \(1 incarnation\(s\) judged, 1 too short to judge\)$/,
    );
  });

  test('nothing long enough: the verdict says so', () => {
    const lines = renderMemoryReport(
      judgeMemoryGrowth(
        series('replica-1', 1, 30, () => 100),
        {},
        2_000,
      ),
    );
    assert.match(
      lines[lines.length - 1] ?? '',
      /memory verdict +nothing long enough to judge \(0 incarnation\(s\) judged, 1 too short to judge\)/,
    );
  });

  test('no samples', () => {
    const lines = renderMemoryReport(judgeMemoryGrowth([]));
    assert.ok(lines.some((l) => l.includes('no samples')));
  });
});

describe('helpers', () => {
  test('median and slope', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
      2,
    );
    assert.equal(slope([{ x: 1, y: 1 }]), null);
  });

  test('heapUsedFromMetrics reads prom-client text with or without a prefix', () => {
    assert.equal(
      heapUsedFromMetrics(
        '# HELP flotilla_nodejs_heap_size_used_bytes x\n# TYPE flotilla_nodejs_heap_size_used_bytes gauge\nflotilla_nodejs_heap_size_used_bytes 12345678\n',
      ),
      12345678,
    );
    assert.equal(heapUsedFromMetrics('nodejs_heap_size_used_bytes 1.5e7\n'), 1.5e7);
    assert.equal(heapUsedFromMetrics('nodejs_heap_size_total_bytes 1\n'), undefined);
  });

  test('readRssBytes: this process from /proc, close to process.memoryUsage; a gone process is undefined', async () => {
    const rss = await readRssBytes(process.pid);
    assert.ok(rss !== undefined && rss > 10 * MiB, String(rss));
    const own = process.memoryUsage().rss;
    assert.ok(Math.abs(rss - own) < 0.5 * own, `${rss} vs ${own}`);
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid as number;
    await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(await readRssBytes(pid), undefined);
  });
});

describe('MemorySampler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-memory-'));
  let server: Server | undefined;
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('samples the targets every interval, RSS and heap from /metrics, and writes JSONL rows', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'flotilla_' });
    server = createServer((req, res) => {
      void registry.metrics().then((text) => res.writeHead(req.url === '/metrics' ? 200 : 404).end(text));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const jsonlPath = join(dir, 'memory.jsonl');
    let targets = [{ name: 'replica-1', pid: process.pid, metrics: `http://127.0.0.1:${port}` }];
    const sampler = new MemorySampler({ targets: () => targets, intervalMs: 100, jsonlPath });
    const stop = new AbortController();
    sampler.start(stop.signal);
    while (sampler.samples.length < 3) await new Promise((r) => setTimeout(r, 20));
    targets = [];
    await new Promise((r) => setTimeout(r, 250));
    await sampler.stop();
    const count = sampler.samples.length;
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(sampler.samples.length, count, 'no sample after stop');
    assert.ok(sampler.samples.every((s) => s.replica === 'replica-1' && s.pid === process.pid && s.rssBytes > 0));
    assert.ok(
      sampler.samples.some((s) => (s.heapUsedBytes ?? 0) > MiB),
      'heap read from /metrics',
    );
    const ats = sampler.samples.map((s) => s.at);
    assert.ok(
      ats.every((at, i) => i === 0 || at - (ats[i - 1] as number) >= 90),
      ats.join(','),
    );
    const rows = readFileSync(jsonlPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, count);
    assert.equal(rows[0]?.replica, 'replica-1');
    assert.equal(rows[0]?.pid, process.pid);
    assert.equal(typeof rows[0]?.rssBytes, 'number');
    assert.equal(typeof rows[0]?.elapsedS, 'number');
    assert.ok(!Number.isNaN(Date.parse(String(rows[0]?.time))));
    stop.abort();
  });
});
