/** The kubeconfig written for the embedded server: its URL, CA and bearer token. */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  token: string;
  /** Cluster, user and context name. @defaultValue 'flotilla-sandbox' */
  name?: string;
  /**
   * Namespace of the context. None by default, so every client picks its own default as kubectl
   * does (`default` for Workflows, the fleet namespace for `shardctl`).
   */
  namespace?: string;
}

export function renderKubeconfig(o: KubeconfigOptions): string {
  const name = o.name ?? 'flotilla-sandbox';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') } },
    ],
    users: [{ name, user: { token: o.token } }],
    contexts: [
      {
        name,
        context: { cluster: name, user: name, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}) },
      },
    ],
    'current-context': name,
    preferences: {},
  });
}
