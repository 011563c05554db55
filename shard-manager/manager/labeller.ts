/**
 * Labels Workflows that arrive without `flotilla.io/shard` (hash strategy), so exactly one shard
 * owns each. In a cluster the mutating admission webhook labels them at creation; this catches
 * what it missed (webhook down, `failurePolicy: Ignore`, `generateName` creates). The label is a
 * pure function of namespace and name, so running it on several managers at once is harmless;
 * the manager runs it while it leads.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { Workflow } from '../../src/api/workflow.js';
import { KubeError, kubeServer, toKubeError } from '../../src/kube/errors.js';
import { WORKFLOW_GROUP, WORKFLOW_PLURAL, WORKFLOW_VERSION, WorkflowClient } from '../../src/kube/workflow-client.js';
import { ResourceInformer } from '../../src/kube/informer.js';
import { SHARD_LABEL, hashShardId } from '../sharding/hash.js';

export interface WorkflowLabellerOptions {
  readonly kubeConfig: KubeConfig;
  readonly shardCount: number;
  /** Called after each label written (for metrics and tests). */
  readonly onLabelled?: (key: string, shard: string) => void;
  readonly onError?: (error: unknown, key: string) => void;
}

export class WorkflowLabeller {
  private readonly informer: ResourceInformer<Workflow>;
  private readonly client: WorkflowClient;
  private readonly pending = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: WorkflowLabellerOptions) {
    const api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.client = new WorkflowClient(options.kubeConfig);
    const selector = `!${SHARD_LABEL}`;
    this.informer = new ResourceInformer<Workflow>({
      kubeConfig: options.kubeConfig,
      path: `/apis/${WORKFLOW_GROUP}/${WORKFLOW_VERSION}/${WORKFLOW_PLURAL}`,
      labelSelector: selector,
      resource: 'unlabelled-workflows',
      list: async (labelSelector) => {
        try {
          const body: unknown = await api.listClusterCustomObject({
            group: WORKFLOW_GROUP,
            version: WORKFLOW_VERSION,
            plural: WORKFLOW_PLURAL,
            ...(labelSelector ? { labelSelector } : {}),
          });
          return body as { items: Workflow[]; metadata?: { resourceVersion?: string } };
        } catch (error) {
          throw toKubeError(error, 'list unlabelled workflows', kubeServer(options.kubeConfig));
        }
      },
    });
    this.informer.onChange((type, workflow) => {
      if (type !== 'delete') this.label(workflow, 0);
    });
  }

  async start(timeoutMs = 30_000): Promise<void> {
    this.stopped = false;
    this.informer.start();
    await this.informer.waitForSync(timeoutMs);
    // The informer keeps its cache across a stop and reports only changes after a re-list: a
    // workflow whose label write failed while we led before (its retry timer died with `stop`)
    // would otherwise never be labelled when we lead again.
    for (const workflow of this.informer.list()) this.label(workflow, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    await this.informer.stop();
  }

  private label(workflow: Workflow, attempt: number): void {
    const { namespace, name } = workflow.metadata;
    if (!namespace || !name || workflow.metadata.labels?.[SHARD_LABEL] !== undefined) return;
    const key = `${namespace}/${name}`;
    if (this.pending.has(key) || this.stopped) return;
    this.pending.add(key);
    const shard = hashShardId(namespace, name, this.options.shardCount);
    this.client
      .mergePatch(namespace, name, { metadata: { labels: { [SHARD_LABEL]: shard } } })
      .then(() => this.options.onLabelled?.(key, shard))
      .catch((error: unknown) => {
        if (error instanceof KubeError && error.code === 'NotFound') return;
        this.options.onError?.(error, key);
        // Back off and try again while it is still unlabelled.
        const timer = setTimeout(
          () => {
            this.retryTimers.delete(timer);
            const current = this.informer.get(key);
            if (current) this.label(current, attempt + 1);
          },
          Math.min(200 * 2 ** attempt, 10_000),
        );
        timer.unref?.();
        this.retryTimers.add(timer);
      })
      .finally(() => this.pending.delete(key));
  }
}
