/**
 * Redis's own ceiling on this machine, measured with `redis-benchmark` against the same server the
 * queue benchmarks use: plain commands and a one-command Lua script (the shape of BullMQ's work),
 * each with pipelining off (`-P 1`: one round trip per command, like a queue) and on (`-P 16`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface CeilingOptions {
  port: number;
  /** Requests per test. @defaultValue 100000 */
  requests?: number;
  /** Parallel client connections. @defaultValue 50 */
  clients?: number;
  /** Pipeline depths to measure. @defaultValue [1, 16] */
  pipelines?: number[];
}

export interface CeilingFigure {
  /** `SET`, `GET`, `LPUSH`, `RPOP`, or `EVAL` (a one-INCR Lua script, cached: EVALSHA-like). */
  test: string;
  pipeline: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The script of the EVAL test: one write, as small as a Lua call gets. */
const SCRIPT = "return redis.call('INCR', KEYS[1])";

/** Parses `redis-benchmark --csv` output: a header line, then one quoted line per test. */
export function parseCsv(output: string): Array<{ test: string; rps: number; p50: number; p99: number }> {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"'));
  const header = lines.shift();
  if (!header) return [];
  const columns = splitCsv(header);
  const at = (name: string) => columns.indexOf(name);
  return lines.map((line) => {
    const cells = splitCsv(line);
    return {
      test: cells[at('test')] ?? '',
      rps: Number(cells[at('rps')]),
      p50: Number(cells[at('p50_latency_ms')]),
      p99: Number(cells[at('p99_latency_ms')]),
    };
  });
}

function splitCsv(line: string): string[] {
  // Values are quoted and never contain `","` (the EVAL test name quotes its script in single quotes).
  return line.replace(/^"|"$/g, '').split('","');
}

async function redisBenchmark(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('redis-benchmark', args, { maxBuffer: 1 << 20, timeout: 120_000 });
  return stdout;
}

export async function measureCeiling(options: CeilingOptions): Promise<CeilingFigure[]> {
  const requests = options.requests ?? 100_000;
  const clients = options.clients ?? 50;
  const base = ['-h', '127.0.0.1', '-p', String(options.port), '-n', String(requests), '-c', String(clients), '--csv'];
  const out: CeilingFigure[] = [];
  for (const pipeline of options.pipelines ?? [1, 16]) {
    const plain = parseCsv(await redisBenchmark([...base, '-P', String(pipeline), '-t', 'set,get,lpush,rpop']));
    for (const row of plain)
      out.push({ test: row.test, pipeline, opsPerSecond: row.rps, p50Ms: row.p50, p99Ms: row.p99 });
    // redis-benchmark sends EVAL; Redis caches the script, so this is EVALSHA's cost plus the body.
    const script = parseCsv(
      await redisBenchmark([...base, '-P', String(pipeline), 'eval', SCRIPT, '1', 'bench:ceiling:counter']),
    );
    for (const row of script)
      out.push({ test: 'EVAL', pipeline, opsPerSecond: row.rps, p50Ms: row.p50, p99Ms: row.p99 });
  }
  return out;
}
