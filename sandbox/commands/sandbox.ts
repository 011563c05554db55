/**
 * `flotilla sandbox`: the whole fleet on one machine — the embedded API server (with its simulated
 * kubelet), Redis, the event sink, the example agent, the shard manager and N replicas as separate
 * processes; submits the examples, optionally generates load and chaos, shows live progress, and
 * stops everything it started, in reverse order, on Ctrl-C / SIGTERM or after `--duration`.
 * Exit 0 on Ctrl-C; after `--duration`, 0 only when every workflow reached its expected phase and
 * no invariant was violated (1 otherwise); 2 on bad flags. `--sample-memory` samples each replica's
 * RSS into `<state-dir>/memory.jsonl`; after `--duration` a replica whose memory grew beyond the
 * bound (memory.ts) also makes it exit 1.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../../src/cli/exit.js';
import type { SandboxRedisMode } from '../fleet.js';

// Spelled out here rather than imported: the command module stays light (fleet.ts loads ioredis).
const SANDBOX_REDIS_MODES: readonly SandboxRedisMode[] = ['single', 'cluster', 'sentinel'];

interface SandboxFlags {
  port: string;
  host: string;
  stateDir: string;
  duration?: string;
  ui: boolean;
  kubelet: boolean;
  replicas: string;
  shards: string;
  redis?: string;
  redisMode?: string;
  workflows: string;
  rate?: string;
  chaos: boolean;
  chaosSpare?: string;
  examples: boolean;
  fleet: boolean;
  settleTimeout: string;
  /** `true` when given without a value. */
  sampleMemory?: string | true;
  memoryBound?: string;
  flyte?: boolean;
  webhook: boolean;
}

function parseNumber(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new CliError(`invalid ${flag} ${value}`, ExitCode.usage);
  return n;
}

function parseRedisMode(flags: SandboxFlags): SandboxRedisMode | undefined {
  if (flags.redisMode === undefined) return undefined;
  const mode = SANDBOX_REDIS_MODES.find((m) => m === flags.redisMode);
  if (!mode)
    throw new CliError(
      `invalid --redis-mode ${flags.redisMode} (want ${SANDBOX_REDIS_MODES.join(', ')})`,
      ExitCode.usage,
    );
  if (flags.redis !== undefined)
    throw new CliError('--redis-mode starts a Redis; --redis uses a given one: give one of them', ExitCode.usage);
  if (!flags.fleet) throw new CliError('--redis-mode needs the fleet (drop --no-fleet)', ExitCode.usage);
  return mode;
}

/** `--chaos-spare`: replica names of this sandbox (`replica-1` … `replica-<replicas>`), with `--chaos`. */
function parseChaosSpare(flags: SandboxFlags, replicas: number): string[] | undefined {
  if (flags.chaosSpare === undefined) return undefined;
  if (!flags.chaos) throw new CliError('--chaos-spare needs --chaos', ExitCode.usage);
  const names = flags.chaosSpare.split(',').map((name) => name.trim());
  for (const name of names) {
    const index = /^replica-(\d+)$/.exec(name)?.[1];
    if (index === undefined || Number(index) < 1 || Number(index) > replicas)
      throw new CliError(
        `invalid --chaos-spare ${JSON.stringify(name)}: this sandbox's replicas are replica-1 … replica-${replicas}`,
        ExitCode.usage,
      );
  }
  if (names.length >= replicas)
    throw new CliError(
      `--chaos-spare spares all ${replicas} replicas: chaos would have nothing to kill`,
      ExitCode.usage,
    );
  return names;
}

