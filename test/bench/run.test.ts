/**
 * The benchmarks must not rot: run the real runner as a process (quick mode, one repeat, the
 * a few cheap suites plus one skipped with --skip) and check every figure made it into the JSON,
 * the Markdown and the SVG. No timing assertions: only that the figures exist and are sane.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from '../../bench/model.js';

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench -- --quick (smoke)', () => {
  let dir: string;
  let report: BenchReport;
  let markdown: string;
  let svg: string;
  let stdout: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-test-'));
    const result = await runBench([
      '--quick',
      '--only',
      'core,queue,peer,memory',
      '--skip',
      'memory',
      '--repeats',
      '1',
      '--out',
      dir,
      '--name',
      'smoke',
    ]);
    assert.equal(result.code, 0, `bench exited ${String(result.code)}: ${result.stderr.slice(-2000)}`);
    stdout = result.stdout;
    const files = readdirSync(dir).sort();
    const base = files.find((f) => f.endsWith('-smoke.json'))?.replace(/\.json$/, '');
    assert.ok(base, `no result file in ${files.join(', ')}`);
    assert.match(base, /^\d{4}-\d{2}-\d{2}-smoke$/);
    assert.deepEqual(files, [`${base}.json`, `${base}.md`, `${base}.svg`]);
    report = JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) as BenchReport;
    markdown = readFileSync(join(dir, `${base}.md`), 'utf8');
    svg = readFileSync(join(dir, `${base}.svg`), 'utf8');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the report names the machine and the run', () => {
    assert.equal(report.formatVersion, 1);
    assert.equal(report.mode, 'quick');
    assert.equal(report.repeats, 1);
    assert.deepEqual(report.only, ['core', 'queue', 'peer', 'memory']);
    assert.ok(report.machine.cores >= 1);
    assert.match(report.machine.node, /^v\d+/);
    assert.match(report.machine.redis, /^\d+\.\d+/);
    assert.match(report.machine.packages['bullmq'] ?? '', /^\d+\.\d+\.\d+/);
  });

  test('every suite asked for ran; the skipped one is reported not run, with the reason', () => {
    assert.deepEqual(
      report.suites.map((s) => [s.name, s.status]),
      [
        ['core', 'ok'],
        ['queue', 'ok'],
        ['peer', 'ok'],
        ['memory', 'not-run'],
      ],
    );
    assert.equal(report.suites[3]?.reason, 'skipped (--skip)');
  });

  test('the figures are there, finite, with min ≤ median ≤ max', () => {
    const ids = new Set(report.figures.map((f) => f.id));
    for (const id of [
      'core.dag10.roundsPerSecond',
      'core.dag100.roundsPerSecond',
      'core.array.msPerRound',
      'core.array.statusBytesMidRun',
      'core.roundCost.100.usPerRound',
      'queue.flotilla.1.jobsPerSecond',
      'queue.flotilla.32.jobsPerSecond',
      'queue.bullmq.1.jobsPerSecond',
      'queue.flotilla.1.commandsPerJob',
      'queue.flotilla.1.redisCpuUsPerJob',
      'queue.ceiling.set.p1.opsPerSecond',
      'queue.ceiling.eval.p16.opsPerSecond',
      'peer.flowproducer.workflowsPerSecond',
      'peer.flowproducer.latencyP99Ms',
      'peer.engineQueue.workflowsPerSecond',
      'peer.engineQueue.latencyP50Ms',
    ])
      assert.ok(ids.has(id), `missing figure ${id}`);
    for (const f of report.figures) {
      assert.ok(Number.isFinite(f.median) && f.median >= 0, `${f.id} = ${f.median}`);
      assert.ok(f.min <= f.median && f.median <= f.max, `${f.id}: ${f.min} ≤ ${f.median} ≤ ${f.max}`);
    }
    const byId = new Map(report.figures.map((f) => [f.id, f]));
    // Every FlowProducer workflow is 5 jobs; ours finishes a 5-node chain of instant tasks in one round.
    assert.equal(byId.get('peer.flowproducer.jobsPerWorkflow')?.median, 5);
    assert.equal(byId.get('peer.engineQueue.jobsPerWorkflow')?.median, 1);
    assert.ok(
      (byId.get('queue.flotilla.1.scriptsPerJob')?.median ?? 0) >= 1.95,
      'a job costs an add and a finish script',
    );
  });

  test('ratios to the peer and to the Redis ceiling are computed and paired', () => {
    const ratios = new Map(report.ratios.map((r) => [r.id, r]));
    for (const id of [
      'peer.engineQueue/flowproducer',
      'queue.flotilla.1/ceiling',
      'queue.flotilla.1/bullmq',
      'queue.flotilla.32/ceiling',
    ]) {
      const r = ratios.get(id);
      assert.ok(r, `missing ratio ${id}`);
      assert.equal(r.paired, true);
      assert.ok(r.median > 0 && Number.isFinite(r.median));
    }
    assert.ok(!ratios.has('fleet.r1/flowproducer'), 'no fleet ratio without a fleet figure');
  });

  test('the Markdown table and the SVG chart are written', () => {
    assert.match(markdown, /^# flotilla benchmarks: smoke/);
    assert.match(markdown, /\| suite \| figure \| median \| min \| max \| unit \| ratio \|/);
    assert.match(markdown, /engine\+queue in-process ÷ FlowProducer/);
    assert.match(markdown, /\| memory \| .* \| not run \|/);
    assert.ok(stdout.includes('| suite | figure |'), 'the table is printed too');
    assert.match(svg, /^<\?xml[^>]*\?>\n<svg /);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.ok((svg.match(/class="bar"/g) ?? []).length >= 6, 'bars for the peer, us and the queue variants');
    assert.match(svg, /fleet: not run/);
  });
});

describe('bench runner arguments', () => {
  test('an unknown suite is a usage error (exit 2) and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-test-'));
    try {
      const result = await runBench(['--only', 'core,nope', '--out', dir]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /unknown suite nope/);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown suite in --skip is a usage error (exit 2)', async () => {
    const result = await runBench(['--only', 'core', '--skip', 'nope']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown suite nope in --skip/);
  });

  test('an unknown option is a usage error (exit 2)', async () => {
    const result = await runBench(['--fast']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--fast'/);
  });
});
