/**
 * `flotilla manager`: the shard manager alone (DESIGN.md §4). It campaigns for the
 * `flotilla-manager` lease; while leading it keeps one lease per hash shard with its intended
 * owner and labels unlabelled Workflows. Serves `/metrics`, `/healthz`, `/readyz`; prints
 * `manager <id> started` on stdout once campaigning; SIGTERM / SIGINT release the manager lease
 * (a standby takes over at once) and exit 0.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';

interface ManagerFlags {
  kubeconfig?: string;
  context?: string;
  fleetNamespace: string;
  shardCount: string;
  identity: string;
  metricsHost: string;
  metricsPort: string;
  joinDelay: string;
  weighBy?: string;
  logLevel: string;
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliError(`invalid ${flag} ${value} (an integer in [${min}, ${max}])`, ExitCode.usage);
  return n;
}

export function register(program: Command): void {
  program
    .command('manager')
    .description('Run the shard manager alone (leader-elected; assigns shards to live replicas)')
    .option(
      '--kubeconfig <file>',
      'kubeconfig (default: $KUBECONFIG, in-cluster, ./.flotilla/kubeconfig, ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--fleet-namespace <ns>', "namespace of the fleet's leases", process.env.POD_NAMESPACE ?? 'flotilla-system')
    .option('--shard-count <n>', "hash shards (fixed for the fleet's life)", '32')
    .option('--identity <id>', "this candidate's identity on the manager lease", process.env.POD_NAME ?? hostname())
    .option('--metrics-host <addr>', 'address for /metrics, /healthz, /readyz', '127.0.0.1')
    .option('--metrics-port <n>', 'port for /metrics, /healthz, /readyz (0 = any free port)', '9091')
    .option('--join-delay <duration>', 'a replica gets shards only this long after it joined (e.g. 30s)', '0s')
    .option('--weigh-by <figure>', 'balance by published load: workflows | queueDepth (default: shard counts)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: ManagerFlags) => {
      const { pino } = await import('pino');
      const { parseDuration } = await import('../../api/duration.js');
      const { MAX_SHARD_COUNT, hashShardIds } = await import('../../../shard-manager/sharding/hash.js');
      const shardCount = integer(flags.shardCount, '--shard-count', 1, MAX_SHARD_COUNT);
      const metricsPort = integer(flags.metricsPort, '--metrics-port', 0, 65535);
      const joinDelayMs = parseDuration(flags.joinDelay);
      if (joinDelayMs === undefined) throw new CliError(`invalid --join-delay ${flags.joinDelay}`, ExitCode.usage);
      const weighBy = flags.weighBy;
      if (weighBy !== undefined && weighBy !== 'workflows' && weighBy !== 'queueDepth')
        throw new CliError(`invalid --weigh-by ${weighBy} (workflows | queueDepth)`, ExitCode.usage);
      if (!flags.identity) throw new CliError('--identity must not be empty', ExitCode.usage);

      const { kubeConfigFromFlags } = await import('../kubeconfig.js');
      const { traceLogFields } = await import('../../observability/tracing.js');
      const { PooledKubeConfig } = await import('../../kube/keepalive.js');

      const log = pino(
        { level: flags.logLevel, base: { component: 'manager', identity: flags.identity }, mixin: traceLogFields },
        pino.destination(2),
      );
      const { Metrics } = await import('../../observability/metrics.js');
      const { startObservabilityServer } = await import('../../observability/http.js');
      const { Lifecycle, component } = await import('../../lifecycle/index.js');
      const { LeaseInformer, leaseCacheComponent } = await import('../../../shard-manager/leases/lease-informer.js');
      const { ShardManagerCandidate } = await import('../../../shard-manager/manager/running.js');
      const metrics = new Metrics({ defaultLabels: { manager: flags.identity } });
      // One connection pool whose requests are counted (rest_client_*).
      const kubeConfig = new PooledKubeConfig(kubeConfigFromFlags(flags), 16, { requests: metrics.kubeClient });
      const leases = new LeaseInformer({ kubeConfig, namespace: flags.fleetNamespace });
      let http: Awaited<ReturnType<typeof startObservabilityServer>> | undefined;
      // Servers → caches → leases, stopped in reverse (the candidate releases the manager lease first).
      const lifecycle = new Lifecycle(
        [
          component({
            name: 'observability server',
            stage: 'server',
            start: async () => {
              http = await startObservabilityServer({
                metrics,
                host: flags.metricsHost,
                port: metricsPort,
                ready: () => lifecycle.ready(),
              });
            },
            stop: () => http?.stop(),
          }),
          leaseCacheComponent(leases),
          new ShardManagerCandidate({
            kubeConfig,
            identity: flags.identity,
            fleetNamespace: flags.fleetNamespace,
            shards: hashShardIds(shardCount),
            shardCount,
            source: leases,
            joinDelayMs,
            metrics,
            log,
            ...(weighBy ? { weighBy } : {}),
          }),
        ],
        { logger: log },
      );
      try {
        await lifecycle.start();
      } catch (error) {
        throw new CliError(
          `the shard manager failed to start: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.failed,
          { cause: error },
        );
      }
      log.info({ metrics: http?.url, fleetNamespace: flags.fleetNamespace, shardCount }, 'manager started');
      process.stdout.write(`manager ${flags.identity} started\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await lifecycle.stop().catch(() => undefined); // failures were logged with their component
      kubeConfig.close();
      log.info('manager stopped; lease released');
    });
}
