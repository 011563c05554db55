/**
 * The recording admin's CreateExecution in the sandbox: the launch plan resolved locally (a
 * ConfigMap naming the workflow, src/flyte/launchplan.ts) and the child created as a FlyteWorkflow,
 * as FlyteAdmin would create it; the fleet then runs it like any other (on the shard its
 * `shard-key` picks) and its events reach the recording admin, which answers GetExecution.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { LiteralMap } from '../../src/generated/flyteidl/flyteidl/core/literals.js';
import type { ExecutionCreateRequest } from '../../src/generated/flyteidl/flyteidl/admin/execution.js';
import {
  executionNamespace,
  instantiateLaunchPlan,
  LAUNCH_PLAN_KEY,
  launchPlanConfigMapName,
} from '../../src/flyte/launchplan.js';
import type { LiteralsJson } from '../../src/flyte/literals/values.js';
import { FLYTE_GROUP, FLYTE_PLURAL, FLYTE_VERSION } from '../../src/flyte/types.js';
import type { ExecutionLauncher } from './server.js';
import type { ExecutionRecord } from './records.js';

function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function launchPlanLauncher(kubeConfig: KubeConfig): ExecutionLauncher {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return async (execution: ExecutionRecord, request: ExecutionCreateRequest) => {
    const lpName = request.spec?.launchPlan?.name ?? '';
    if (lpName === '') throw new Error('CreateExecution names no launch plan (spec.launchPlan.name)');
    const namespace = executionNamespace(execution.id);
    const configMap = launchPlanConfigMapName(lpName);
    let text: string | undefined;
    try {
      text = (await core.readNamespacedConfigMap({ name: configMap, namespace })).data?.[LAUNCH_PLAN_KEY];
    } catch (error) {
      if (statusCode(error) === 404)
        throw new Error(
          `launch plan ${lpName}: no ConfigMap ${namespace}/${configMap} (see docs/flyte.md, launch plans)`,
          { cause: error },
        );
      throw error;
    }
    if (text === undefined)
      throw new Error(`launch plan ${lpName}: ConfigMap ${namespace}/${configMap} has no key ${LAUNCH_PLAN_KEY}`);
    const parent = request.spec?.metadata?.parentNodeExecution?.executionId;
    const body = instantiateLaunchPlan(parse(text) as unknown, {
      child: execution.id,
      inputs: request.inputs ? ((LiteralMap.toJSON(request.inputs) as { literals?: LiteralsJson }).literals ?? {}) : {},
      ...(parent ? { parent: { project: parent.project, domain: parent.domain, name: parent.name } } : {}),
      acceptedAt: new Date().toISOString(),
    });
    try {
      await custom.createNamespacedCustomObject({
        group: FLYTE_GROUP,
        version: FLYTE_VERSION,
        plural: FLYTE_PLURAL,
        namespace,
        body,
      });
    } catch (error) {
      if (statusCode(error) !== 409) throw error;
    }
  };
}
