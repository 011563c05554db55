/** `flotilla example-agent`: runs the example notifier agent (examples/agent/notifier-agent.ts). */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';
import { untilStopSignal } from '../stop-signal.js';

interface ExampleAgentFlags {
  port: string;
  host: string;
  delayMs: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tokenFile?: string;
}

export function register(program: Command): void {
  program
    .command('example-agent')
    .description('Run the example notifier agent (gRPC flotilla.agent.v1.AgentService)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '8090')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--delay-ms <n>', 'how long a notification takes', '200')
    .option('--tls-cert <file>', 'server certificate (PEM); enables TLS')
    .option('--tls-key <file>', 'server private key (PEM)')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA (mutual TLS)')
    .option('--token-file <file>', 'require this bearer token')
    .action(async (flags: ExampleAgentFlags) => {
      const port = Number(flags.port);
      const delayMs = Number(flags.delayMs);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError(`invalid --port ${flags.port}`, ExitCode.usage);
      if (!Number.isFinite(delayMs) || delayMs < 0)
        throw new CliError(`invalid --delay-ms ${flags.delayMs}`, ExitCode.usage);
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
        throw new CliError('--tls-cert and --tls-key go together', ExitCode.usage);
      const { readPem, readTokenFile } = await import('../../security/grpc.js');
      const { startNotifierAgent } = await import('../../../examples/agent/notifier-agent.js');
      const security = {
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
      };
      const agent = await startNotifierAgent({ host: flags.host, port, delayMs, security });
      process.stdout.write(`example-agent listening on ${agent.address}\n`);
      await untilStopSignal();
      await agent.stop();
    });
}
