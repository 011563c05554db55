/**
 * `flotilla controller`: one replica of the fleet. Static shards with `--shards 0,1,5-7`, else lease
 * mode (membership and ownership through Leases in `--fleet-namespace`, with `--manager` also a
 * shard-manager candidate). In a cluster without `--kubeconfig` it uses the pod's service account.
 * Prints `controller <id> ready (metrics http://H:P)` on stdout once serving; SIGTERM / SIGINT stop
 * it gracefully (rounds in flight finish, bounded) and it exits 0.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Component } from '../../lifecycle/index.js';
import type { FleetContext } from '../../controller/process.js';
import { CliError, ExitCode } from '../exit.js';
import { CATALOG_OPTIONS, catalogSettingsFromFlags, type CatalogFlags } from '../catalog-flags.js';
import { REDIS_SECRET_OPTIONS, REDIS_URL_HELP, redisConfigFromFlags, type RedisFlags } from '../redis-flags.js';
import { addPodFlags, podOptionsOf, type PodFlags } from '../pod-flags.js';
import { ADMIN_OPTIONS, adminOptionsFromFlags, type AdminFlags } from '../admin-flags.js';

interface ControllerFlags extends RedisFlags, PodFlags, CatalogFlags, AdminFlags {
  kubeconfig?: string;
  context?: string;
  replicaId?: string;
  fleetNamespace: string;
  shardCount: string;
  strategy: string;
  namespaces?: string;
  shards?: string;
  manager?: boolean;
  concurrency: string;
  metricsHost: string;
  metricsPort: string;
  eventSink?: string;
  eventSinkTlsCa?: string;
  eventSinkTokenFile?: string;
  agent: string[];
  installCrd?: boolean;
  workflowTtl?: string;
  maxOutputBytes: string;
  logLevel: string;
  auditLog?: string;
  flyte?: boolean;
  blobStore?: string;
  installFlyteCrd?: boolean;
}

const GRACE_MS = 10_000;

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new CliError(`invalid ${flag} ${JSON.stringify(value)}: an integer from ${min} to ${max}`, ExitCode.usage);
  return n;
}

/** `0,1,5-7` → [0, 1, 5, 6, 7] (sorted, unique), each below `count`. */
export function parseShardList(text: string, count: number): number[] {
  const shards = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw new CliError(`invalid --shards ${JSON.stringify(text)}: use a list like 0,1,5-7`, ExitCode.usage);
    const from = Number(range[1]);
    const to = range[2] !== undefined ? Number(range[2]) : from;
    if (to < from) throw new CliError(`invalid --shards range ${part}`, ExitCode.usage);
    if (to >= count) throw new CliError(`--shards ${part}: shards go from 0 to ${count - 1}`, ExitCode.usage);
    for (let shard = from; shard <= to; shard++) shards.add(shard);
  }
  return [...shards].sort((a, b) => a - b);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const command = program
    .command('controller')
    .description('Run one controller replica (static --shards, or lease mode in a fleet)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: in-cluster service account)')
    .option(
      '--context <name>',
      'kubeconfig context (default: the current one; with --context the kubeconfig is found as by every command)',
    )
    .option('--redis <url>', `${REDIS_URL_HELP}; the shard queues`, process.env.FLOTILLA_REDIS_URL)
    .option('--replica-id <id>', "this replica's id (env POD_NAME, else the host name)", process.env.POD_NAME)
    .option(
      '--fleet-namespace <ns>',
      "namespace of the fleet's leases (env POD_NAMESPACE)",
      process.env.POD_NAMESPACE ?? 'flotilla-system',
    )
    .option('--shard-count <n>', 'hash shards of the fleet', '32')
    .option('--strategy <kind>', 'hash | namespace', 'hash')
    .option('--namespaces <list>', 'comma-separated namespaces (namespace strategy: one shard each)')
    .option('--shards <list>', 'run these shards statically, e.g. 0,1,5-7 (default: lease mode)')
    .option('--manager', 'also be a shard-manager candidate (lease mode)')
    .option('--concurrency <n>', 'rounds at once per shard', '8')
    .option('--metrics-host <host>', 'address of /metrics, /healthz, /readyz', '127.0.0.1')
    .option('--metrics-port <port>', 'port of /metrics (0 = any free port)', '9090')
    .option('--event-sink <addr>', 'execution-event sink host:port')
    .option('--event-sink-tls-ca <file>', "CA of the event sink's certificate (enables TLS)")
    .option('--event-sink-token-file <file>', 'bearer token for the event sink')
    .option('--agent <name=addr>', 'agent service address (repeatable)', collect, [])
    .option('--install-crd', 'create the Workflow CRD at start when missing')
    .option('--workflow-ttl <duration>', 'delete completed workflows this long after they finished (e.g. 24h)')
    .option('--max-output-bytes <n>', 'largest task outputs kept (JSON bytes); a task returning more fails', '1000000')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--audit-log <file>', 'append a JSON line before and after every round (ownership audit)')
    .option('--flyte', 'also run FlyteWorkflows (flyte.lyft.com/v1alpha1) on the same shards (hash strategy)')
    .option(
      '--blob-store <url>',
      "blob store of node data, shared by the fleet and the task pods: file:///dir or s3://bucket/prefix (env FLOTILLA_BLOB_STORE; required with --flyte); Workflows' offloaded outputs go there too instead of ConfigMaps",
      process.env.FLOTILLA_BLOB_STORE,
    )
    .option('--install-flyte-crd', 'create the FlyteWorkflow CRD at start when missing');
  addPodFlags(command);
  for (const [flag, help, fallback] of REDIS_SECRET_OPTIONS) command.option(flag, help, fallback);
  for (const [flag, help] of CATALOG_OPTIONS) command.option(flag, help);
  for (const [flag, help, fallback] of ADMIN_OPTIONS) command.option(flag, help, fallback);
  command.action(async (flags: ControllerFlags) => {
    const catalog = catalogSettingsFromFlags(flags);
    if (!flags.redis) throw new CliError('--redis URL (or FLOTILLA_REDIS_URL) is required', ExitCode.usage);
    const redis = redisConfigFromFlags(flags.redis, flags);
    if (flags.strategy !== 'hash' && flags.strategy !== 'namespace')
      throw new CliError(`invalid --strategy ${JSON.stringify(flags.strategy)}: hash or namespace`, ExitCode.usage);
    const namespaces = (flags.namespaces ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (flags.strategy === 'namespace' && namespaces.length === 0)
      throw new CliError('--strategy namespace needs --namespaces a,b,...', ExitCode.usage);
    const shardCount =
      flags.strategy === 'namespace' ? namespaces.length : integer('--shard-count', flags.shardCount, 1, 65536);
    const shards = flags.shards !== undefined ? parseShardList(flags.shards, shardCount) : undefined;
    if (shards && flags.manager) throw new CliError('--manager needs lease mode (drop --shards)', ExitCode.usage);
    if (flags.flyte && flags.strategy !== 'hash')
      throw new CliError(
        '--flyte needs --strategy hash (FlyteWorkflows are sharded by their shard-key)',
        ExitCode.usage,
      );
    if (flags.flyte && !flags.blobStore)
      throw new CliError(
        '--flyte needs --blob-store URL (or FLOTILLA_BLOB_STORE): the store the task pods and every replica share',
        ExitCode.usage,
      );
    const podOptions = podOptionsOf(flags);
    const admin = adminOptionsFromFlags(flags, flags.flyte === true);
    const concurrency = integer('--concurrency', flags.concurrency, 1, 1000);
    const metricsPort = integer('--metrics-port', flags.metricsPort, 0, 65535);
    const { parseDuration } = await import('../../api/duration.js');
    const maxOutputBytes = Number(flags.maxOutputBytes);
    if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes <= 0)
      throw new CliError(
        `invalid --max-output-bytes ${JSON.stringify(flags.maxOutputBytes)}: a whole number of bytes`,
        ExitCode.usage,
      );
    let workflowTtlMs: number | undefined;
    if (flags.workflowTtl !== undefined) {
      workflowTtlMs = parseDuration(flags.workflowTtl);
      if (workflowTtlMs === undefined)
        throw new CliError(
          `invalid --workflow-ttl ${JSON.stringify(flags.workflowTtl)}: a duration like 90s, 10m, 24h`,
          ExitCode.usage,
        );
    }
    const agents: Record<string, string> = {};
    for (const spec of flags.agent) {
      const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(\S+:\d+)$/.exec(spec);
      if (!match?.[1] || !match[2])
        throw new CliError(`invalid --agent ${JSON.stringify(spec)}: NAME=HOST:PORT`, ExitCode.usage);
      agents[match[1]] = match[2];
    }
    if ((flags.eventSinkTlsCa || flags.eventSinkTokenFile) && !flags.eventSink)
      throw new CliError('--event-sink-tls-ca and --event-sink-token-file need --event-sink', ExitCode.usage);
    const { pino } = await import('pino');
    const { traceLogFields } = await import('../../observability/tracing.js');
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(flags.logLevel))
      throw new CliError(`invalid --log-level ${flags.logLevel}: ${levels.join(', ')}`, ExitCode.usage);
    let security;
    if (flags.eventSink) {
      const { readPem, readTokenFile } = await import('../../security/grpc.js');
      try {
        security = {
          ...(flags.eventSinkTlsCa ? { tls: { caPem: readPem(flags.eventSinkTlsCa) } } : {}),
          ...(flags.eventSinkTokenFile ? { token: readTokenFile(flags.eventSinkTokenFile) } : {}),
        };
      } catch (error) {
        throw new CliError(
          `cannot read the event sink's CA or token file: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.usage,
          { cause: error },
        );
      }
    }
    const replicaId = flags.replicaId ?? hostname();
    const logger = pino(
      {
        level: flags.logLevel,
        base: { component: 'controller', replica: replicaId },
        redact: ['redisUrl', 'token', '*.token', 'authorization'],
        // trace_id and span_id of the active span on every line (tracing on: OTEL_* variables)
        mixin: traceLogFields,
      },
      pino.destination(2),
    );
    process.env.FLOTILLA_LOG_LEVEL ??= flags.logLevel;
    const { startControllerProcess } = await import('../../controller/process.js');
    // `--manager`: this process is also a shard-manager candidate, a component beside the replica
    // sharing its lease cache; the controller itself knows only the replica side of the fleet.
    let alongside: ((fleet: FleetContext) => readonly Component[]) | undefined;
    if (flags.manager) {
      const { ShardManagerCandidate } = await import('../../../shard-manager/manager/running.js');
      const { hashShardIds } = await import('../../../shard-manager/sharding/hash.js');
      alongside = (fleet) => [
        new ShardManagerCandidate({
          kubeConfig: fleet.kubeConfig,
          identity: fleet.replicaId,
          fleetNamespace: fleet.fleetNamespace,
          shards: hashShardIds(fleet.shardCount),
          shardCount: fleet.shardCount,
          source: fleet.leases,
          metrics: fleet.metrics,
          log: fleet.logger.child({ component: 'manager' }),
        }),
      ];
    }
    // Signals that arrive while starting stop the process right after the start.
    let signalled = false;
    let wake: () => void = () => undefined;
    const onSignal = () => {
      signalled = true;
      wake();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    let running;
    try {
      running = await startControllerProcess({
        kubeConfig: await kubeConfigSource(flags),
        redisUrl: flags.redis,
        redis,
        replicaId,
        fleetNamespace: flags.fleetNamespace,
        shardCount,
        strategy: flags.strategy,
        namespaces,
        shards: shards ? { static: shards } : { lease: true, ...(alongside ? { components: alongside } : {}) },
        concurrency,
        metricsHost: flags.metricsHost,
        metricsPort,
        ...(flags.eventSink ? { eventSink: { address: flags.eventSink, ...(security ? { security } : {}) } } : {}),
        agents,
        installCrd: flags.installCrd ?? false,
        ...(flags.flyte && flags.blobStore
          ? { flyte: { blobStoreUrl: flags.blobStore, ...(admin ? { admin } : {}) } }
          : {}),
        ...(flags.blobStore ? { outputBlobStoreUrl: flags.blobStore } : {}),
        installFlyteCrd: flags.installFlyteCrd ?? false,
        catalog,
        ...(workflowTtlMs !== undefined ? { workflowTtlMs } : {}),
        maxOutputBytes,
        ...(flags.auditLog ? { auditLog: flags.auditLog } : {}),
        ...podOptions,
        logger,
      });
    } catch (error) {
      throw new CliError(
        `controller failed to start: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.failed,
        { cause: error },
      );
    }
    process.stdout.write(`controller ${replicaId} ready (metrics ${running.metricsUrl})\n`);
    if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
    logger.info('stopping: no new rounds, rounds in flight finish');
    const failsafe = setTimeout(() => {
      process.stderr.write(`flotilla controller: graceful stop did not finish within ${GRACE_MS + 20_000} ms\n`);
      process.exit(ExitCode.failed);
    }, GRACE_MS + 20_000);
    failsafe.unref();
    await running.stop(GRACE_MS);
    logger.info('stopped');
    clearTimeout(failsafe);
    // Sockets of libraries that keep no handle to close (gRPC channels, agents) must not keep us up.
    process.exit(ExitCode.ok);
  });
}

/**
 * Without `--context`: `--kubeconfig`, else the pod's service account. With it: the kubeconfig
 * found as every command finds it (`src/cli/kubeconfig.ts`), switched to that context.
 */
async function kubeConfigSource(
  flags: Pick<ControllerFlags, 'kubeconfig' | 'context'>,
): Promise<{ file: string } | { yaml: string } | { inCluster: true }> {
  if (flags.context === undefined) return flags.kubeconfig ? { file: flags.kubeconfig } : { inCluster: true };
  const { kubeConfigFromFlags } = await import('../kubeconfig.js');
  return { yaml: kubeConfigFromFlags(flags).exportConfig() };
}
