/**
 * `flotilla sandbox`: starts the local sandbox (for now the embedded API server with its simulated
 * kubelet), prints what to try, and runs until Ctrl-C / SIGTERM or `--duration` seconds, then
 * stops everything in reverse order and exits 0.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';

interface SandboxFlags {
  port: string;
  host: string;
  stateDir: string;
  duration?: string;
  ui: boolean;
  kubelet: boolean;
}

function parseNumber(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new CliError(`invalid ${flag} ${value}`, ExitCode.usage);
  return n;
}

export function register(program: Command): void {
  program
    .command('sandbox')
    .description('Run the local sandbox: the embedded API server with a simulated kubelet (Ctrl-C stops it)')
    .option('--port <n>', 'API server port (0 = any free port)', '0')
    .option('--host <addr>', 'API server address', '127.0.0.1')
    .option('--state-dir <dir>', 'where state and the kubeconfig go', '.flotilla')
    .option('--duration <seconds>', 'stop by itself after this many seconds')
    .option('--no-ui', 'print only the start banner (no live progress)')
    .option('--no-kubelet', 'do not run the simulated kubelet')
    .action(async (flags: SandboxFlags) => {
      const port = parseNumber('--port', flags.port, true);
      if (port > 65535) throw new CliError(`invalid --port ${flags.port}`, ExitCode.usage);
      const durationMs = flags.duration === undefined ? undefined : parseNumber('--duration', flags.duration, false) * 1000;
      const { startSandbox, sandboxBanner } = await import('../../sandbox/sandbox.js');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let sandbox;
      try {
        sandbox = await startSandbox({ port, host: flags.host, stateDir: flags.stateDir, kubelet: flags.kubelet });
      } catch (error) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        throw new CliError(`the sandbox did not start: ${error instanceof Error ? error.message : String(error)}`, ExitCode.failed, { cause: error });
      }
      process.stdout.write(sandboxBanner(sandbox));
      await new Promise<void>((resolve) => {
        const timer = durationMs === undefined ? undefined : setTimeout(resolve, durationMs);
        const done = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        if (stop.signal.aborted) done();
        else stop.signal.addEventListener('abort', done, { once: true });
      });
      process.stdout.write('stopping the sandbox...\n');
      await sandbox.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.write('sandbox stopped\n');
      process.exitCode = ExitCode.ok;
    });
}
