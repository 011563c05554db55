/**
 * A watched cache of the fleet's leases (`flotilla.io/lease` label, fleet namespace), as a
 * `LeaseSource`: the controller's resilient informer (restart with back-off after errors, a
 * watchdog for silent watches, bookmarks) over Leases.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { ResourceInformer, type RestartReason } from '../../src/kube/informer.js';
import { kubeServer, toKubeError } from '../../src/kube/errors.js';
import { component, type Component } from '../../src/lifecycle/index.js';
import { LEASE_KIND_LABEL } from './names.js';
import { toFields } from './lease-client.js';
import type { LeaseFields } from './lease-state.js';
import type { LeaseSource } from './lease-source.js';

export interface LeaseInformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Restart a watch silent for this long; bookmarks count as traffic. @defaultValue 30000 */
  readonly watchdogMs?: number;
  readonly onRestart?: (reason: RestartReason) => void;
}

export class LeaseInformer implements LeaseSource {
  private readonly informer: ResourceInformer<V1Lease>;
  private snapshot: LeaseFields[] = [];
  private dirty = true;

  constructor(options: LeaseInformerOptions) {
    const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.informer = new ResourceInformer<V1Lease>({
      kubeConfig: options.kubeConfig,
      path: `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`,
      labelSelector: LEASE_KIND_LABEL,
      resource: 'leases',
      watchdogMs: options.watchdogMs ?? 30_000,
      list: async (labelSelector) => {
        try {
          return await api.listNamespacedLease({
            namespace: options.namespace,
            ...(labelSelector ? { labelSelector } : {}),
          });
        } catch (error) {
          throw toKubeError(error, 'list leases', kubeServer(options.kubeConfig));
        }
      },
      ...(options.onRestart ? { onRestart: options.onRestart } : {}),
    });
    this.informer.onChange(() => {
      this.dirty = true;
    });
  }

  leases(): readonly LeaseFields[] {
    if (this.dirty) {
      this.snapshot = this.informer.list().map(toFields);
      this.dirty = false;
    }
    return this.snapshot;
  }

  onChange(listener: (lease: LeaseFields) => void): () => void {
    return this.informer.onChange((_type, lease) => listener(toFields(lease)));
  }

  /** Resolves after the first list. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync(timeoutMs);
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }
}

/**
 * The fleet's lease cache as a lifecycle component (`cache` stage): a process shares one between
 * its fleet member and its manager candidate. A start that fails (no first list) stops the watch.
 */
export function leaseCacheComponent(informer: LeaseInformer): Component {
  return component({
    name: 'fleet lease cache',
    stage: 'cache',
    start: async () => {
      try {
        await informer.start();
      } catch (error) {
        await informer.stop();
        throw error;
      }
    },
    stop: () => informer.stop(),
  });
}
