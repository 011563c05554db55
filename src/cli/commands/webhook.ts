/**
 * `flotilla webhook`: the admission webhook (shard label on create, Workflow validation, and with
 * `--fence` the shard-epoch fence on status writes and Pod creates). Prints
 * `webhook listening on https://HOST:PORT (metrics http://HOST:PORT)` on stdout once serving;
 * stops cleanly on SIGINT / SIGTERM.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { untilStopSignal } from '../stop-signal.js';

interface WebhookFlags {
  host: string;
  port: string;
  metricsHost: string;
  metricsPort: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsSecret?: string;
  kubeconfig?: string;
  context?: string;
  shards: string;
  reloadInterval: string;
  logLevel: string;
  fence?: boolean;
  fleetNamespace: string;
}

function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be an integer ${min}-${max}, got ${value}`, ExitCode.usage);
  return n;
}

export function register(program: Command): void {
  program
    .command('webhook')
    .description(
      'Run the admission webhook: /mutate-workflows sets the shard label, /validate-workflows rejects invalid Workflows, /fence (--fence) refuses writes of a replica that lost the shard',
    )
    .option('--host <addr>', 'HTTPS bind address', '127.0.0.1')
    .option('--port <n>', 'HTTPS port (0 = any free port)', '9443')
    .option('--metrics-host <addr>', 'bind address of /metrics and /healthz (plain HTTP)', '127.0.0.1')
    .option('--metrics-port <n>', 'port of /metrics and /healthz (0 = any free port)', '9444')
    .option('--tls-cert-file <file>', 'serving certificate (PEM); re-read when it changes')
    .option('--tls-key-file <file>', 'serving key (PEM); re-read when it changes')
    .option('--tls-secret <ns/name>', 'read tls.crt and tls.key from this Secret instead (re-read when it changes)')
    .option(
      '--kubeconfig <file>',
      'kubeconfig for --tls-secret and for reading the Secrets task pods ask for (default: $KUBECONFIG, in-cluster, ./.flotilla/kubeconfig, ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--shards <n>', 'shard count of the fleet (the hash modulus)', '32')
    .option('--reload-interval <ms>', 'how often the certificate is checked for changes', '2000')
    .option(
      '--fence',
      'also serve /fence: refuse Workflow status writes and Pod creates whose shard epoch is older than the shard lease (reads leases with the kubeconfig)',
    )
    .option('--fleet-namespace <ns>', 'where the shard leases live (with --fence)', 'flotilla-system')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: WebhookFlags) => {
      const port = intFlag('port', flags.port, 0, 65535);
      const metricsPort = intFlag('metrics-port', flags.metricsPort, 0, 65535);
      const shardCount = intFlag('shards', flags.shards, 1, 4096);
      const reloadIntervalMs = intFlag('reload-interval', flags.reloadInterval, 100, 3_600_000);
      const files = flags.tlsCertFile !== undefined || flags.tlsKeyFile !== undefined;
      if (files === (flags.tlsSecret !== undefined))
        throw new CliError('give either --tls-cert-file and --tls-key-file, or --tls-secret ns/name', ExitCode.usage);
      const { FileTlsSource, SecretTlsSource } = await import('../../webhook/tls-source.js');
      let tls;
      if (flags.tlsSecret !== undefined) {
        const [ns, name, ...rest] = flags.tlsSecret.split('/');
        if (ns === undefined || ns === '' || name === undefined || name === '' || rest.length > 0)
          throw new CliError(`--tls-secret must be ns/name, got ${flags.tlsSecret}`, ExitCode.usage);
        const { kubeConfigFromFlags } = await import('../kubeconfig.js');
        tls = new SecretTlsSource(kubeConfigFromFlags(flags), ns, name);
      } else {
        if (flags.tlsCertFile === undefined || flags.tlsKeyFile === undefined)
          throw new CliError('--tls-cert-file and --tls-key-file go together', ExitCode.usage);
        tls = new FileTlsSource(flags.tlsCertFile, flags.tlsKeyFile);
      }
      let fence;
      if (flags.fence === true) {
        const { kubeConfigFromFlags } = await import('../kubeconfig.js');
        const { LeaseClient } = await import('../../../shard-manager/leases/lease-client.js');
        const { LeaseEpochs } = await import('../../webhook/fence.js');
        const { PooledKubeConfig } = await import('../../kube/keepalive.js');
        // Kept-alive connections: a lease read per admitted write must not pay a TLS handshake.
        const kubeConfig = new PooledKubeConfig(kubeConfigFromFlags(flags), 16);
        fence = new LeaseEpochs(new LeaseClient(kubeConfig, flags.fleetNamespace));
      }
      const { pino } = await import('pino');
      const { startWebhookServer } = await import('../../webhook/server.js');
      const logger = pino({ name: 'flotilla-webhook', level: flags.logLevel }, pino.destination(2));
      // Secrets of task pods (/mutate-pods) are looked up through the API; without a kubeconfig such
      // pods are refused with a message saying so, the Workflow paths still serve.
      let secrets;
      try {
        const { kubeConfigFromFlags } = await import('../kubeconfig.js');
        const { KubeSecretKeyReader } = await import('../../webhook/secret-reader.js');
        secrets = new KubeSecretKeyReader(kubeConfigFromFlags(flags));
      } catch (error) {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'no kubeconfig: pods asking for secrets will be refused',
        );
      }
      let server;
      try {
        server = await startWebhookServer({
          tls,
          host: flags.host,
          port,
          metricsHost: flags.metricsHost,
          metricsPort,
          shardCount,
          reloadIntervalMs,
          processMetrics: true,
          ...(secrets ? { secrets } : {}),
          logger,
          ...(fence ? { fence } : {}),
        });
      } catch (cause) {
        throw new CliError(
          `cannot start the webhook: ${cause instanceof Error ? cause.message : String(cause)}${cause instanceof Error && cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}`,
          ExitCode.failed,
          { cause },
        );
      }
      process.stdout.write(`webhook listening on ${server.url} (metrics ${server.metricsUrl})\n`);
      await untilStopSignal();
      await server.stop();
    });
}
