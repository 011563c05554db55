/**
 * The informers of one shard: Workflows with the shard's label (or in the shard's namespace) and
 * the Pods those Workflows own. Both map their events to a workflow key `namespace/name`: a Pod to
 * its owner (label `flotilla.io/workflow`, else its Workflow ownerReference).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Labels, type Workflow } from '../api/workflow.js';
import { kubeServer, toKubeError } from '../kube/errors.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION } from '../kube/workflow-client.js';
import { ResourceInformer, type InformerEventType, type RestartReason } from '../kube/informer.js';
import { stripForCache } from '../kube/cache-transform.js';
import { FLYTE_GROUP, FLYTE_KIND } from '../flyte/types.js';
import { flyteKey } from './flyte/keys.js';

/** How a shard's objects are found: by the `flotilla.io/shard` label, or a namespace is the shard. */
export type ShardScope = { strategy: 'hash'; shard: number } | { strategy: 'namespace'; namespace: string };

export interface ShardInformerOptions {
  kubeConfig: KubeConfig;
  scope: ShardScope;
  /** @defaultValue 120000 */
  watchdogMs?: number;
  /** @defaultValue 200 */
  backoffBaseMs?: number;
  /** @defaultValue 30000 */
  backoffMaxMs?: number;
  onRestart?: (resource: 'workflows' | 'pods', reason: RestartReason) => void;
  logger?: Logger;
}

function selectorOf(scope: ShardScope): string | undefined {
  return scope.strategy === 'hash' ? `${Labels.shard}=${scope.shard}` : undefined;
}

/** Workflows of one shard. */
export function workflowInformer(options: ShardInformerOptions): ResourceInformer<Workflow> {
  const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = { group: WORKFLOW_GROUP, version: WORKFLOW_VERSION, plural: WORKFLOW_PLURAL };
  const { scope } = options;
  const path =
    scope.strategy === 'hash'
      ? `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/${WORKFLOW_PLURAL}`
      : `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/namespaces/${scope.namespace}/${WORKFLOW_PLURAL}`;
  return new ResourceInformer<Workflow>({
    ...common(options, 'workflows'),
    path,
    labelSelector: selectorOf(scope),
    transform: stripForCache,
    list: async (labelSelector) => {
      try {
        const body: unknown =
          scope.strategy === 'hash'
            ? await api.listClusterCustomObject({ ...base, labelSelector })
            : await api.listNamespacedCustomObject({ ...base, namespace: scope.namespace, labelSelector });
        return body as { items: Workflow[]; metadata?: { resourceVersion?: string } };
      } catch (error) {
        throw toKubeError(error, 'list workflows', kubeServer(options.kubeConfig));
      }
    },
  });
}

/** Pods of one shard's Workflows (hash: by the shard label; namespace: pods with a workflow label). */
export function podInformer(options: ShardInformerOptions): ResourceInformer<V1Pod> {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const { scope } = options;
  const labelSelector = scope.strategy === 'hash' ? `${Labels.shard}=${scope.shard}` : Labels.workflow;
  return new ResourceInformer<V1Pod>({
    ...common(options, 'pods'),
    path: scope.strategy === 'hash' ? '/api/v1/pods' : `/api/v1/namespaces/${scope.namespace}/pods`,
    labelSelector,
    transform: stripForCache,
    list: async (selector) => {
      try {
        return scope.strategy === 'hash'
          ? await core.listPodForAllNamespaces({ labelSelector: selector })
          : await core.listNamespacedPod({ namespace: scope.namespace, labelSelector: selector });
      } catch (error) {
        throw toKubeError(error, 'list pods', kubeServer(options.kubeConfig));
      }
    },
  });
}

function common(options: ShardInformerOptions, resource: 'workflows' | 'pods') {
  return {
    kubeConfig: options.kubeConfig,
    resource,
    watchdogMs: options.watchdogMs,
    backoffBaseMs: options.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs,
    onRestart: (reason: RestartReason) => options.onRestart?.(resource, reason),
    logger: options.logger,
  };
}

/** The workflow key a Pod belongs to, or undefined when it is not a Workflow's pod. */
export function ownerKeyOfPod(pod: V1Pod): string | undefined {
  const namespace = pod.metadata?.namespace;
  if (!namespace) return undefined;
  // A FlyteWorkflow's pod (src/plugins/flyte) maps to its `flyte:` key; native pods never have this owner.
  const flyteOwner = pod.metadata?.ownerReferences?.find(
    (ref) => ref.kind === FLYTE_KIND && ref.apiVersion.startsWith(`${FLYTE_GROUP}/`),
  );
  if (flyteOwner) return flyteKey(namespace, flyteOwner.name);
  const byLabel = pod.metadata?.labels?.[Labels.workflow];
  if (byLabel) return `${namespace}/${byLabel}`;
  const owner = pod.metadata?.ownerReferences?.find(
    (ref) => ref.kind === 'Workflow' && ref.apiVersion.startsWith(`${WORKFLOW_GROUP}/`),
  );
  return owner ? `${namespace}/${owner.name}` : undefined;
}

/** The workflow key of a Workflow. */
export function keyOfWorkflow(workflow: Pick<Workflow, 'metadata'>): string {
  return `${workflow.metadata.namespace}/${workflow.metadata.name}`;
}

/** Both informers of one shard, with one `onEvent(key)` stream of workflow keys. */
export class ShardInformers {
  readonly workflows: ResourceInformer<Workflow>;
  readonly pods: ResourceInformer<V1Pod>;

  constructor(options: ShardInformerOptions) {
    this.workflows = workflowInformer(options);
    this.pods = podInformer(options);
  }

  /**
   * Calls `callback` with the workflow key of every Workflow change (with the Workflow's new
   * resourceVersion) and every owned Pod change.
   */
  onEvent(
    callback: (key: string, source: 'workflow' | 'pod', type: InformerEventType, resourceVersion?: string) => void,
  ): () => void {
    const offWorkflows = this.workflows.onChange((type, workflow) =>
      callback(keyOfWorkflow(workflow), 'workflow', type, workflow.metadata.resourceVersion),
    );
    const offPods = this.pods.onChange((type, pod) => {
      const key = ownerKeyOfPod(pod);
      if (key) callback(key, 'pod', type);
    });
    return () => {
      offWorkflows();
      offPods();
    };
  }

  start(): void {
    this.workflows.start();
    this.pods.start();
  }

  async waitForSync(timeoutMs: number): Promise<void> {
    await Promise.all([this.workflows.waitForSync(timeoutMs), this.pods.waitForSync(timeoutMs)]);
  }

  get restarts(): number {
    return this.workflows.restarts + this.pods.restarts;
  }

  async stop(): Promise<void> {
    await Promise.all([this.workflows.stop(), this.pods.stop()]);
  }
}
