/**
 * The state of one pure round: the status draft, the actions and events it produces, the earliest
 * wake-up, and the helpers every handler shares (phase transitions with their events, outputs).
 * Handlers reach sibling handlers only through {@link NodeRunner}, never by import.
 */
import type { JsonObject, JsonValue, TaskTemplate, WorkflowNode, WorkflowSpec } from '../api/schema.js';
import {
  isTerminalNodePhase,
  type NodePhase,
  type NodeStatus,
  type WorkflowNodeStatus,
  type WorkflowStatus,
} from '../api/status.js';
import { Labels, type Workflow } from '../api/workflow.js';
import { nodeEventId, taskEventId, type ExecutionEvent } from './events.js';
import type { TaskContext, WorkflowIdentity } from './plugins.js';
import type { BackoffOptions } from './backoff.js';
import { iso } from '../api/duration.js';
import { OutputsNotLoaded } from './errors.js';
import type { EngineAction, EngineOptions, Observations } from './types.js';

/** Where bindings of a node are resolved: sibling prefix, inputs in view, the array item. */
export interface Scope {
  /** Prefix of sibling node paths: `''` at the root, `sub/` inside the workflow node `sub`. */
  readonly prefix: string;
  readonly inputs: Readonly<Record<string, JsonValue>>;
  readonly item?: { readonly value: JsonValue };
  /** Sub-workflow nesting depth (0 at the root). */
  readonly depth: number;
  /** Stop starting new nodes as soon as one fails (FailImmediately). */
  readonly failFast: boolean;
}

export interface NodeRef {
  readonly path: string;
  readonly node: WorkflowNode;
  readonly ns: WorkflowNodeStatus;
  readonly scope: Scope;
}

export interface DagResult {
  readonly total: number;
  readonly terminal: number;
  readonly succeeded: number;
  /** Nodes that ended Failed, TimedOut or Aborted. */
  readonly failed: number;
  readonly allTerminal: boolean;
  /** Message of the first failed node, for the parent's message. */
  readonly firstFailure?: string;
}

/** How handlers run nested nodes (a branch's case, an array's item, a sub-workflow's DAG). */
export interface NodeRunner {
  runNode(ctx: RoundContext, ref: NodeRef): void;
  runDag(ctx: RoundContext, scope: Scope, nodes: readonly WorkflowNode[]): DagResult;
  /** Aborts every non-terminal node at `path` and below it (and its tasks and children). */
  abortSubtree(ctx: RoundContext, path: string, reason: string): void;
  /** Aborts one node: its running task (abortTask) or child (deleteChildWorkflow); Aborted, or Skipped if never started. */
  abortNode(ctx: RoundContext, path: string, ns: NodeStatus, reason: string): void;
}

export interface ResolvedOptions {
  readonly maxInlineOutputBytes: number;
  readonly maxOutputBytes: number;
  readonly systemRetries: number;
  readonly backoff: BackoffOptions;
  readonly checkIntervalMs: number;
  readonly childCheckIntervalMs: number;
  readonly maxDepth: number;
  readonly interruptibleFailureThreshold: number;
  readonly cacheHeartbeatMs: number;
}

export function resolveOptions(options: EngineOptions | undefined): ResolvedOptions {
  return {
    maxInlineOutputBytes: options?.maxInlineOutputBytes ?? 16_384,
    maxOutputBytes: options?.maxOutputBytes ?? Number.POSITIVE_INFINITY,
    systemRetries: options?.systemRetries ?? 3,
    backoff: options?.backoff ?? {},
    checkIntervalMs: options?.checkIntervalMs ?? 1000,
    childCheckIntervalMs: options?.childCheckIntervalMs ?? 2000,
    maxDepth: options?.maxDepth ?? 32,
    interruptibleFailureThreshold: options?.interruptibleFailureThreshold ?? -1,
    cacheHeartbeatMs: options?.cacheHeartbeatMs ?? 10_000,
  };
}

const FAILED_PHASES: readonly string[] = ['Failed', 'TimedOut', 'Aborted'];
export function isFailedPhase(phase: string | undefined): boolean {
  return phase !== undefined && FAILED_PHASES.includes(phase);
}

