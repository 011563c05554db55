/**
 * Engine node statuses → Flyte's `nodeStatus` map for one workflow scope. Engine paths nest with
 * `/` (`n0/n0-n1` for a branch case, `sub/n2` inside a sub-workflow); Flyte puts a branch's case
 * beside its branch (with `parentNode`) and a sub-workflow's nodes under `subNodeStatus`. The
 * translation's synthetic steps are not shown: a failed step fails the node it serves. Pure.
 */
import type { WorkflowNodeStatus } from '../../api/status.js';
import { branchChain, caseParents } from '../translate/cases.js';
import { SyntheticPrefix } from '../translate/contract.js';
import { END_NODE_ID, START_NODE_ID, type FlyteNodeSpec, type FlyteWorkflowSpec } from '../types.js';
import {
  ArrayNodePhase,
  BranchNodePhase,
  GateNodePhase,
  NodePhase,
  TaskPhase,
  WorkflowNodePhase,
  type FlyteNodeStatus,
} from '../status.js';

/** What projecting one scope needs. */
export interface ScopeView {
  readonly spec: FlyteWorkflowSpec;
  /** Engine path prefix of the scope (`''`, `n0/`). */
  readonly prefix: string;
  readonly engine: Readonly<Record<string, WorkflowNodeStatus>>;
  readonly subWorkflows: Readonly<Record<string, FlyteWorkflowSpec>>;
  /** The scope started (its start node counts as succeeded). */
  readonly started: boolean;
  /** The scope succeeded (its end node counts as succeeded). */
  readonly succeeded: boolean;
  readonly depth: number;
}

const MAX_MESSAGE = 1024;

export function nodePhaseOf(ns: WorkflowNodeStatus): number {
  switch (ns.phase) {
    case 'Pending':
      return NodePhase.NotYetStarted;
    case 'Running':
      return ns.taskPhase === 'Starting' ? NodePhase.Queued : NodePhase.Running;
    case 'WaitingForRetry':
      return NodePhase.RetryableFailure;
    case 'Succeeded':
      return ns.recovered === true ? NodePhase.Recovered : NodePhase.Succeeded;
    case 'Skipped':
      return NodePhase.Skipped;
    case 'TimedOut':
      return NodePhase.TimedOut;
    case 'Failed':
    case 'Aborted':
      return NodePhase.Failed;
  }
}

function taskPhaseOf(ns: WorkflowNodeStatus): number {
  switch (ns.phase) {
    case 'Running':
      return ns.taskPhase === 'Running' ? TaskPhase.Running : TaskPhase.Queued;
    case 'WaitingForRetry':
      return TaskPhase.RetryableFailure;
    case 'Succeeded':
      return TaskPhase.Success;
    case 'Aborted':
      return TaskPhase.Aborted;
    case 'Failed':
    case 'TimedOut':
      return TaskPhase.PermanentFailure;
    default:
      return TaskPhase.Undefined;
  }
}

/** ExecutionError in protobuf JSON for a failed engine node. */
export function executionError(ns: Pick<WorkflowNodeStatus, 'reason' | 'message' | 'lastFailure'>): {
  code: string;
  message: string;
  kind: string;
} {
  const kind = ns.lastFailure?.kind === 'system' || ns.reason === 'Unsupported' ? 'SYSTEM' : 'USER';
  return {
    code: ns.reason ?? ns.lastFailure?.reason ?? 'NodeFailed',
    message: (ns.message ?? '').slice(0, MAX_MESSAGE),
    kind,
  };
}

/** The first failed synthetic step serving node `id` (its branch condition, array split or a binding). */
function failedStep(view: ScopeView, id: string): WorkflowNodeStatus | undefined {
  const names = [`${SyntheticPrefix.cond}${id}`, `${SyntheticPrefix.items}${id}`];
  for (const [path, ns] of Object.entries(view.engine)) {
    if (!path.startsWith(view.prefix) || ns.phase !== 'Failed') continue;
    const rest = path.slice(view.prefix.length);
    if (names.includes(rest) || rest.startsWith(`${SyntheticPrefix.bind}${id}-`)) return ns;
  }
  return undefined;
}

