/**
 * Recovery without FlyteAdmin (`executionConfig.RecoveryExecution`): where an earlier execution's
 * node outputs are found when no admin records node executions. The rule:
 *
 * - the earlier execution's FlyteWorkflow must still exist: in this workflow's namespace when its
 *   project and domain are this one's (admin puts a project-domain's executions in one namespace),
 *   else in `<project>-<domain>`; its `status.flotilla` says which nodes succeeded and at which
 *   attempt (a node recovered or served from the cache there counts too: its outputs sit at its
 *   first attempt's place);
 * - the outputs are that attempt's `outputs.pb` in the earlier execution's data directory (Flyte's
 *   layout: `<metadata>/<project>-<domain>-<earlier name>/<node>/data/<attempt>/outputs.pb`), and
 *   must hold every output the task declares.
 *
 * Anything else (no such execution, the node did not succeed, the file is gone) means the node runs.
 * A store or API server that cannot answer is an error: the engine asks again later.
 */
import type { WorkflowStatus } from '../../api/status.js';
import type { TaskContext } from '../../engine/plugins.js';
import type { RecoveryLookup, TaskRecovery } from '../../engine/recovery.js';
import { attemptPaths } from '../../flyte/container/paths.js';
import { declaredOutputs } from '../../flyte/container/stand-in.js';
import { executionNamespace } from '../../flyte/launchplan.js';
import { decodeLiteralMap } from '../../flyte/literals/codec.js';
import { engineStatusOf } from '../../flyte/project/index.js';
import { isContainerConfig } from '../../flyte/translate/contract.js';
import { parseRecoverFrom } from '../../flyte/translate/index.js';
import type { FlyteWorkflowStatus } from '../../flyte/status.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { FlyteWorkflowClient } from './client.js';

export class BlobStoreRecovery implements TaskRecovery {
  constructor(
    private readonly client: Pick<FlyteWorkflowClient, 'get'>,
    private readonly store: BlobStore,
  ) {}

  async recover(task: TaskContext, from: string): Promise<RecoveryLookup> {
    const config = task.task.config;
    if (!isContainerConfig(config)) return { recovered: false, reason: 'only container tasks are recovered' };
    const earlier = parseRecoverFrom(from);
    if (!earlier) return { recovered: false, reason: `recovery execution ${from} is not project/domain/name` };
    const current = config.execution;
    const sameProject = earlier.project === current.project && earlier.domain === current.domain;
    const namespace = sameProject ? config.namespace : executionNamespace(earlier);
    const object = await this.client.get(namespace, earlier.name);
    if (!object)
      return { recovered: false, reason: `execution ${from} (FlyteWorkflow ${namespace}/${earlier.name}) is gone` };
    const ns = earlierNodes(object.status)?.[task.nodeId];
    if (ns?.phase !== 'Succeeded')
      return { recovered: false, reason: `node ${task.nodeId} did not succeed in ${from}` };
    const ownPrefix = `${current.project}-${current.domain}-${current.name}`;
    if (!config.dataDir.endsWith(ownPrefix))
      return { recovered: false, reason: `unexpected data directory ${config.dataDir}` };
    const dataDir = `${config.dataDir.slice(0, -ownPrefix.length)}${earlier.project}-${earlier.domain}-${earlier.name}`;
    const paths = attemptPaths({ ...config, dataDir, execution: earlier }, task.nodeId, ns.attempts ?? 1);
    if (!(await this.store.exists(paths.outputs)))
      return { recovered: false, reason: `${paths.outputs} does not exist` };
    const outputs = decodeLiteralMap(await this.store.get(paths.outputs));
    const missing = Object.keys(declaredOutputs(config.template)).filter((name) => !Object.hasOwn(outputs, name));
    if (missing.length > 0) return { recovered: false, reason: `${paths.outputs} lacks ${missing.join(', ')}` };
    return { recovered: true, outputs };
  }
}

/** The earlier execution's engine node statuses; an unreadable status recovers nothing (asking again cannot help). */
function earlierNodes(status: unknown): WorkflowStatus['nodes'] {
  try {
    return engineStatusOf(status as FlyteWorkflowStatus | undefined)?.nodes;
  } catch {
    return undefined;
  }
}