export class RoundContext {
  readonly spec: WorkflowSpec;
  readonly nowIso: string;
  readonly identity: WorkflowIdentity;
  readonly actions: EngineAction[] = [];
  readonly events: ExecutionEvent[] = [];
  readonly outputCache = new Map<string, JsonObject>();
  private readonly loading = new Set<string>();
  private wakeAt: number | undefined;
  /** Task and array nodes of `nodes` that run now (for `maxParallelism`); counted on first use. */
  private active: number | undefined;

  constructor(
    readonly workflow: Workflow,
    readonly status: WorkflowStatus,
    readonly now: number,
    readonly options: ResolvedOptions,
    readonly observations: Observations,
    readonly runner: NodeRunner,
  ) {
    this.spec = workflow.spec;
    this.nowIso = iso(now);
    const meta = workflow.metadata;
    const shard = meta.labels?.[Labels.shard];
    this.identity = {
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      ...(shard !== undefined ? { shard } : {}),
    };
    for (const [ref, value] of Object.entries(observations.outputs ?? {})) this.outputCache.set(ref, value);
  }

  get nodes(): Record<string, WorkflowNodeStatus> {
    this.status.nodes ??= {};
    return this.status.nodes;
  }

  /** Ask to be woken at `atMs` (the earliest request wins). */
  wake(atMs: number): void {
    if (this.wakeAt === undefined || atMs < this.wakeAt) this.wakeAt = atMs;
  }

  requeueAfterMs(): number | undefined {
    return this.wakeAt === undefined ? undefined : Math.max(0, this.wakeAt - this.now);
  }

  emit(action: EngineAction): void {
    this.actions.push(action);
  }

  /** The status of the node at `path`, created Pending when absent. */
  nodeStatus(path: string, node: WorkflowNode): WorkflowNodeStatus {
    let ns = this.nodes[path];
    if (!ns) {
      ns = { phase: 'Pending', kind: node.kind };
      this.nodes[path] = ns;
    }
    return ns;
  }

  /** Moves a node to `phase`, stamps times, and records the node event (once per phase). */
  setPhase(path: string, ns: NodeStatus, phase: NodePhase, detail: { message?: string; reason?: string } = {}): void {
    if (detail.message !== undefined) ns.message = detail.message;
    if (detail.reason !== undefined) ns.reason = detail.reason;
    if (ns.phase === phase) return;
    if (this.active !== undefined && this.nodes[path] === ns && countsForParallelism(ns))
      this.active += Number(isActivePhase(phase)) - Number(isActivePhase(ns.phase));
    ns.phase = phase;
    if (phase === 'Running' && ns.startedAt === undefined) ns.startedAt = this.nowIso;
    if (isTerminalNodePhase(phase)) {
      ns.finishedAt = this.nowIso;
      delete ns.waitingFor;
      delete ns.nextCheckAt;
      delete ns.taskPhase;
    }
    const event: ExecutionEvent = {
      id: nodeEventId(this.identity.uid, path, phase),
      scope: 'node',
      workflow: { namespace: this.identity.namespace, name: this.identity.name, uid: this.identity.uid },
      nodeId: path,
      phase,
      occurredAt: this.nowIso,
      ...(detail.message !== undefined ? { message: detail.message } : {}),
      ...(phase === 'Succeeded' && ns.outputs !== undefined ? { outputs: ns.outputs as JsonObject } : {}),
      ...(phase === 'Succeeded' && ns.outputRef !== undefined ? { outputRef: ns.outputRef } : {}),
      ...(ns.cacheStatus !== undefined ? { cacheStatus: ns.cacheStatus } : {}),
      ...(ns.recovered === true ? { recovered: true } : {}),
    };
    this.events.push(event);
  }

  taskEvent(
    path: string,
    attempt: number,
    phase: string,
    extra: Partial<Pick<ExecutionEvent, 'message' | 'failure' | 'outputs' | 'outputRef'>> = {},
  ): void {
    this.events.push({
      id: taskEventId(this.identity.uid, path, attempt, phase),
      scope: 'task',
      workflow: { namespace: this.identity.namespace, name: this.identity.name, uid: this.identity.uid },
      nodeId: path,
      attempt,
      phase,
      occurredAt: this.nowIso,
      ...extra,
    });
  }

