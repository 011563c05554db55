/**
 * `flotilla signal [NAMESPACE/]WORKFLOW NAME VALUE`: sets a gate's signal (without NAMESPACE: `-n`,
 * else the kubeconfig context's namespace, else default).
 *
 * Without `--server` it patches the Workflow directly through the kubeconfig (`--kubeconfig`,
 * else KUBECONFIG / ~/.kube/config). With `--server` it calls the SignalService over gRPC.
 * VALUE is JSON when it parses, else a string, and is checked against the gate's declared type.
 * Exit 2: bad input, unknown workflow or signal, value of the wrong type. Exit 1: the API or
 * server could not be reached.
 */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit.js';

interface SignalFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  server?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tokenFile?: string;
  setBy?: string;
  timeoutMs: string;
}

/** `NAMESPACE/WORKFLOW`, or `WORKFLOW` in `namespace` (from -n or the kubeconfig context). */
function splitTarget(target: string, namespace: () => string): { namespace: string; workflow: string } {
  const parts = target.split('/');
  if (parts.length === 1 && parts[0]) return { namespace: namespace(), workflow: parts[0] };
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new CliError(`expected [NAMESPACE/]WORKFLOW, got "${target}"`, ExitCode.usage);
  return { namespace: parts[0], workflow: parts[1] };
}

export function register(program: Command): void {
  program
    .command('signal')
    .description("Set a gate's signal on a Workflow")
    .argument('<target>', '[NAMESPACE/]WORKFLOW (without NAMESPACE: -n, else the context namespace, else default)')
    .argument('<name>', 'signal name (gate.signal.name, or the approve gate name / node id)')
    .argument('<value>', 'the value: JSON when it parses (true, 3, {"a":1}), else a string')
    .option(
      '--kubeconfig <file>',
      'kubeconfig for writing the Workflow directly (default: $KUBECONFIG, in-cluster, ./.flotilla/kubeconfig, ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('-n, --namespace <ns>', "the workflow's namespace when TARGET names none")
    .option('--server <addr>', 'call the SignalService at host:port instead of the API')
    .option('--tls-ca <file>', 'CA of the server certificate (enables TLS)')
    .option('--tls-cert <file>', 'client certificate for mutual TLS')
    .option('--tls-key <file>', 'client key for mutual TLS')
    .option('--token-file <file>', 'bearer token for the server')
    .option('--set-by <who>', 'recorded in the signal as setBy', process.env.USER)
    .option('--timeout-ms <n>', 'deadline of each call', '10000')
    .action(async (target: string, name: string, text: string, flags: SignalFlags) => {
      const { kubeTargetFromFlags } = await import('../kubeconfig.js');
      // With --server there may be no kubeconfig at all: -n, else default.
      const { namespace, workflow } = splitTarget(target, () =>
        flags.server ? (flags.namespace ?? 'default') : kubeTargetFromFlags(flags).namespace,
      );
      const timeoutMs = Number(flags.timeoutMs);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw new CliError(`invalid --timeout-ms ${flags.timeoutMs}`, ExitCode.usage);
      const shown = (value: unknown) => JSON.stringify(value);
      if (!flags.server) {
        const { WorkflowSignals } = await import('../../signals/workflows.js');
        const { SignalError } = await import('../../signals/errors.js');
        const { kubeConfigFromFlags } = await import('../kubeconfig.js');
        const kubeConfig = kubeConfigFromFlags(flags);
        try {
          const signals = new WorkflowSignals(kubeConfig, { timeoutMs });
          const state = await signals.set(namespace, workflow, name, { text }, flags.setBy);
          process.stdout.write(`signal ${name} set on ${namespace}/${workflow}: ${shown(state.record?.value)}\n`);
        } catch (error) {
          if (error instanceof SignalError)
            throw new CliError(error.message, error.code === 'ApiUnavailable' ? ExitCode.failed : ExitCode.usage, {
              cause: error,
            });
          throw error;
        }
        return;
      }
      const grpc = await import('@grpc/grpc-js');
      const { readPem, readTokenFile, isServiceError } = await import('../../security/grpc.js');
      const { createSignalClient, listSignals, setSignal } = await import('../../signals/client.js');
      const { parseCliValue, valueToPb } = await import('../../signals/declarations.js');
      let client;
      try {
        client = createSignalClient(flags.server, {
          ...(flags.tlsCa || flags.tlsCert
            ? {
                tls: {
                  ...(flags.tlsCa ? { caPem: readPem(flags.tlsCa) } : {}),
                  ...(flags.tlsCert && flags.tlsKey
                    ? { certPem: readPem(flags.tlsCert), keyPem: readPem(flags.tlsKey) }
                    : {}),
                },
              }
            : {}),
          ...(flags.tokenFile ? { token: readTokenFile(flags.tokenFile) } : {}),
        });
      } catch (error) {
        throw new CliError(
          `cannot read TLS or token files: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.usage,
          { cause: error },
        );
      }
      try {
        const declared = await listSignals(client, { namespace, workflow, timeoutMs });
        const decl = declared.find((s) => s.name === name);
        if (!decl?.type) {
          throw new CliError(
            `workflow ${namespace}/${workflow} has no gate waiting for signal "${name}" (declared: ${declared.map((s) => s.name).join(', ') || 'none'})`,
            ExitCode.usage,
          );
        }
        const value = parseCliValue(text, decl.type);
        const set = await setSignal(client, {
          namespace,
          workflow,
          name,
          value: valueToPb(value, decl.type),
          ...(flags.setBy ? { setBy: flags.setBy } : {}),
          timeoutMs,
        });
        process.stdout.write(`signal ${name} set on ${namespace}/${workflow}: ${shown(set.value)}\n`);
      } catch (error) {
        if (error instanceof CliError) throw error;
        if (isServiceError(error)) {
          const usage = error.code === grpc.status.INVALID_ARGUMENT || error.code === grpc.status.NOT_FOUND;
          throw new CliError(
            error.details || grpc.status[error.code] || 'call failed',
            usage ? ExitCode.usage : ExitCode.failed,
            { cause: error },
          );
        }
        throw error;
      } finally {
        client.close();
      }
    });
}
