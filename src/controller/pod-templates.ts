/**
 * The process's PodTemplates (FlytePropeller's PodTemplate store): one informer over every
 * namespace's `podtemplates` (or one per namespace when the fleet serves a list of them, the
 * namespace strategy, whose RBAC is Roles), so building a task Pod reads a cache instead of
 * GETting its template. A `cache` component: started before the workers and waited for until
 * synced (a task Pod built before the first list would miss its template), stopped after them.
 * RBAC: list/watch `podtemplates`.
 */
import { CoreV1Api, type KubeConfig, type V1PodTemplate } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { toKubeError, kubeServer } from '../kube/errors.js';
import { ResourceInformer, type RestartReason } from '../kube/informer.js';
import { component, type Component } from '../lifecycle/index.js';
import type { PodTemplateLookup } from '../plugins/pod/platform.js';

export interface PodTemplateStoreOptions {
  kubeConfig: KubeConfig;
  /** Watch only these namespaces (the workflows' and the controller's). @defaultValue every namespace */
  namespaces?: readonly string[];
  /** How long the start waits for the first list. @defaultValue 30000 */
  syncTimeoutMs?: number;
  onRestart?: (reason: RestartReason) => void;
  logger?: Logger;
}

export class PodTemplateStore implements PodTemplateLookup {
  private readonly informers: ResourceInformer<V1PodTemplate>[];

  constructor(private readonly options: PodTemplateStoreOptions) {
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const server = kubeServer(options.kubeConfig);
    const common = {
      kubeConfig: options.kubeConfig,
      resource: 'podtemplates',
      ...(options.onRestart ? { onRestart: options.onRestart } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    };
    const listed = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        throw toKubeError(error, what, server);
      }
    };
    this.informers =
      options.namespaces === undefined
        ? [
            new ResourceInformer<V1PodTemplate>({
              ...common,
              path: '/api/v1/podtemplates',
              list: () => listed('list podtemplates', () => core.listPodTemplateForAllNamespaces()),
            }),
          ]
        : [...new Set(options.namespaces)].map(
            (namespace) =>
              new ResourceInformer<V1PodTemplate>({
                ...common,
                path: `/api/v1/namespaces/${namespace}/podtemplates`,
                list: () =>
                  listed(`list podtemplates in ${namespace}`, () => core.listNamespacedPodTemplate({ namespace })),
              }),
          );
  }

  get(namespace: string, name: string): V1PodTemplate | undefined {
    for (const informer of this.informers) {
      const template = informer.get(`${namespace}/${name}`);
      if (template) return template;
    }
    return undefined;
  }

  /** The store as a lifecycle `cache` component. */
  component(): Component {
    return component({
      name: 'podtemplate cache',
      stage: 'cache',
      start: async () => {
        for (const informer of this.informers) informer.start();
        await Promise.all(this.informers.map((i) => i.waitForSync(this.options.syncTimeoutMs ?? 30_000)));
      },
      stop: async () => {
        await Promise.all(this.informers.map((i) => i.stop()));
      },
    });
  }
}