  /** Stores a node's outputs inline, or offloads them when large (the ref is deterministic). */
  recordOutputs(path: string, ns: NodeStatus, outputs: JsonObject): void {
    const size = Buffer.byteLength(JSON.stringify(outputs));
    if (size > this.options.maxInlineOutputBytes) {
      const ref = outputRefFor(this.identity.uid, path);
      this.outputCache.set(ref, outputs);
      this.emit({ type: 'offloadOutputs', nodeId: path, ref, outputs });
      ns.outputRef = ref;
      delete ns.outputs;
    } else {
      ns.outputs = outputs;
      delete ns.outputRef;
    }
  }

  /** A node's outputs; throws {@link OutputsNotLoaded} when they sit in the store and are not loaded. */
  readOutputs(ns: NodeStatus): JsonObject {
    if (ns.outputRef !== undefined) {
      const cached = this.outputCache.get(ns.outputRef);
      if (cached === undefined) throw new OutputsNotLoaded(ns.outputRef);
      return cached;
    }
    return isJsonObject(ns.outputs) ? ns.outputs : {};
  }

  /** FlytePropeller's rule: past the threshold of system failures an interruptible task is not interruptible. */
  private pastInterruptibleThreshold(ns: NodeStatus): boolean {
    const threshold = this.options.interruptibleFailureThreshold;
    const failures = ns.systemFailures ?? 0;
    if (threshold > 0) return failures >= threshold;
    return failures >= this.options.systemRetries + 1 + threshold;
  }

  /** Asks the driver to load a ref (once per round). */
  requestLoad(ref: string): void {
    if (this.loading.has(ref)) return;
    this.loading.add(ref);
    this.emit({ type: 'loadOutputs', ref });
  }

  /**
   * Whether the node at `path` may start now under the workflow's `maxParallelism` (task and array
   * nodes running at once; Flyte's MaxParallelism). A node held back stays Pending and the round
   * comes back after `checkIntervalMs`.
   */
  mayStart(path: string, ns: NodeStatus): boolean {
    const limit = this.spec.maxParallelism;
    if (limit === undefined || limit <= 0 || this.nodes[path] !== ns || !countsForParallelism(ns)) return true;
    this.active ??= Object.values(this.nodes).filter((n) => countsForParallelism(n) && isActivePhase(n.phase)).length;
    if (this.active < limit) return true;
    this.wake(this.now + this.options.checkIntervalMs);
    return false;
  }

  /** The plugin's view of one task attempt. */
  taskContext(path: string, ns: NodeStatus, taskName: string, task: TaskTemplate, inputs: JsonObject): TaskContext {
    return {
      workflow: this.identity,
      nodeId: path,
      attempt: ns.attempts ?? 1,
      taskName,
      task:
        task.interruptible === true && this.pastInterruptibleThreshold(ns) ? { ...task, interruptible: false } : task,
      inputs,
      attemptStartedAt: ns.attemptStartedAt ?? this.nowIso,
      ...(isJsonObject(ns.pluginState) ? { pluginState: ns.pluginState } : {}),
    };
  }
}

/** Task and array nodes count against `maxParallelism` (Flyte counts task, array and launch-plan nodes). */
function countsForParallelism(ns: NodeStatus): boolean {
  return ns.kind === 'task' || ns.kind === 'array';
}

function isActivePhase(phase: string | undefined): boolean {
  return phase === 'Running' || phase === 'WaitingForRetry';
}

export function outputRefFor(uid: string, path: string): string {
  return `${uid}/${path}`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The task template with the node's overrides of retries, timeout and interruptible applied. */
export function effectiveTask(template: TaskTemplate, node: WorkflowNode): TaskTemplate {
  const task: TaskTemplate = { ...template };
  if (node.retries !== undefined) task.retries = node.retries;
  if (node.timeout !== undefined) task.timeout = node.timeout;
  if (node.interruptible !== undefined) task.interruptible = node.interruptible;
  return task;
}
