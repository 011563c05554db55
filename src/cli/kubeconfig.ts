/**
 * The kubeconfig of a command, from its `--kubeconfig` and `--context` flags through the one loader
 * (`src/kube/config.ts`). A kubeconfig that cannot be found or read is a usage error (exit 2).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from '../kube/errors.js';
import { resolveKubeConfig } from '../kube/config.js';
import { CliError, ExitCode } from './exit.js';

export interface KubeconfigFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

export function kubeConfigFromFlags(flags: KubeconfigFlags): KubeConfig {
  try {
    return resolveKubeConfig({ file: flags.kubeconfig, context: flags.context }).kubeConfig;
  } catch (error) {
    if (error instanceof KubeError) throw new CliError(error.message, ExitCode.usage, { cause: error });
    throw error;
  }
}
