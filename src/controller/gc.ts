/**
 * Terminal Workflows, per owned shard, from the informer cache (no extra list of Workflows):
 *
 * 1. a terminal Workflow without `flotilla.io/completed=true` gets the label (a merge patch carrying
 *    its resourceVersion: a concurrent change is a 409 and the next pass tries again), and its task
 *    Pods (those with an ownerReference to it) are deleted — their outputs are in its status;
 * 2. with a TTL, a completed Workflow whose `status.finishedAt` is older than the TTL is deleted
 *    (its Pods, output ConfigMaps and Events go with it through their ownerReferences).
 *
 * A pass runs every `intervalMs` over the shards the replica runs, and only on shards it can still
 * prove it owns (`canRun`). Failures are logged and retried next pass; a pass never throws.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isTerminalWorkflowPhase } from '../api/status.js';
import { Labels, type Workflow } from '../api/workflow.js';
import { labelValue } from '../api/names.js';
import { KubeError, kubeServer, toKubeError } from '../kube/errors.js';
import { WorkflowClient } from '../kube/workflow-client.js';

export interface WorkflowJanitorOptions {
  kubeConfig: KubeConfig;
  /** The shards to look after and their cached Workflows (the Replica). */
  source: { shards(): number[]; cachedWorkflows(shard: number): Workflow[] };
  /** Whether this replica still owns `shard`. @defaultValue () => true */
  canRun?: (shard: number) => boolean;
  /** Delete completed Workflows this long after they finished; undefined = never. @defaultValue undefined */
  ttlMs?: number;
  /** Delete a completed Workflow's task Pods. @defaultValue true */
  collectPods?: boolean;
  /** Whether `workflow` can have task Pods at all; false skips its Pod list (a request per Workflow). @defaultValue () => true */
  mayHavePods?: (workflow: Workflow) => boolean;
  /** Told of each label patch that landed, so the replica can drop its echo instead of running a round. */
  onWrite?: (shard: number, stored: Workflow) => void;
  /** @defaultValue 2000 */
  intervalMs?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
  logger?: Logger;
}

export interface JanitorPassResult {
  labelled: number;
  podsDeleted: number;
  deleted: number;
}

export class WorkflowJanitor {
  private readonly client: WorkflowClient;
  private readonly core: CoreV1Api;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  /** `host:port` of the API server, named in transport errors. */
  private readonly server: string | undefined;

  constructor(private readonly options: WorkflowJanitorOptions) {
    this.client = new WorkflowClient(options.kubeConfig);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.server = kubeServer(options.kubeConfig);
  }

  start(signal?: AbortSignal): void {
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 2000);
      });
    };
    this.timer = setTimeout(tick, this.options.intervalMs ?? 2000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every owned shard. */
  async pass(): Promise<JanitorPassResult> {
    const result: JanitorPassResult = { labelled: 0, podsDeleted: 0, deleted: 0 };
    const now = (this.options.clock ?? Date.now)();
    for (const shard of this.options.source.shards()) {
      for (const workflow of this.options.source.cachedWorkflows(shard)) {
        if (this.stopped || !(this.options.canRun?.(shard) ?? true)) break;
        // Decided without awaiting: a pass over 10,000 tidy Workflows should cost no promise each.
        if (!isTerminalWorkflowPhase(workflow.status?.phase) || !this.untidy(workflow, now)) continue;
        try {
          await this.tidy(shard, workflow, now, result);
        } catch (error) {
          this.options.logger?.warn(
            { key: `${workflow.metadata.namespace}/${workflow.metadata.name}`, err: String(error) },
            'terminal workflow housekeeping failed; retrying next pass',
          );
        }
      }
    }
    return result;
  }

  /** Whether a terminal Workflow has housekeeping due: its completed label, or its deletion after the TTL. */
  private untidy(workflow: Workflow, now: number): boolean {
    if (workflow.metadata.labels?.[Labels.completed] !== 'true') return true;
    const ttl = this.options.ttlMs;
    if (ttl === undefined) return false;
    const finished = Date.parse(workflow.status?.finishedAt ?? '');
    return !Number.isNaN(finished) && finished + ttl <= now;
  }

  private async tidy(shard: number, workflow: Workflow, now: number, result: JanitorPassResult): Promise<void> {
    const { namespace, name, resourceVersion } = workflow.metadata;
    if (workflow.metadata.labels?.[Labels.completed] !== 'true') {
      if ((this.options.collectPods ?? true) && (this.options.mayHavePods?.(workflow) ?? true))
        result.podsDeleted += await this.collectPods(workflow);
      try {
        const stored = await this.client.mergePatch(namespace, name, {
          metadata: { resourceVersion, labels: { [Labels.completed]: 'true' } },
        });
        result.labelled += 1;
        this.options.onWrite?.(shard, stored);
      } catch (error) {
        if (error instanceof KubeError && (error.code === 'Conflict' || error.code === 'NotFound')) return;
        throw error;
      }
      return;
    }
    const ttl = this.options.ttlMs;
    const finished = Date.parse(workflow.status?.finishedAt ?? '');
    if (ttl === undefined || Number.isNaN(finished) || finished + ttl > now) return;
    try {
      await this.client.delete(namespace, name);
      result.deleted += 1;
    } catch (error) {
      if (!(error instanceof KubeError && error.code === 'NotFound')) throw error;
    }
  }

  private async collectPods(workflow: Workflow): Promise<number> {
    const { namespace, uid } = workflow.metadata;
    let pods;
    try {
      pods = await this.core.listNamespacedPod({
        namespace,
        labelSelector: `${Labels.workflow}=${labelValue(workflow.metadata.name)}`,
      });
    } catch (error) {
      throw toKubeError(error, `list pods of ${namespace}/${workflow.metadata.name}`, this.server);
    }
    let deleted = 0;
    for (const pod of pods.items) {
      if (!pod.metadata?.ownerReferences?.some((ref) => ref.uid === uid) || !pod.metadata.name) continue;
      try {
        await this.core.deleteNamespacedPod({ namespace, name: pod.metadata.name });
        deleted += 1;
      } catch (error) {
        const kube = toKubeError(error, `delete pod ${namespace}/${pod.metadata.name}`, this.server);
        if (kube.code !== 'NotFound') throw kube;
      }
    }
    return deleted;
  }
}
