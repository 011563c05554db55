/**
 * Which kubeconfig an operator CLI uses: `--kubeconfig`, else `$KUBECONFIG`, else the sandbox's
 * `.flotilla/kubeconfig` in the working directory (so `npx shardctl status` works right after
 * `npm run sandbox`), else `~/.kube/config`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError, ExitCode } from '../exit.js';

export function resolveKubeConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): { kubeConfig: KubeConfig; source: string } {
  const kc = new KubeConfig();
  const sandbox = resolve(cwd, '.flotilla/kubeconfig');
  const file = flag ?? (env.KUBECONFIG ? undefined : existsSync(sandbox) ? sandbox : undefined);
  try {
    if (file !== undefined) {
      if (!existsSync(file)) throw new CliError(`kubeconfig ${file} does not exist`, ExitCode.usage);
      kc.loadFromFile(file);
    } else {
      kc.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot load the kubeconfig${file ? ` ${file}` : ''}: ${error instanceof Error ? error.message : String(error)}`, ExitCode.usage, { cause: error });
  }
  if (!kc.getCurrentCluster()) throw new CliError('no kubeconfig found: pass --kubeconfig FILE or set KUBECONFIG', ExitCode.usage);
  return { kubeConfig: kc, source: file ?? env.KUBECONFIG ?? '~/.kube/config' };
}
