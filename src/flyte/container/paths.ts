/**
 * The blob paths of one container attempt, in Flyte's layout (src/storage/layout.ts): what the
 * in-process plugin, the sandbox's kubelet stand-in and the pod-based plugin all agree on.
 */
import {
  checkpointPrefix,
  nodeDataPaths,
  rawOutputPrefix,
  uniqueNodeId,
  type NodeAttempt,
  type NodeDataPaths,
} from '../../storage/layout.js';
import { joinBlobUri } from '../../storage/uri.js';
import type { ContainerTaskConfig } from '../translate/contract.js';
import { uniqueKeyOf, type TemplateParams } from './template.js';
import type { LiteralsJson } from '../literals/values.js';

export interface AttemptPaths extends NodeDataPaths {
  /** The Flyte path of the node (`n0`, `n0/n0-n1`, `sub/n2`, `arr/3`): what stand-in selectors match. */
  readonly path: string;
  readonly rawOutputPrefix: string;
  readonly checkpointPrefix: string;
  /** The previous attempt's checkpoints, `''` on the first attempt. */
  readonly prevCheckpointPrefix: string;
  /** `<dataDir>/task.pb`. */
  readonly taskTemplate: string;
  readonly uniqueKey: string;
}

/** Paths of attempt `attempt` (1-based, the engine's count) of the node the config describes; `enginePath` gives an array item's index. */
export function attemptPaths(config: ContainerTaskConfig, enginePath: string, attempt: number): AttemptPaths {
  const ids = [...config.parents, config.nodeId];
  if (config.arrayItem === true) ids.push(enginePath.slice(enginePath.lastIndexOf('/') + 1));
  const last = ids[ids.length - 1] ?? config.nodeId;
  // Enclosing nodes (branch, sub-workflow, array) do not retry in Flyte: their attempt is 0.
  const parents: NodeAttempt[] = ids.slice(0, -1).map((nodeId) => ({ nodeId, attempt: 0 }));
  const node: NodeAttempt = { nodeId: last, attempt: attempt - 1 };
  const data = nodeDataPaths(config.dataDir, node, parents);
  const raw = rawOutputPrefix(config.rawOutputRoot, config.execution, node, parents);
  const prev =
    attempt > 1
      ? checkpointPrefix(
          rawOutputPrefix(config.rawOutputRoot, config.execution, { nodeId: last, attempt: attempt - 2 }, parents),
        )
      : '';
  return {
    ...data,
    path: ids.join('/'),
    rawOutputPrefix: raw,
    checkpointPrefix: checkpointPrefix(raw),
    prevCheckpointPrefix: prev,
    taskTemplate: joinBlobUri(data.dataDir, 'task.pb'),
    uniqueKey: uniqueKeyOf(`${config.execution.name}-${uniqueNodeId(node, parents)}-${attempt - 1}`),
  };
}

/** The template values of an attempt. */
export function templateParams(config: ContainerTaskConfig, paths: AttemptPaths, inputs: LiteralsJson): TemplateParams {
  return {
    inputPath: paths.inputs,
    inputPrefix: paths.dataDir,
    outputPrefix: paths.outputDir,
    rawOutputDataPrefix: paths.rawOutputPrefix,
    checkpointOutputPrefix: paths.checkpointPrefix,
    prevCheckpointPrefix: paths.prevCheckpointPrefix,
    perRetryUniqueKey: paths.uniqueKey,
    taskTemplatePath: paths.taskTemplate,
    namespace: config.namespace,
    inputs,
  };
}
