/**
 * The pod plugin's `PodGateway` over the Kubernetes API (CoreV1Api). Create is idempotent:
 * `AlreadyExists` means the attempt was launched already (`{ created: false }`); get of a missing
 * Pod is `undefined`; delete of a missing Pod is fine. Other failures are `KubeError`s.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Labels } from '../../api/workflow.js';
import type { PodGateway, PodRefusal } from '../../plugins/pod/gateway.js';
import type { Metrics } from '../../observability/metrics.js';
import { kubeServer, toKubeError } from '../../kube/errors.js';

export interface KubePodGatewayOptions {
  /** Give a `PooledKubeConfig` so calls share the process's keep-alive pool. */
  kubeConfig: KubeConfig;
  /** Counts `flotilla_pods_created_total{shard}` (shard from the Pod's `flotilla.io/shard` label). */
  metrics?: Metrics;
  /**
   * The epoch this replica holds for a shard (`ShardEpochs.get`): a Pod is created with the label
   * `flotilla.io/shard-epoch` set to it, the fencing token the webhook's fence checks.
   * @defaultValue none: Pods carry no epoch
   */
  shardEpoch?: (shard: number) => number | undefined;
}

export class KubePodGateway implements PodGateway {
  private readonly core: CoreV1Api;

  /** `host:port` of the API server, named in transport errors. */
  private readonly server: string | undefined;

  constructor(private readonly options: KubePodGatewayOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.server = kubeServer(options.kubeConfig);
  }

  async create(pod: V1Pod, signal?: AbortSignal): Promise<{ created: boolean; refused?: PodRefusal }> {
    signal?.throwIfAborted();
    const namespace = pod.metadata?.namespace ?? 'default';
    try {
      await this.core.createNamespacedPod({ namespace, body: this.stamped(pod) });
    } catch (error) {
      const kube = toKubeError(error, `create pod ${namespace}/${pod.metadata?.name ?? ''}`, this.server);
      if (kube.code === 'AlreadyExists') return { created: false };
      // An answer about this Pod (not a transport or server trouble): the plugin decides what it means.
      if (kube.code === 'Forbidden' && kube.status === 403)
        return { created: false, refused: { reason: 'Forbidden', message: kube.serverMessage ?? kube.message } };
      if (kube.code === 'Invalid')
        return { created: false, refused: { reason: 'Invalid', message: kube.serverMessage ?? kube.message } };
      throw kube;
    }
    this.options.metrics?.podsCreated.inc({ shard: pod.metadata?.labels?.[Labels.shard] ?? '' });
    return { created: true };
  }

  /** The Pod with its shard's epoch as a label, when this replica holds one for that shard. */
  private stamped(pod: V1Pod): V1Pod {
    const shard = pod.metadata?.labels?.[Labels.shard];
    const epoch = shard !== undefined && /^\d+$/.test(shard) ? this.options.shardEpoch?.(Number(shard)) : undefined;
    if (epoch === undefined) return pod;
    return {
      ...pod,
      metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, [Labels.shardEpoch]: String(epoch) } },
    };
  }

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<V1Pod | undefined> {
    signal?.throwIfAborted();
    try {
      return await this.core.readNamespacedPod({ namespace, name });
    } catch (error) {
      const kube = toKubeError(error, `get pod ${namespace}/${name}`, this.server);
      if (kube.code === 'NotFound') return undefined;
      throw kube;
    }
  }

  async delete(namespace: string, name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await this.core.deleteNamespacedPod({ namespace, name });
    } catch (error) {
      const kube = toKubeError(error, `delete pod ${namespace}/${name}`, this.server);
      if (kube.code !== 'NotFound') throw kube;
    }
  }
}
