/** The kubeconfig written for the embedded server: its URL, CA and bearer token. */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  token: string;
  /** Cluster, user and context name. @defaultValue 'flotilla-sandbox' */
  name?: string;
  /** Default namespace of the context. @defaultValue 'default' */
  namespace?: string;
}

export function renderKubeconfig(o: KubeconfigOptions): string {
  const name = o.name ?? 'flotilla-sandbox';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') } }],
    users: [{ name, user: { token: o.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: o.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
