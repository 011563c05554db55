/**
 * `flotilla event-sink`: the EventSink gRPC server (and, with `--kubeconfig`, the SignalService
 * on the same port). Prints `event-sink listening on HOST:PORT` (with `--metrics-port`, then
 * ` (metrics http://HOST:PORT)`) on stdout once serving; stops
 * cleanly on SIGINT / SIGTERM.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { REDIS_SECRET_OPTIONS, REDIS_URL_HELP, redisConfigFromFlags, type RedisFlags } from '../redis-flags.js';
import { untilStopSignal } from '../stop-signal.js';

interface EventSinkFlags extends RedisFlags {
  port: string;
  host: string;
  store?: string;
  prefix?: string;
  redisPartitions?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tokenFile?: string;
  kubeconfig?: string;
  context?: string;
  maxMessageBytes?: string;
  metricsHost: string;
  metricsPort?: string;
  logLevel: string;
}

function parsePort(value: string, flag = '--port'): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`invalid ${flag} ${value}: an integer from 0 to 65535`, ExitCode.usage);
  return port;
}

export function register(program: Command): void {
  const command = program
    .command('event-sink')
    .description(
      'Run the execution-event sink (gRPC flotilla.events.v1.EventSink; with --kubeconfig also flotilla.signals.v1.SignalService)',
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', '8089')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--store <kind>', 'redis (default), memory, or file:PATH (memory persisted as JSON lines)')
    .option('--redis <url>', `${REDIS_URL_HELP}; the redis store`, process.env.FLOTILLA_REDIS_URL)
    .option('--prefix <prefix>', 'Redis key prefix (inside the hash tags)', 'flotilla:events')
    .option(
      '--redis-partitions <n>',
      "partitions of the redis store, one hash slot each (more than 1 spreads events over a Redis Cluster's masters)",
      process.env.FLOTILLA_EVENT_PARTITIONS ?? '1',
    )
    .option('--tls-cert <file>', 'server certificate (PEM); enables TLS')
    .option('--tls-key <file>', 'server private key (PEM)')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA (mutual TLS)')
    .option('--token-file <file>', 'require "authorization: Bearer <token>" with the token in this file')
    .option('--kubeconfig <file>', 'also serve the SignalService, writing Workflows through this kubeconfig')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--max-message-bytes <n>', 'largest message accepted or sent', String(4 * 1024 * 1024))
    .option('--metrics-host <addr>', 'address of /metrics, /healthz and /readyz (plain HTTP)', '127.0.0.1')
    .option(
      '--metrics-port <n>',
      'serve /metrics, /healthz and /readyz on this port (0 = any free port; default: not served)',
    )
    .option('--log-level <level>', 'pino log level', 'info');
  for (const [flag, help, fallback] of REDIS_SECRET_OPTIONS) command.option(flag, help, fallback);
  command.action(async (flags: EventSinkFlags) => {
    const { pino } = await import('pino');
    const { startEventSink, parseStoreSpec } = await import('../../events/sink/index.js');
    const { readPem, readTokenFile } = await import('../../security/grpc.js');
    if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
      throw new CliError('--tls-cert and --tls-key go together', ExitCode.usage);
    if (flags.tlsClientCa && !flags.tlsCert)
      throw new CliError('--tls-client-ca needs --tls-cert and --tls-key', ExitCode.usage);
    let store;
    try {
      store = parseStoreSpec(flags.store, flags.redis);
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.usage);
    }
    if (store.kind === 'redis') {
      const partitions = Number(flags.redisPartitions ?? '1');
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024)
        throw new CliError(
          `invalid --redis-partitions ${JSON.stringify(flags.redisPartitions)}: an integer from 1 to 1024`,
          ExitCode.usage,
        );
      store = {
        ...store,
        redis: redisConfigFromFlags(store.url, flags),
        partitions,
        ...(flags.prefix ? { prefix: flags.prefix } : {}),
      };
    }
    const metricsServer =
      flags.metricsPort === undefined
        ? undefined
        : { host: flags.metricsHost, port: parsePort(flags.metricsPort, '--metrics-port') };
    const maxMessageBytes = Number(flags.maxMessageBytes);
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes <= 0)
      throw new CliError(`invalid --max-message-bytes ${flags.maxMessageBytes}`, ExitCode.usage);
    let security;
    try {
      security = {
        ...(flags.tlsCert && flags.tlsKey
          ? {
              tls: {
                certPem: readPem(flags.tlsCert),
                keyPem: readPem(flags.tlsKey),
                ...(flags.tlsClientCa ? { clientCaPem: readPem(flags.tlsClientCa) } : {}),
              },
            }
          : {}),
        ...(flags.tokenFile ? { token: readTokenFile(flags.tokenFile) } : {}),
        maxMessageBytes,
      };
    } catch (error) {
      throw new CliError(
        `cannot read TLS or token files: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.usage,
        { cause: error },
      );
    }
    const { setupTracing, traceLogFields } = await import('../../observability/tracing.js');
    let tracing;
    try {
      // OTEL_* variables: spans of Record calls, children of the replicas' spans (trace context in gRPC metadata).
      tracing = await setupTracing({ serviceName: 'flotilla-event-sink' });
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.usage, { cause: error });
    }
    const logger = pino(
      { level: flags.logLevel, base: { component: 'event-sink' }, mixin: traceLogFields },
      pino.destination(2),
    );
    const extraServices = [];
    if (flags.kubeconfig) {
      const { signalService } = await import('../../signals/server.js');
      const { WorkflowSignals } = await import('../../signals/workflows.js');
      const { kubeConfigFromFlags } = await import('../kubeconfig.js');
      extraServices.push(signalService({ signals: new WorkflowSignals(kubeConfigFromFlags(flags)), logger }));
    }
    let sink;
    try {
      sink = await startEventSink({
        store,
        host: flags.host,
        port: parsePort(flags.port),
        security,
        extraServices,
        logger,
        ...(metricsServer ? { metricsServer } : {}),
      });
    } catch (error) {
      throw new CliError(
        `event sink failed to start: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.failed,
        { cause: error },
      );
    }
    process.stdout.write(
      `event-sink listening on ${sink.address}${sink.metricsUrl ? ` (metrics ${sink.metricsUrl})` : ''}\n`,
    );
    await untilStopSignal();
    await sink.stop();
    await tracing.shutdown();
  });
}
