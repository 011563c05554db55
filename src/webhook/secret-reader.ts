/** The webhook's {@link SecretKeyReader} on the API server: one GET of the Secret, keeping only its key names. */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kubeServer, toKubeError } from '../kube/errors.js';
import type { SecretKeyReader } from './secrets.js';

export class KubeSecretKeyReader implements SecretKeyReader {
  private readonly core: CoreV1Api;
  private readonly server: string | undefined;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.server = kubeServer(kubeConfig);
  }

  async keys(namespace: string, name: string): Promise<readonly string[] | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ namespace, name });
      // The values are dropped here: the webhook never holds them.
      return [...new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})])];
    } catch (error) {
      const kube = toKubeError(error, `get secret ${namespace}/${name}`, this.server);
      if (kube.code === 'NotFound') return undefined;
      throw kube;
    }
  }
}
