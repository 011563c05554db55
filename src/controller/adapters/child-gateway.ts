/**
 * The engine's `ChildWorkflowGateway` over the Kubernetes API: launched child Workflows are real
 * Workflow resources (possibly on another shard). Create: `AlreadyExists` is success (the
 * deterministic name was launched already); a child carrying its parent's shard
 * (`flotilla.io/parent-shard`) is stamped with the epoch this replica holds for that shard, the
 * fencing token the webhook's fence checks, so a replica that lost the parent's shard cannot launch it. Get: the child's phase (`Pending` while it has no
 * status), outputs (loaded from the output store when the child offloaded them) and message, or
 * `{ phase: 'NotFound' }`. Delete: `NotFound` is success.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { JsonObject } from '../../api/schema.js';
import { Labels } from '../../api/workflow.js';
import type { ChildWorkflowGateway } from '../../engine/driver.js';
import type { OutputStore } from '../../engine/outputs.js';
import type { ChildObservation, ChildWorkflowManifest } from '../../engine/types.js';
import { KubeError } from '../../kube/errors.js';
import { WorkflowClient } from '../../kube/workflow-client.js';

export interface KubeChildWorkflowGatewayOptions {
  kubeConfig: KubeConfig;
  /** Where a child's offloaded outputs (`status.outputRef`) are read (the child is their owner). */
  outputs?: OutputStore;
  /**
   * The epoch this replica holds for a shard (`ShardEpochs.get`): a child is created with the label
   * `flotilla.io/shard-epoch` set to its parent's shard's.
   * @defaultValue none: children carry no epoch
   */
  shardEpoch?: (shard: number) => number | undefined;
}

export class KubeChildWorkflowGateway implements ChildWorkflowGateway {
  private readonly client: WorkflowClient;

  constructor(private readonly options: KubeChildWorkflowGatewayOptions) {
    this.client = new WorkflowClient(options.kubeConfig);
  }

  async create(child: ChildWorkflowManifest, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await this.client.create(this.stamped(child));
    } catch (error) {
      if (error instanceof KubeError && error.code === 'AlreadyExists') return;
      throw error;
    }
  }

  /** The child with its parent's shard's epoch as a label, when this replica holds one for that shard. */
  private stamped(child: ChildWorkflowManifest): ChildWorkflowManifest {
    const shard = child.metadata.labels?.[Labels.parentShard];
    const epoch = shard !== undefined && /^\d+$/.test(shard) ? this.options.shardEpoch?.(Number(shard)) : undefined;
    if (epoch === undefined) return child;
    return {
      ...child,
      metadata: { ...child.metadata, labels: { ...child.metadata.labels, [Labels.shardEpoch]: String(epoch) } },
    };
  }

  async get(namespace: string, name: string, signal?: AbortSignal): Promise<ChildObservation> {
    signal?.throwIfAborted();
    let child;
    try {
      child = await this.client.get(namespace, name);
    } catch (error) {
      if (error instanceof KubeError && error.code === 'NotFound') return { phase: 'NotFound' };
      throw error;
    }
    const status = child.status;
    let outputs = status?.outputs as JsonObject | undefined;
    if (outputs === undefined && status?.outputRef && this.options.outputs)
      outputs = await this.options.outputs.get(status.outputRef, child);
    return {
      phase: status?.phase ?? 'Pending',
      ...(outputs !== undefined ? { outputs } : {}),
      ...(status?.message !== undefined ? { message: status.message } : {}),
    };
  }

  async delete(namespace: string, name: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await this.client.delete(namespace, name);
    } catch (error) {
      if (error instanceof KubeError && error.code === 'NotFound') return;
      throw error;
    }
  }
}