function project(view: ScopeView, node: FlyteNodeSpec, path: string, ns: WorkflowNodeStatus): FlyteNodeStatus {
  const out: FlyteNodeStatus = {};
  const phase = nodePhaseOf(ns);
  if (phase !== NodePhase.NotYetStarted) out.phase = phase;
  if (ns.startedAt !== undefined) {
    out.queuedAt = ns.startedAt;
    out.startedAt = ns.startedAt;
  }
  if (ns.finishedAt !== undefined) out.stoppedAt = ns.finishedAt;
  const updated = ns.finishedAt ?? ns.attemptStartedAt ?? ns.startedAt;
  if (updated !== undefined) out.lastUpdatedAt = updated;
  if (ns.attemptStartedAt !== undefined) out.laStartedAt = ns.attemptStartedAt;
  if (ns.message !== undefined) out.message = ns.message.slice(0, MAX_MESSAGE);
  // Flyte counts attempts from 0: `attempts` is the current attempt's index (its output directory).
  if ((ns.attempts ?? 0) > 1) out.attempts = (ns.attempts ?? 1) - 1;
  if ((ns.systemFailures ?? 0) > 0) out.systemFailures = ns.systemFailures ?? 0;
  if (ns.cacheStatus !== undefined) out.cacheStatus = ns.cacheStatus;
  if (ns.cacheStatus === 'CACHE_HIT') out.cached = true;
  const failed = ns.phase === 'Failed' || ns.phase === 'Aborted' || ns.phase === 'TimedOut';
  if (failed) out.error = executionError(ns);
  const running = ns.phase === 'Running' || ns.phase === 'WaitingForRetry';
  switch (node.kind) {
    case 'task':
      out.TaskNodeStatus = {
        ...(taskPhaseOf(ns) !== 0 ? { phase: taskPhaseOf(ns) } : {}),
        updAt: updated ?? '0001-01-01T00:00:00Z',
      };
      break;
    case 'branch':
      // The engine records the else case as `else`; Flyte names the node.
      out.branchStatus =
        ns.branchTaken !== undefined
          ? {
              phase: BranchNodePhase.Success,
              finalNodeId: ns.branchTaken === 'else' ? (node.branch?.else ?? 'else') : ns.branchTaken,
            }
          : failed
            ? { phase: BranchNodePhase.Error }
            : {};
      break;
    case 'workflow': {
      out.workflowNodeStatus = running
        ? { phase: WorkflowNodePhase.Executing }
        : failed
          ? { phase: WorkflowNodePhase.Failing }
          : {};
      const ref = node.workflow?.subWorkflowRef;
      const sub = ref !== undefined && Object.hasOwn(view.subWorkflows, ref) ? view.subWorkflows[ref] : undefined;
      if (sub && view.depth < 32) {
        const inner = projectNodes({
          ...view,
          spec: sub,
          prefix: `${path}/`,
          started: ns.phase !== 'Pending',
          succeeded: ns.phase === 'Succeeded',
          depth: view.depth + 1,
        });
        if (Object.keys(inner).length > 0) out.subNodeStatus = inner;
      }
      break;
    }
    case 'gate':
      if (running) out.gateNodeStatus = { phase: GateNodePhase.Executing };
      break;
    case 'array':
      out.arrayNodeStatus = {
        phase: running
          ? ArrayNodePhase.Executing
          : failed
            ? ArrayNodePhase.Failing
            : ns.phase === 'Succeeded'
              ? ArrayNodePhase.Succeeding
              : ArrayNodePhase.None,
      };
      break;
  }
  return out;
}

/** Flyte's `nodeStatus` for one scope (a sub-workflow's goes in its node's `subNodeStatus`). */
export function projectNodes(view: ScopeView): Record<string, FlyteNodeStatus> {
  const out: Record<string, FlyteNodeStatus> = {};
  const parents = caseParents(view.spec);
  for (const [id, node] of Object.entries(view.spec.nodes)) {
    if (id === START_NODE_ID) {
      if (view.started) out[id] = { phase: NodePhase.Succeeded };
      continue;
    }
    if (id === END_NODE_ID) {
      if (view.succeeded) out[id] = { phase: NodePhase.Succeeded };
      continue;
    }
    const chain = branchChain(parents, id);
    const path = `${view.prefix}${[...chain, id].join('/')}`;
    const ns = view.engine[path];
    const step = failedStep(view, id);
    if (step && (!ns || ns.phase === 'Pending' || ns.phase === 'Skipped')) {
      out[id] = {
        phase: NodePhase.Failed,
        ...(step.finishedAt !== undefined ? { stoppedAt: step.finishedAt } : {}),
        message: (step.message ?? '').slice(0, MAX_MESSAGE),
        error: executionError(step),
      };
    } else if (ns && ns.phase !== 'Pending') {
      out[id] = project(view, node, path, ns);
    } else continue;
    const parent = chain[chain.length - 1];
    if (parent !== undefined) {
      const entry = out[id];
      if (entry) entry.parentNode = parent;
    }
  }
  return out;
}
