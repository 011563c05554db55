/**
 * Launch plans without FlyteAdmin: the documented local resolution (src/flyte/launchplan.ts) done
 * by the replica itself. The `launchplan-<name>` ConfigMap in the child's namespace names the
 * workflow; the child is created as a FlyteWorkflow (its own `shard-key`: the fleet runs it where
 * that hashes) and followed by reading it: Succeeded → its outputs (the end node's outputs.pb),
 * Failed or Aborted → the node fails with the child's message. AlreadyExists = started before.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { toKubeError } from '../../kube/errors.js';
import { decodeLiteralMap } from '../../flyte/literals/codec.js';
import {
  executionNamespace,
  instantiateLaunchPlan,
  LAUNCH_PLAN_KEY,
  launchPlanConfigMapName,
} from '../../flyte/launchplan.js';
import { WorkflowPhase } from '../../flyte/status.js';
import type { ExecutionRef } from '../../flyte/translate/contract.js';
import type { ChildState, LaunchPlanLauncher, LaunchRequest } from '../../plugins/flyte/launchplan.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { FlyteWorkflowClient } from './client.js';

export class LocalLaunchPlanLauncher implements LaunchPlanLauncher {
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly client: Pick<FlyteWorkflowClient, 'get' | 'create'>,
    private readonly store: BlobStore,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async launch(request: LaunchRequest): Promise<boolean> {
    const lpName = typeof request.launchPlan['name'] === 'string' ? request.launchPlan['name'] : '';
    const namespace = executionNamespace(request.child);
    const name = launchPlanConfigMapName(lpName);
    let text: string | undefined;
    try {
      text = (await this.core.readNamespacedConfigMap({ name, namespace })).data?.[LAUNCH_PLAN_KEY];
    } catch (error) {
      throw toKubeError(error, `launch plan ${lpName}: read configmap ${namespace}/${name}`);
    }
    if (text === undefined)
      throw new Error(`launch plan ${lpName}: configmap ${namespace}/${name} has no key ${LAUNCH_PLAN_KEY}`);
    const body = instantiateLaunchPlan(parse(text) as unknown, {
      child: request.child,
      inputs: request.inputs,
      parent: request.parent.execution,
      acceptedAt: new Date().toISOString(),
    });
    return this.client.create(body as typeof body & { metadata: { namespace: string; name: string } });
  }

  async state(child: ExecutionRef): Promise<ChildState> {
    const object = await this.client.get(executionNamespace(child), child.name);
    if (!object) return { phase: 'failed', code: 'ChildNotFound', message: 'the child FlyteWorkflow is gone' };
    const status = (object.status ?? {}) as {
      phase?: number;
      message?: string;
      outputRef?: string;
      error?: { code?: string };
    };
    switch (status.phase) {
      case WorkflowPhase.Succeeded:
        return {
          phase: 'succeeded',
          outputs: status.outputRef ? decodeLiteralMap(await this.store.get(status.outputRef)) : {},
        };
      case WorkflowPhase.Failed:
      case WorkflowPhase.Aborted:
        return {
          phase: 'failed',
          code: status.error?.code ?? (status.phase === WorkflowPhase.Aborted ? 'Aborted' : 'Failed'),
          message: status.message ?? 'failed',
        };
      default:
        return { phase: 'running' };
    }
  }
}
