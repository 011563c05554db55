/**
 * The engine's status ↔ Flyte's status format. Pure.
 *
 * `projectFlyteStatus` writes what FlytePropeller would (`phase` as a WorkflowPhase number,
 * `nodeStatus` by node id with NodePhase numbers, attempts, messages, times, nested
 * `subNodeStatus`, `error` on failure) and keeps the engine's own status under `status.flotilla`.
 * Why keep it: Flyte's status cannot carry what a round resumes from — user and system failures
 * counted apart, the next retry or check time, plugin state, array items' progress, the branch
 * case taken by engine path, node outputs — so reading it back from Flyte's fields would lose
 * state. The CRD (ours and Flyte's) preserves unknown fields, and Flyte's Go readers ignore them.
 * `engineStatusOf` reads it back for the next round; the round-trip is exact.
 */
import type { JsonObject } from '../../api/schema.js';
import type { WorkflowStatus } from '../../api/status.js';
import { ON_FAILURE_PATH } from '../../engine/workflow-executor.js';
import { FlyteError } from '../errors.js';
import { completedTimeLabel, FlyteLabels, TERMINATED } from '../metadata.js';
import { isObject } from '../literals/values.js';
import {
  isTerminalWorkflowPhase,
  WorkflowPhase,
  type FlotillaEngineState,
  type FlyteWorkflowStatus,
} from '../status.js';
import type { FlyteWorkflow } from '../types.js';
import { nodeDataPaths, endNodeId } from '../../storage/layout.js';
import { executionError, projectNodes } from './nodes.js';

/** The layout version of `status.flotilla.engine`. */
export const ENGINE_STATE_VERSION = 1;

export interface ProjectOptions {
  /** The execution's metadata prefix (`status.dataDir`). */
  readonly dataDir: string;
  /** The clock (ms), for `lastUpdatedAt`. */
  readonly now: number;
}

const MAX_MESSAGE = 1024;

/** The WorkflowPhase number for the engine's status (TimedOut is Failed in Flyte, with the deadline in the message). */
export function workflowPhaseOf(engine: WorkflowStatus, hasFailureNode: boolean): number {
  switch (engine.phase) {
    case undefined:
    case 'Pending':
      return WorkflowPhase.Ready;
    case 'Running':
      return WorkflowPhase.Running;
    case 'Succeeding':
      return WorkflowPhase.Succeeding;
    case 'Succeeded':
      return WorkflowPhase.Succeeded;
    case 'Failing': {
      const ns = engine.nodes?.[ON_FAILURE_PATH];
      return hasFailureNode && ns !== undefined && ns.phase !== 'Pending'
        ? WorkflowPhase.HandlingFailureNode
        : WorkflowPhase.Failing;
    }
    case 'Failed':
    case 'TimedOut':
      return WorkflowPhase.Failed;
    case 'Aborted':
      return WorkflowPhase.Aborted;
  }
}

/** Where the workflow's outputs go: the end node's outputs.pb, as FlytePropeller writes it. */
export function workflowOutputsUri(dataDir: string): string {
  return nodeDataPaths(dataDir, { nodeId: endNodeId, attempt: 0 }).outputs;
}

export function projectFlyteStatus(
  fw: Pick<FlyteWorkflow, 'spec' | 'subWorkflows'>,
  engine: WorkflowStatus,
  options: ProjectOptions,
): FlyteWorkflowStatus & { flotilla: FlotillaEngineState } {
  const spec = fw.spec;
  const phase = workflowPhaseOf(engine, spec?.onFailure !== undefined);
  const status: FlyteWorkflowStatus & { flotilla: FlotillaEngineState } = {
    phase,
    ...(engine.startedAt !== undefined ? { startedAt: engine.startedAt } : {}),
    ...(engine.finishedAt !== undefined ? { stoppedAt: engine.finishedAt } : {}),
    lastUpdatedAt: new Date(options.now).toISOString(),
    ...(engine.message !== undefined ? { message: engine.message.slice(0, MAX_MESSAGE) } : {}),
    dataDir: options.dataDir,
    defVersion: 1,
    flotilla: { version: ENGINE_STATE_VERSION, engine: JSON.parse(JSON.stringify(engine)) as JsonObject },
  };
  if (phase === WorkflowPhase.Succeeded) status.outputRef = workflowOutputsUri(options.dataDir);
  if (phase === WorkflowPhase.Failed || phase === WorkflowPhase.Aborted) {
    status.error = {
      code:
        engine.phase === 'TimedOut' ? 'ActiveDeadlineExceeded' : engine.phase === 'Aborted' ? 'Aborted' : 'NodeFailed',
      message: (engine.message ?? '').slice(0, MAX_MESSAGE),
      kind: 'USER',
    };
  }
  if (spec) {
    const nodes = projectNodes({
      spec,
      prefix: '',
      engine: engine.nodes ?? {},
      subWorkflows: fw.subWorkflows ?? {},
      started: phase !== WorkflowPhase.Ready,
      succeeded: phase === WorkflowPhase.Succeeded,
      depth: 0,
    });
    const failure = engine.nodes?.[ON_FAILURE_PATH];
    if (spec.onFailure && failure && failure.phase !== 'Pending') {
      const projected = projectNodes({
        spec: { ...spec, nodes: { [spec.onFailure.id]: spec.onFailure } },
        prefix: '',
        engine: { [spec.onFailure.id]: failure },
        subWorkflows: fw.subWorkflows ?? {},
        started: true,
        succeeded: false,
        depth: 0,
      });
      Object.assign(nodes, projected);
      const entry = nodes[spec.onFailure.id];
      if (entry && failure.phase === 'Failed') entry.error = executionError(failure);
    }
    if (Object.keys(nodes).length > 0) status.nodeStatus = nodes;
  }
  return status;
}

/** The engine status kept in a Flyte status, for the next round; `undefined` when none was kept (a new execution). Throws `BadEngineState`. */
export function engineStatusOf(status: FlyteWorkflowStatus | undefined): WorkflowStatus | undefined {
  const kept: unknown = status?.flotilla;
  if (kept === undefined) return undefined;
  if (!isObject(kept) || !isObject(kept['engine']))
    throw new FlyteError('BadEngineState', 'status.flotilla: must be {version, engine}');
  if (kept['version'] !== ENGINE_STATE_VERSION)
    throw new FlyteError(
      'BadEngineState',
      `status.flotilla.version: ${JSON.stringify(kept['version'])} is not ${ENGINE_STATE_VERSION}`,
    );
  return JSON.parse(JSON.stringify(kept['engine'])) as WorkflowStatus;
}

/**
 * The labels FlytePropeller puts on a finished workflow (`termination-status: terminated`,
 * `completed-time: YYYY-MM-DD.HH` of `stoppedAt`, else of `now`); `{}` while it runs. For the
 * controller to merge into metadata.labels.
 */
export function completionLabels(
  status: Pick<FlyteWorkflowStatus, 'phase' | 'stoppedAt'> | undefined,
  now: number,
): Record<string, string> {
  if (!status || !isTerminalWorkflowPhase(status.phase)) return {};
  const at =
    status.stoppedAt !== undefined && !Number.isNaN(Date.parse(status.stoppedAt))
      ? new Date(status.stoppedAt)
      : new Date(now);
  return { [FlyteLabels.terminationStatus]: TERMINATED, [FlyteLabels.completedTime]: completedTimeLabel(at) };
}
