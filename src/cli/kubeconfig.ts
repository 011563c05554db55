/**
 * The kubeconfig and namespace of a command, from its `--kubeconfig`, `--context` and
 * `-n/--namespace` flags through the one loader (`src/kube/config.ts`). A kubeconfig that cannot
 * be found or read is a usage error (exit 2).
 *
 * The namespace, as kubectl picks it: the `-n` flag, else the namespace of the kubeconfig's
 * current context (after `--context`), else the command's default (`default` for Workflows, the
 * fleet namespace for `shardctl`).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { KubeError, kubeServer } from '../kube/errors.js';
import { resolveKubeConfig } from '../kube/config.js';
import { CliError, ExitCode } from './exit.js';

export interface KubeconfigFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

export interface KubeFlags extends KubeconfigFlags {
  namespace?: string | undefined;
}

/** Where a command talks to: the kubeconfig, the namespace it acts in, and `host:port` for messages. */
export interface KubeTarget {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly server: string | undefined;
}

export const KUBECONFIG_HELP = 'kubeconfig (default: $KUBECONFIG, in-cluster, ./.flotilla/kubeconfig, ~/.kube/config)';
export const CONTEXT_HELP = 'kubeconfig context (default: the current one)';

export function kubeConfigFromFlags(flags: KubeconfigFlags): KubeConfig {
  try {
    return resolveKubeConfig({ file: flags.kubeconfig, context: flags.context }).kubeConfig;
  } catch (error) {
    if (error instanceof KubeError) throw new CliError(error.message, ExitCode.usage, { cause: error });
    throw error;
  }
}

/** The current context's namespace, when the kubeconfig sets one. */
export function contextNamespace(kubeConfig: KubeConfig): string | undefined {
  const namespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return namespace === undefined || namespace === '' ? undefined : namespace;
}

/** The kubeconfig and namespace (flag > context namespace > `defaultNamespace`). */
export function kubeTargetFromFlags(flags: KubeFlags, defaultNamespace = 'default'): KubeTarget {
  const kubeConfig = kubeConfigFromFlags(flags);
  return {
    kubeConfig,
    namespace: flags.namespace ?? contextNamespace(kubeConfig) ?? defaultNamespace,
    server: kubeServer(kubeConfig),
  };
}

/**
 * Adds `--kubeconfig`, `--context` and (unless `namespace: false`) `-n, --namespace` to a command,
 * the same on every command that talks to the API server.
 */
export function addKubeFlags<C extends Command>(command: C, options: { namespace?: string | false } = {}): C {
  command.option('--kubeconfig <file>', KUBECONFIG_HELP).option('--context <name>', CONTEXT_HELP);
  if (options.namespace !== false) {
    command.option(
      '-n, --namespace <ns>',
      options.namespace ?? "namespace (default: the context's namespace, else default)",
    );
  }
  return command;
}
