/**
 * client-node 1.x builds a new https.Agent for every request, so every call pays a new TCP
 * connection and TLS handshake (about 5x slower than a kept-alive connection against our server).
 * The kubelet writes a few statuses per Pod, thousands of Pods at a time: it uses API clients
 * whose requests share one keep-alive agent, built from the options the KubeConfig itself chose
 * (CA, client certificate, TLS server name) by a middleware that runs after authentication.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  ServerConfiguration, createConfiguration, type Configuration, type KubeConfig, type Middleware,
} from '@kubernetes/client-node';
import { KubeletError } from './errors.js';

export interface KeepAliveConfiguration {
  configuration: Configuration;
  /** Closes the pooled connections. */
  close(): void;
}

export function keepAliveConfiguration(kc: KubeConfig, maxSockets: number): KeepAliveConfiguration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeletError('InvalidKubeconfig', 'the kubeconfig has no current cluster');
  let pooled: HttpAgent | undefined;
  const share: Middleware = {
    pre: async (context) => {
      const agent = context.getAgent();
      if (agent instanceof HttpsAgent) {
        pooled ??= new HttpsAgent({ ...agent.options, keepAlive: true, maxSockets });
        context.setAgent(pooled);
      } else if (agent instanceof HttpAgent) {
        pooled ??= new HttpAgent({ keepAlive: true, maxSockets });
        context.setAgent(pooled);
      }
      return context;
    },
    post: async (response) => response,
  };
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [share],
  });
  return { configuration, close: () => pooled?.destroy() };
}
