/**
 * The one kubeconfig loader. Every process and command finds its cluster the same way, as kubectl
 * and controller-runtime do:
 *
 *   1. the `--kubeconfig` flag (a file that must exist),
 *   2. `$KUBECONFIG` (client-node merges a colon-separated list),
 *   3. the pod's service account, when running in a cluster (`KUBERNETES_SERVICE_HOST` is set),
 *   4. the sandbox's `.flotilla/kubeconfig` in the working directory (so `shardctl status` works
 *      right after `npm run sandbox`),
 *   5. `~/.kube/config`.
 *
 * `--context` picks a context other than the file's current one. A source that cannot be read, or
 * that names no cluster, is a `KubeError('Invalid')` naming the source.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from './errors.js';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where a kubeconfig comes from when the caller already knows. */
export type KubeConfigSource = { file: string } | { yaml: string } | { inCluster: true };

/** Loads exactly the given source. */
export function loadKubeConfig(source: KubeConfigSource, options: { context?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  const what =
    'file' in source
      ? `kubeconfig ${source.file}`
      : 'yaml' in source
        ? 'the kubeconfig text'
        : 'the in-cluster service account';
  try {
    if ('file' in source) {
      if (!existsSync(source.file)) throw new KubeError('Invalid', `${what} does not exist`);
      kc.loadFromFile(source.file);
    } else if ('yaml' in source) kc.loadFromString(source.yaml);
    else {
      // client-node reads the token lazily; a pod without its service account should fail here.
      if (!existsSync(SERVICE_ACCOUNT_TOKEN))
        throw new KubeError('Invalid', `cannot load ${what}: ${SERVICE_ACCOUNT_TOKEN} does not exist`);
      kc.loadFromCluster();
    }
  } catch (cause) {
    if (cause instanceof KubeError) throw cause;
    throw new KubeError('Invalid', `cannot load ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context))
      throw new KubeError('Invalid', `${what} has no context ${options.context}`);
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) throw new KubeError('Invalid', `${what} has no current cluster`);
  return kc;
}

export interface ResolveKubeConfigOptions {
  /** The `--kubeconfig` flag. */
  file?: string | undefined;
  /** The `--context` flag. */
  context?: string | undefined;
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Where to look for the sandbox's `.flotilla/kubeconfig`. @defaultValue process.cwd() */
  cwd?: string;
}

export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  /** Which source won: a file path, `$KUBECONFIG`, `in-cluster`. For messages. */
  source: string;
}

/** Finds the kubeconfig in the standard order (see the module comment). */
export function resolveKubeConfig(options: ResolveKubeConfigOptions = {}): ResolvedKubeConfig {
  const env = options.env ?? process.env;
  const context = options.context !== undefined ? { context: options.context } : {};
  if (options.file !== undefined)
    return { kubeConfig: loadKubeConfig({ file: options.file }, context), source: options.file };
  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '')
    return { kubeConfig: loadMerged(fromEnv, options.context), source: `$KUBECONFIG (${fromEnv})` };
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== '') {
    return { kubeConfig: loadKubeConfig({ inCluster: true }, context), source: 'in-cluster' };
  }
  const sandbox = resolve(options.cwd ?? process.cwd(), '.flotilla/kubeconfig');
  if (existsSync(sandbox)) return { kubeConfig: loadKubeConfig({ file: sandbox }, context), source: sandbox };
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return { kubeConfig: loadKubeConfig({ file: home }, context), source: home };
  throw new KubeError(
    'Invalid',
    `no kubeconfig found (tried: --kubeconfig, not given; $KUBECONFIG, not set; the in-cluster service account, KUBERNETES_SERVICE_HOST not set; ${sandbox}, absent; ${home}, absent): pass --kubeconfig FILE, set KUBECONFIG, or start the local sandbox (npm run sandbox) to get ${sandbox}`,
  );
}

/** `$KUBECONFIG` may list several files (client-node merges them, first one wins per name). */
function loadMerged(list: string, context: string | undefined): KubeConfig {
  const files = list.split(':').filter((f) => f !== '');
  const [first, ...rest] = files;
  if (first === undefined) throw new KubeError('Invalid', '$KUBECONFIG is empty');
  if (rest.length === 0) return loadKubeConfig({ file: first }, context !== undefined ? { context } : {});
  const kc = loadKubeConfig({ file: first });
  for (const file of rest) {
    // As kubectl merges: the first file to define a name wins, and the first file's current context stays.
    if (!existsSync(file)) continue;
    try {
      kc.mergeConfig(loadKubeConfig({ file }), true);
    } catch (cause) {
      throw new KubeError(
        'Invalid',
        `cannot merge ${file} into $KUBECONFIG: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context))
      throw new KubeError('Invalid', `$KUBECONFIG (${list}) has no context ${context}`);
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new KubeError('Invalid', `$KUBECONFIG (${list}) has no current cluster`);
  return kc;
}
