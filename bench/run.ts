/**
 * The benchmark runner: `npm run bench [-- --quick] [--only core,queue] [--skip memory] [--repeats N]
 * [--out DIR] [--name NAME]`. Collects machine info, runs each suite with its repeats, and writes
 * `<out>/<YYYY-MM-DD>-<name>.json` (every figure as median with min/max, see model.ts),
 * `.md` (the Markdown table with ratios to the peer and to Redis's ceiling) and `.svg` (chart).
 * Defaults: full mode writes to `bench/results/` (committed reference results), quick mode to
 * `bench/results/tmp/` (ignored by git); the name is the mode.
 * Exit codes: 0 when every suite that could run ran; 1 when one failed; 2 for bad arguments.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo } from './machine.js';
import type { BenchReport, Figure, SuiteReport } from './model.js';
import { computeRatios, renderMarkdown, renderReportChart } from './report.js';
import { RATIOS, SUITES } from './suites.js';

export interface BenchRunOptions {
  /** About two minutes: fewer repeats, smaller sizes. @defaultValue false */
  quick?: boolean;
  /** Suites to run, by name. @defaultValue every suite */
  only?: string[];
  /** Suites reported "not run" (reason `skipped (--skip)`) instead of run. @defaultValue [] */
  skip?: string[];
  /** Repeats per figure. @defaultValue 5 (quick: 3) */
  repeats?: number;
  /** Output directory. @defaultValue 'bench/results' (quick: 'bench/results/tmp') */
  out?: string;
  /** Result name, the file name's suffix. @defaultValue the mode, 'full' or 'quick' */
  name?: string;
}

export interface BenchRunResult {
  report: BenchReport;
  files: { json: string; markdown: string; svg: string };
}

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
  readonly code = 'Usage' as const;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export async function runBench(options: BenchRunOptions = {}): Promise<BenchRunResult> {
  const quick = options.quick ?? false;
  const known = SUITES.map((s) => s.name);
  const only = options.only && options.only.length > 0 ? options.only : known;
  const unknown = only.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new BenchUsageError(`unknown suite ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const repeats = options.repeats ?? (quick ? 3 : 5);
  if (!Number.isInteger(repeats) || repeats < 1) throw new BenchUsageError(`--repeats must be a positive integer`);
  const mode = quick ? 'quick' : 'full';
  const name = options.name ?? mode;
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new BenchUsageError(`--name may hold letters, digits, '.', '_' and '-' only`);
  const out = resolve(options.out ?? (quick ? 'bench/results/tmp' : 'bench/results'));

  const started = new Date();
  const machine = machineInfo();
  log(
    `${mode} run "${name}" on ${machine.cpuModel} (${machine.cores} cores), load ${machine.loadAverage.join(' ')}; suites ${only.join(', ')}; ${repeats} repeats`,
  );

  const skip = options.skip ?? [];
  const unknownSkip = skip.filter((name) => !known.includes(name));
  if (unknownSkip.length > 0)
    throw new BenchUsageError(`unknown suite ${unknownSkip.join(', ')} in --skip (known: ${known.join(', ')})`);
  const unavailable = (s: (typeof SUITES)[number]): string | undefined =>
    skip.includes(s.name) ? 'skipped (--skip)' : s.unavailable();
  const selected = SUITES.filter((s) => only.includes(s.name));
  const runnable = selected.filter((s) => unavailable(s) === undefined);
  const needsRedis = runnable.some((s) => s.name === 'queue' || s.name === 'peer');
  const { RedisServer } = await import('../test/support/redis.js');
  const redis = needsRedis ? await RedisServer.start({ persist: false }) : undefined;
  const suites: SuiteReport[] = [];
  const figures: Figure[] = [];
  try {
    for (const suite of selected) {
      const reason = unavailable(suite);
      if (reason !== undefined) {
        log(`${suite.name}: not run: ${reason}`);
        suites.push({
          name: suite.name,
          title: suite.title,
          status: 'not-run',
          reason,
          durationSeconds: 0,
          parameters: {},
        });
        continue;
      }
      log(`${suite.name}: ${suite.title}`);
      const t0 = performance.now();
      try {
        const output = await suite.run({ quick, repeats, ...(redis ? { redisUrl: redis.url } : {}) });
        const durationSeconds = (performance.now() - t0) / 1000;
        suites.push({
          name: suite.name,
          title: suite.title,
          status: 'ok',
          durationSeconds,
          parameters: output.parameters,
          raw: output.raw,
          ...(output.markdown !== undefined ? { markdown: output.markdown } : {}),
        });
        for (const f of output.figures) figures.push({ ...f, suite: suite.name, id: `${suite.name}.${f.id}` });
        log(`${suite.name}: done in ${durationSeconds.toFixed(1)} s`);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        log(`${suite.name}: FAILED: ${reason}`);
        suites.push({
          name: suite.name,
          title: suite.title,
          status: 'failed',
          reason,
          durationSeconds: (performance.now() - t0) / 1000,
          parameters: {},
        });
      }
    }
  } finally {
    await redis?.stop();
  }

  const date = started.toISOString().slice(0, 10);
  const report: BenchReport = {
    formatVersion: 1,
    name,
    date,
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    mode,
    repeats,
    only,
    machine,
    suites,
    figures,
    ratios: computeRatios(figures, RATIOS),
  };
  mkdirSync(out, { recursive: true });
  const base = join(out, `${date}-${name}`);
  const files = { json: `${base}.json`, markdown: `${base}.md`, svg: `${base}.svg` };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.markdown, renderMarkdown(report));
  writeFileSync(files.svg, renderReportChart(report));
  log(`wrote ${files.json}, ${files.markdown}, ${files.svg} (${report.durationSeconds.toFixed(0)} s)`);
  return { report, files };
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        repeats: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        skip: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--quick] [--only ${SUITES.map((s) => s.name).join(',')}] [--skip SUITES] [--repeats N] [--out DIR] [--name NAME]\n`,
    );
    return 0;
  }
  const options: BenchRunOptions = { quick: values.quick };
  if (values.only !== undefined)
    options.only = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (values.skip !== undefined)
    options.skip = values.skip
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (values.repeats !== undefined) options.repeats = Number(values.repeats);
  if (values.out !== undefined) options.out = values.out;
  if (values.name !== undefined) options.name = values.name;
  try {
    const { report, files } = await runBench(options);
    process.stdout.write(`\n${readFileSync(files.markdown, 'utf8')}`);
    return report.suites.some((s) => s.status === 'failed') ? 1 : 0;
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
