/**
 * `flotilla console`: the web console (src/console) for the fleet and every workflow, read
 * through the kubeconfig (or the pod's service account) with watches. Prints
 * `console listening on URL` and the URL with its action token (`URL#token=...`) on stdout once
 * serving; stops cleanly on SIGINT / SIGTERM. Listens on loopback unless `--listen` says otherwise.
 */
import type { Command } from 'commander';
import type { BlobStore } from '../../storage/blob-store.js';
import { CliError, ExitCode } from '../exit.js';
import { addKubeFlags, type KubeconfigFlags } from '../kubeconfig.js';
import { untilStopSignal } from '../stop-signal.js';

interface ConsoleFlags extends KubeconfigFlags {
  listen: string;
  fleetNamespace: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  eventSink?: string;
  eventSinkTlsCa?: string;
  eventSinkTokenFile?: string;
  blobStore?: string;
}

export function register(program: Command): void {
  addKubeFlags(
    program
      .command('console')
      .description('Serve the web console: the fleet, the workflows, one workflow live (abort, approve, signal)')
      .option('--listen <host:port>', 'address to serve on (port 0 = any free port)', '127.0.0.1:8090')
      .option('--fleet-namespace <ns>', "namespace of the fleet's leases", 'flotilla-system')
      .option('--token-file <file>', 'the action token (first line) instead of a random one printed at start')
      .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
      .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
      .option('--event-sink <addr>', "execution-event sink host:port (the workflow page lists a workflow's events)")
      .option('--event-sink-tls-ca <file>', "CA of the event sink's certificate (enables TLS)")
      .option('--event-sink-token-file <file>', 'bearer token for the event sink')
      .option(
        '--blob-store <url>',
        "blob store of the fleet's offloaded node outputs, read when a node's panel opens: file:///dir or s3://bucket/prefix (env FLOTILLA_BLOB_STORE)",
        process.env.FLOTILLA_BLOB_STORE,
      ),
    { namespace: false },
  ).action(async (flags: ConsoleFlags) => {
    const { kubeConfigFromFlags } = await import('../kubeconfig.js');
    const { startConsole, parseListen } = await import('../../console/server.js');
    const { readPem, readTokenFile } = await import('../../security/grpc.js');
    try {
      parseListen(flags.listen);
    } catch (error) {
      throw new CliError(`invalid --listen: ${error instanceof Error ? error.message : String(error)}`, ExitCode.usage);
    }
    if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
      throw new CliError('--tls-cert and --tls-key go together', ExitCode.usage);
    if ((flags.eventSinkTlsCa || flags.eventSinkTokenFile) && !flags.eventSink)
      throw new CliError('--event-sink-tls-ca and --event-sink-token-file need --event-sink', ExitCode.usage);
    if (flags.eventSink && !/^\S+:\d+$/.test(flags.eventSink))
      throw new CliError(`invalid --event-sink ${JSON.stringify(flags.eventSink)}: expected HOST:PORT`, ExitCode.usage);
    let token: string | undefined;
    let tls: { certPem: string; keyPem: string } | undefined;
    let sinkSecurity: { tls?: { caPem: string }; token?: string };
    try {
      if (flags.tokenFile) token = readTokenFile(flags.tokenFile);
      if (flags.tlsCert && flags.tlsKey) tls = { certPem: readPem(flags.tlsCert), keyPem: readPem(flags.tlsKey) };
      sinkSecurity = {
        ...(flags.eventSinkTlsCa ? { tls: { caPem: readPem(flags.eventSinkTlsCa) } } : {}),
        ...(flags.eventSinkTokenFile ? { token: readTokenFile(flags.eventSinkTokenFile) } : {}),
      };
    } catch (error) {
      throw new CliError(
        `cannot read the token, TLS or event sink files: ${error instanceof Error ? error.message : String(error)}`,
        ExitCode.usage,
        { cause: error },
      );
    }
    let blobStore: BlobStore | undefined;
    if (flags.blobStore) {
      const { openBlobStore } = await import('../../storage/open.js');
      try {
        blobStore = await openBlobStore(flags.blobStore);
      } catch (error) {
        throw new CliError(
          `invalid --blob-store: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.usage,
          { cause: error },
        );
      }
    }
    const running = await startConsole({
      kubeConfig: kubeConfigFromFlags(flags),
      listen: flags.listen,
      fleetNamespace: flags.fleetNamespace,
      ...(token !== undefined ? { token } : {}),
      ...(tls ? { tls } : {}),
      ...(flags.eventSink ? { eventSink: { address: flags.eventSink, security: sinkSecurity } } : {}),
      ...(blobStore ? { blobStore } : {}),
    }).catch(async (error: unknown) => {
      await blobStore?.close();
      throw error;
    });
    process.stdout.write(`console listening on ${running.url}\n`);
    if (token === undefined)
      process.stdout.write(`open ${running.url}#token=${running.token} (the token allows actions)\n`);
    await untilStopSignal();
    await running.stop();
    await blobStore?.close();
  });
}
