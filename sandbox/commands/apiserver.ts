/** `flotilla apiserver`: the embedded Kubernetes-compatible API server alone. */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../../src/cli/exit.js';
import { untilStopSignal } from '../../src/cli/stop-signal.js';

interface ApiserverFlags {
  port: string;
  host: string;
  kubeconfigOut?: string;
  dataDir?: string;
  kubelet: boolean;
  token?: string;
}

export function register(program: Command): void {
  program
    .command('apiserver')
    .description('Run the embedded Kubernetes-compatible API server (HTTPS, bearer token) until SIGINT/SIGTERM')
    .option('--port <n>', 'TCP port (0 picks a free one)', '0')
    .option('--host <addr>', 'bind address', '127.0.0.1')
    .option('--kubeconfig-out <file>', 'write a kubeconfig for this server to FILE')
    .option('--data-dir <dir>', 'persist objects (and the CA and token) in DIR')
    .option('--no-kubelet', 'do not run the simulated kubelet')
    .option('--token <t>', 'bearer token (random when absent)')
    .action(async (flags: ApiserverFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new CliError(`--port must be an integer 0-65535, got ${flags.port}`, ExitCode.usage);
      const { startApiServer } = await import('../apiserver/index.js');
      let server;
      try {
        server = await startApiServer({
          port,
          host: flags.host,
          kubelet: flags.kubelet,
          ...(flags.kubeconfigOut !== undefined ? { kubeconfigOut: flags.kubeconfigOut } : {}),
          ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
          ...(flags.token !== undefined ? { token: flags.token } : {}),
        });
      } catch (cause) {
        throw new CliError(
          `cannot start the API server: ${cause instanceof Error ? cause.message : String(cause)}`,
          ExitCode.failed,
          { cause },
        );
      }
      process.stdout.write(`API server listening on ${server.url}\n`);
      if (flags.kubeconfigOut !== undefined) process.stdout.write(`kubeconfig written to ${flags.kubeconfigOut}\n`);
      await untilStopSignal();
      await server.stop();
      process.stdout.write('API server stopped\n');
    });
}
