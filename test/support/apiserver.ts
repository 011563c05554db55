/**
 * Starts the embedded API server for a test in its own temporary directory, with its kubeconfig
 * written to a file, and the client-node KubeConfig for it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../../sandbox/apiserver/index.js';
import { kubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';

export interface TestApiServer {
  readonly server: RunningApiServer;
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly kc: KubeConfig;
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** Stops the server and removes the directory (unless `keepDir`). */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export async function startTestApiServer(options: ApiServerOptions & { dir?: string } = {}): Promise<TestApiServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-apiserver-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const { dir: _ignored, ...serverOptions } = options;
  const server = await startApiServer({ port: 0, kubelet: false, kubeconfigOut: kubeconfigPath, ...serverOptions });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig);
  return {
    server,
    dir,
    kubeconfigPath,
    kc,
    kubectl: (args, kubectlOptions) => kubectl(kubeconfigPath, args, kubectlOptions),
    stop: async (stopOptions) => {
      await server.stop();
      if (!stopOptions?.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