export function register(program: Command): void {
  program
    .command('sandbox')
    .description(
      'Run the whole fleet locally: API server, Redis, event sink, shard manager and replicas (Ctrl-C stops it)',
    )
    .option('--port <n>', 'API server port (0 = any free port)', '0')
    .option('--host <addr>', 'API server address', '127.0.0.1')
    .option('--state-dir <dir>', 'where state, logs, the kubeconfig and sandbox.json go', '.flotilla')
    .option('--replicas <n>', 'controller replicas to run', '3')
    .option('--shards <n>', 'hash shards of the fleet', '16')
    .option('--redis <url>', 'use this Redis instead of starting one')
    .option(
      '--redis-mode <mode>',
      'the Redis to start: single, cluster (3 masters, 3 replicas) or sentinel (1 master, 2 replicas, 3 sentinels)',
    )
    .option('--workflows <k>', 'generate K load workflows (a mix of the examples that succeed)', '0')
    .option('--rate <perSecond>', 'load submissions per second (default: K over half the duration, else 5)')
    .option('--chaos', 'now and then SIGKILL a random replica (it is restarted)', false)
    .option(
      '--chaos-spare <replicas>',
      'with --chaos: replicas never killed, comma-separated (replica-1 is the first); one spared replica lives through a soak, so its memory is judged per process',
    )
    .option(
      '--duration <seconds>',
      'stop by itself after this many seconds, wait for the workflows and print a summary',
    )
    .option('--settle-timeout <seconds>', 'after --duration, wait at most this long for submitted workflows', '120')
    .option(
      '--sample-memory [seconds]',
      "sample each replica's RSS every this many seconds (default 5) into <state-dir>/memory.jsonl; after --duration the summary judges its growth and a broken bound exits 1",
    )
    .option(
      '--memory-bound <MiB>',
      'growth (MiB, after the warm-up) that breaks the bound, with a ratio over 1.5 (default 64); implies --sample-memory',
    )
    .option('--no-ui', 'no live view (plain lines only for events, then the summary)')
    .option('--no-examples', 'do not submit examples/*.yaml')
    .option('--no-fleet', 'run the API server only (no Redis, sink, manager or replicas)')
    .option('--no-kubelet', 'do not run the simulated kubelet')
    .option(
      '--no-webhook',
      'do not run the admission webhook (invalid Workflows are then admitted and failed by a replica)',
    )
    .option(
      '--flyte',
      "also run FlyteWorkflows: install their CRD, a file:// blob store under <state-dir>/blobs for the replicas and the kubelet's pyflyte-execute stand-in",
      false,
    )
    .action(async (flags: SandboxFlags) => {
      const port = parseNumber('--port', flags.port, true);
      if (port > 65535) throw new CliError(`invalid --port ${flags.port}`, ExitCode.usage);
      const durationMs =
        flags.duration === undefined ? undefined : parseNumber('--duration', flags.duration, false) * 1000;
      const replicas = parseNumber('--replicas', flags.replicas, true);
      const shardCount = parseNumber('--shards', flags.shards, true);
      if (shardCount < 1) throw new CliError(`invalid --shards ${flags.shards}`, ExitCode.usage);
      const redisMode = parseRedisMode(flags);
      const chaosSpare = parseChaosSpare(flags, replicas);
      const workflows = parseNumber('--workflows', flags.workflows, true);
      const ratePerSecond = flags.rate === undefined ? undefined : parseNumber('--rate', flags.rate, false);
      const settleTimeoutMs = parseNumber('--settle-timeout', flags.settleTimeout, false) * 1000;
      const sampleSeconds =
        typeof flags.sampleMemory === 'string' ? parseNumber('--sample-memory', flags.sampleMemory, false) : 5;
      if (sampleSeconds < 0.1)
        throw new CliError(
          `invalid --sample-memory ${String(flags.sampleMemory)} (at least 0.1 seconds)`,
          ExitCode.usage,
        );
      const maxGrowthMiB =
        flags.memoryBound === undefined ? undefined : parseNumber('--memory-bound', flags.memoryBound, false);
      const memory =
        flags.sampleMemory !== undefined || maxGrowthMiB !== undefined
          ? { intervalMs: sampleSeconds * 1000, ...(maxGrowthMiB !== undefined ? { maxGrowthMiB } : {}) }
          : undefined;
      const { runSession } = await import('../session.js');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let code: number;
      try {
        code = await runSession({
          port,
          host: flags.host,
          stateDir: flags.stateDir,
          kubelet: flags.kubelet,
          webhook: flags.webhook,
          replicas,
          shardCount,
          workflows,
          chaos: flags.chaos,
          ...(chaosSpare ? { chaosSpare } : {}),
          fleet: flags.fleet,
          examples: flags.examples && flags.fleet,
          ui: flags.ui,
          tty: flags.ui && process.stdout.isTTY,
          settleTimeoutMs,
          signal: stop.signal,
          ...(flags.redis ? { redisUrl: flags.redis } : {}),
          ...(redisMode ? { redisMode } : {}),
          ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
          ...(durationMs !== undefined ? { durationMs } : {}),
          ...(memory ? { memory } : {}),
          ...(flags.flyte ? { flyte: true } : {}),
        });
      } catch (error) {
        throw new CliError(
          `the sandbox failed: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.failed,
          { cause: error },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      process.stdout.write('sandbox stopped\n');
      process.exitCode = code;
      // Everything it started is stopped by now; a handle some library left open must not keep the
      // sandbox (and the terminal or script waiting on it) alive.
      setTimeout(() => {
        process.stderr.write('sandbox: handles were still open 5 s after stopping; exiting anyway\n');
        process.exit(code);
      }, 5_000).unref();
    });
}
