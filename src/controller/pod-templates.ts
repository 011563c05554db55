/**
 * The process's PodTemplates (FlytePropeller's PodTemplate store): one informer over every
 * namespace's `podtemplates`, so building a task Pod reads a cache instead of GETting its template.
 * A `cache` component: started before the workers and waited for until synced (a task Pod built
 * before the first list would miss its template), stopped after them. RBAC: list/watch
 * `podtemplates` cluster-wide.
 */
import { CoreV1Api, type KubeConfig, type V1PodTemplate } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { toKubeError, kubeServer } from '../kube/errors.js';
import { ResourceInformer, type RestartReason } from '../kube/informer.js';
import { component, type Component } from '../lifecycle/index.js';
import type { PodTemplateLookup } from '../plugins/pod/platform.js';

export interface PodTemplateStoreOptions {
  kubeConfig: KubeConfig;
  /** How long the start waits for the first list. @defaultValue 30000 */
  syncTimeoutMs?: number;
  onRestart?: (reason: RestartReason) => void;
  logger?: Logger;
}

export class PodTemplateStore implements PodTemplateLookup {
  private readonly informer: ResourceInformer<V1PodTemplate>;

  constructor(private readonly options: PodTemplateStoreOptions) {
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.informer = new ResourceInformer<V1PodTemplate>({
      kubeConfig: options.kubeConfig,
      path: '/api/v1/podtemplates',
      resource: 'podtemplates',
      list: async () => {
        try {
          return await core.listPodTemplateForAllNamespaces();
        } catch (error) {
          throw toKubeError(error, 'list podtemplates', kubeServer(options.kubeConfig));
        }
      },
      ...(options.onRestart ? { onRestart: options.onRestart } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  get(namespace: string, name: string): V1PodTemplate | undefined {
    return this.informer.get(`${namespace}/${name}`);
  }

  /** The store as a lifecycle `cache` component. */
  component(): Component {
    return component({
      name: 'podtemplate cache',
      stage: 'cache',
      start: async () => {
        this.informer.start();
        await this.informer.waitForSync(this.options.syncTimeoutMs ?? 30_000);
      },
      stop: () => this.informer.stop(),
    });
  }
}
