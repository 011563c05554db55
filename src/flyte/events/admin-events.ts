/**
 * The execution events FlytePropeller would send FlyteAdmin for one round of a FlyteWorkflow,
 * made from the engine's events of that round (src/engine/events.ts). Pure: the same round gives
 * the same events, ids included, so a round redone after a crash sends what admin already has
 * (AlreadyExists) and only what it lacks.
 *
 * What FlytePropeller v1.16.8 sends, and so what this sends:
 * - workflow: RUNNING when it starts; FAILING (with the error) when it starts failing; SUCCEEDING
 *   then SUCCEEDED (`outputUri`: the end node's outputs.pb) at the end, or FAILED (error) or
 *   ABORTED. A workflow never goes back to QUEUED.
 * - nodes: QUEUED then RUNNING when a node starts (once: a retry keeps the node RUNNING, which admin
 *   already holds), then SUCCEEDED (outputs inline up to `maxInlineOutputBytes`, else `outputUri`),
 *   FAILED (error), TIMED_OUT, ABORTED or SKIPPED. The start node is one SUCCEEDED event (its
 *   outputs are the workflow's inputs); the end node QUEUED then SUCCEEDED. A branch case that was
 *   not taken gets no event (propeller only marks it skipped in the status).
 * - tasks, per attempt (`retryAttempt` from 0): QUEUED, WAITING_FOR_RESOURCES, RUNNING, then
 *   SUCCEEDED (`outputUri` of the attempt) or FAILED (error; a retryable failure too). Every
 *   phase is sent at `phaseVersion` 0: the engine reports a task phase once per change.
 * - ids: with event version ≥ 1 a node in a branch or sub-workflow is reported under its unique
 *   id (./ids.ts), with `parentNodeMetadata`, `retryGroup` and `specNodeId`; version 0 uses plain ids.
 *
 * Not reported: the translation's synthetic steps (`_cond-`, `_items-`, `_bind-`) and array items.
 */
import type { WorkflowNodeStatus, WorkflowStatus } from '../../api/status.js';
import type { ExecutionEvent } from '../../engine/events.js';
import { ON_FAILURE_PATH } from '../../engine/workflow-executor.js';
import {
  NodeExecutionEvent,
  TaskExecutionEvent,
  WorkflowExecutionEvent,
} from '../../generated/flyteidl/flyteidl/event/event.js';
import { encodeLiteralMap } from '../literals/codec.js';
import { isObject, normalizeLiterals } from '../literals/values.js';
import { executionError } from '../project/nodes.js';
import { workflowOutputsUri } from '../project/index.js';
import { isSyntheticId } from '../translate/contract.js';
import {
  END_NODE_ID,
  START_NODE_ID,
  type FlyteNodeSpec,
  type FlyteWorkflow,
  type FlyteWorkflowSpec,
} from '../types.js';
import { nodeDataPaths, type NodeAttempt } from '../../storage/layout.js';
import { childExecutionName, eventNodeId, type EventParent } from './ids.js';

/** One request for admin: which RPC, a deterministic request id, the event. */
export type AdminEvent =
  | { readonly kind: 'workflow'; readonly requestId: string; readonly event: WorkflowExecutionEvent }
  | { readonly kind: 'node'; readonly requestId: string; readonly event: NodeExecutionEvent }
  | { readonly kind: 'task'; readonly requestId: string; readonly event: TaskExecutionEvent };

/** `nodeExecutionEventVersion` / `taskExecutionEventVersion` of FlytePropeller: IsParent and IsDynamic are set. */
const EVENT_FORMAT_VERSION = 1;

/** Default largest outputs sent inline (bytes of the encoded LiteralMap); larger ones by `outputUri`. */
export const DEFAULT_MAX_INLINE_OUTPUT_BYTES = 64 * 1024;

export interface AdminEventOptions {
  /** The execution's metadata prefix (`status.dataDir`). */
  readonly dataDir: string;
  /** The engine's status before the round (undefined: a new execution). */
  readonly before: WorkflowStatus | undefined;
  /** The engine's status after the round. */
  readonly after: WorkflowStatus;
  /** `producerId`: the cluster admin expects events from. @defaultValue 'propeller' */
  readonly producerId?: string;
  /** Largest node outputs sent inline; 0 = always by reference. @defaultValue DEFAULT_MAX_INLINE_OUTPUT_BYTES */
  readonly maxInlineOutputBytes?: number;
  /** `reportedAt` (ISO 8601). */
  readonly reportedAt: string;
}

type Fw = Pick<FlyteWorkflow, 'spec' | 'subWorkflows' | 'tasks' | 'executionId' | 'workflowMeta' | 'metadata'>;

/** A node located in the FlyteWorkflow from its engine path. */
interface Located {
  readonly node: FlyteNodeSpec;
  readonly id: string;
  /** Enclosing nodes, outermost first (their attempt is 0: branch and workflow nodes do not retry here). */
  readonly lineage: readonly NodeAttempt[];
  readonly parent: EventParent | undefined;
  /** Reported node id (unique id, or the plain id with event version 0). */
  readonly reportedId: string;
  /** Directly in a branch (a case). */
  readonly inBranch: boolean;
}

export function adminEventsOf(fw: Fw, events: readonly ExecutionEvent[], options: AdminEventOptions): AdminEvent[] {
  return new AdminEventBuilder(fw, options).build(events);
}

class AdminEventBuilder {
  private readonly out: AdminEvent[] = [];
  private readonly version: number;
  private readonly execution: { project: string; domain: string; name: string };
  private readonly started = new Set<string>();

  constructor(
    private readonly fw: Fw,
    private readonly options: AdminEventOptions,
  ) {
    this.version = fw.workflowMeta?.eventVersion ?? 0;
    this.execution = {
      project: fw.executionId.project ?? '',
      domain: fw.executionId.domain ?? '',
      name: fw.executionId.name || fw.metadata.name,
    };
  }

  build(events: readonly ExecutionEvent[]): AdminEvent[] {
    for (const event of events) {
      if (event.scope === 'workflow') this.workflowEvent(event);
      else if (event.scope === 'node') this.nodeEvent(event);
      else this.taskEvent(event);
    }
    return this.out;
  }

  // ---- workflow ----

  private workflowEvent(event: ExecutionEvent): void {
    const at = event.occurredAt;
    switch (event.phase) {
      case 'Running':
        this.pushWorkflow('RUNNING', at);
        this.startNode(undefined, [], at);
        return;
      case 'Failing':
        this.pushWorkflow('FAILING', at, { error: this.workflowError(event) });
        return;
      case 'Succeeded': {
        this.endNode(undefined, [], at, workflowOutputsUri(this.options.dataDir));
        this.pushWorkflow('SUCCEEDING', at);
        const hasOutputs = Object.keys(this.fw.spec?.outputs?.variables ?? {}).length > 0;
        this.pushWorkflow('SUCCEEDED', at, hasOutputs ? { outputUri: workflowOutputsUri(this.options.dataDir) } : {});
        return;
      }
      case 'Failed':
      case 'TimedOut':
        this.pushWorkflow('FAILED', at, { error: this.workflowError(event) });
        return;
      case 'Aborted':
        this.pushWorkflow('ABORTED', at);
        return;
      default:
        return;
    }
  }

  private workflowError(event: ExecutionEvent): { code: string; message: string; kind: string } {
    const code = event.phase === 'TimedOut' ? 'ActiveDeadlineExceeded' : (event.failure?.reason ?? 'NodeFailed');
    return {
      code,
      message: event.message ?? this.options.after.message ?? '',
      kind: event.failure?.kind === 'system' ? 'SYSTEM' : 'USER',
    };
  }

  private pushWorkflow(phase: string, occurredAt: string, result: Record<string, unknown> = {}): void {
    const json = {
      executionId: this.execution,
      producerId: this.producerId(),
      phase,
      occurredAt,
      ...result,
    };
    this.out.push({
      kind: 'workflow',
      requestId: `${this.executionKey()}/wf/${phase}`,
      event: WorkflowExecutionEvent.fromJSON(json),
    });
  }

  // ---- nodes ----

  private nodeEvent(event: ExecutionEvent): void {
    const path = event.nodeId ?? '';
    const at = event.occurredAt;
    const located = this.locate(path);
    if (!located) return;
    const ns = this.options.after.nodes?.[path];
    switch (event.phase) {
      case 'Running': {
        const before = this.options.before?.nodes?.[path]?.phase;
        if ((before !== undefined && before !== 'Pending') || this.started.has(path)) return;
        this.started.add(path);
        this.pushNode(located, 'QUEUED', at);
        this.pushNode(located, 'RUNNING', at);
        if (this.subWorkflowOf(located.node)) this.startNode(located, this.childLineage(located), at);
        return;
      }
      case 'Succeeded': {
        const sub = this.subWorkflowOf(located.node);
        if (sub) {
          const lineage = this.childLineage(located);
          this.endNode(
            located,
            lineage,
            at,
            nodeDataPaths(this.options.dataDir, { nodeId: END_NODE_ID, attempt: 0 }, lineage).outputs,
          );
        }
        // A node recovered from an earlier execution ends RECOVERED, as FlytePropeller reports it.
        this.pushNode(
          located,
          event.recovered === true ? 'RECOVERED' : 'SUCCEEDED',
          at,
          this.outputsOf(located, ns, event),
        );
        return;
      }
      case 'Failed':
        this.pushNode(located, 'FAILED', at, { error: this.nodeError(ns, event) });
        return;
      case 'TimedOut':
        this.pushNode(located, 'TIMED_OUT', at, { error: this.nodeError(ns, event) });
        return;
      case 'Aborted':
        this.pushNode(located, 'ABORTED', at);
        return;
      case 'Skipped':
        if (!located.inBranch) this.pushNode(located, 'SKIPPED', at);
        return;
      default:
        return;
    }
  }

  private nodeError(
    ns: WorkflowNodeStatus | undefined,
    event: ExecutionEvent,
  ): { code: string; message: string; kind: string } {
    if (ns) return executionError(ns);
    return {
      code: event.failure?.reason ?? 'NodeFailed',
      message: event.message ?? '',
      kind: event.failure?.kind === 'system' ? 'SYSTEM' : 'USER',
    };
  }

  /** SUCCEEDED's result: the outputs inline when small, else their outputs.pb. */
  private outputsOf(
    located: Located,
    ns: WorkflowNodeStatus | undefined,
    event: ExecutionEvent,
  ): Record<string, unknown> {
    const attempt = Math.max(0, (ns?.attempts ?? 1) - 1);
    const uri = nodeDataPaths(this.options.dataDir, { nodeId: located.id, attempt }, located.lineage).outputs;
    const values = event.outputs ?? ns?.outputs;
    const limit = this.options.maxInlineOutputBytes ?? DEFAULT_MAX_INLINE_OUTPUT_BYTES;
    if (limit > 0 && isObject(values)) {
      const literals = normalizeLiterals(values);
      if (encodeLiteralMap(literals).byteLength <= limit) return { outputData: { literals } };
    }
    return { outputUri: uri };
  }

  private startNode(parent: Located | undefined, lineage: readonly NodeAttempt[], at: string): void {
    const reported = this.reportedId(parent, START_NODE_ID);
    this.pushNodeRaw(
      reported,
      START_NODE_ID,
      parent,
      'SUCCEEDED',
      at,
      { outputUri: nodeDataPaths(this.options.dataDir, { nodeId: START_NODE_ID, attempt: 0 }, lineage).outputs },
      false,
    );
  }

  private endNode(parent: Located | undefined, lineage: readonly NodeAttempt[], at: string, outputUri: string): void {
    const reported = this.reportedId(parent, END_NODE_ID);
    const inputUri = nodeDataPaths(this.options.dataDir, { nodeId: END_NODE_ID, attempt: 0 }, lineage).inputs;
    this.pushNodeRaw(reported, END_NODE_ID, parent, 'QUEUED', at, { inputUri }, false);
    this.pushNodeRaw(reported, END_NODE_ID, parent, 'SUCCEEDED', at, { inputUri, outputUri }, false);
  }

  private pushNode(located: Located, phase: string, at: string, result: Record<string, unknown> = {}): void {
    const inputUri = nodeDataPaths(this.options.dataDir, { nodeId: located.id, attempt: 0 }, located.lineage).inputs;
    const extra: Record<string, unknown> = { inputUri, ...result };
    if (located.node.name) extra['nodeName'] = located.node.name;
    if (located.node.kind === 'array') extra['isArray'] = true;
    if (located.node.workflow?.launchPlanRefId !== undefined && phase !== 'QUEUED') {
      // The child execution it launched (admin checks that it exists), named as the plugin names it.
      const attempt = Math.max(0, (this.options.after.nodes?.[this.enginePathOf(located)]?.attempts ?? 1) - 1);
      extra['workflowNodeMetadata'] = {
        executionId: {
          ...this.execution,
          name: childExecutionName(this.execution.name, eventNodeId(located.parent, located.id), attempt),
        },
      };
    }
    const parentLocated = located.parent ? { reportedId: located.parent.uniqueId } : undefined;
    this.pushNodeRaw(
      located.reportedId,
      located.id,
      parentLocated,
      phase,
      at,
      extra,
      this.subWorkflowOf(located.node) !== undefined,
    );
  }

  private pushNodeRaw(
    reportedId: string,
    specNodeId: string,
    parent: { reportedId: string } | undefined,
    phase: string,
    occurredAt: string,
    extra: Record<string, unknown>,
    isParent: boolean,
  ): void {
    const json: Record<string, unknown> = {
      id: { nodeId: reportedId, executionId: this.execution },
      producerId: this.producerId(),
      phase,
      occurredAt,
      eventVersion: EVENT_FORMAT_VERSION,
      reportedAt: this.options.reportedAt,
      ...extra,
    };
    if (this.version !== 0) {
      json['specNodeId'] = specNodeId;
      if (parent) {
        json['parentNodeMetadata'] = { nodeId: parent.reportedId };
        json['retryGroup'] = '0';
      }
    }
    if (isParent) json['isParent'] = true;
    this.out.push({
      kind: 'node',
      requestId: `${this.executionKey()}/node/${reportedId}/${phase}`,
      event: NodeExecutionEvent.fromJSON(json),
    });
  }

  // ---- tasks ----

  private taskEvent(event: ExecutionEvent): void {
    const located = this.locate(event.nodeId ?? '');
    if (!located || located.node.kind !== 'task' || located.node.task === undefined) return;
    const template = this.fw.tasks?.[located.node.task];
    if (!isObject(template) || !isObject(template['id'])) return;
    const phase = TASK_PHASES[event.phase];
    if (phase === undefined) return;
    const retryAttempt = Math.max(0, (event.attempt ?? 1) - 1);
    const paths = nodeDataPaths(this.options.dataDir, { nodeId: located.id, attempt: retryAttempt }, located.lineage);
    const json: Record<string, unknown> = {
      taskId: template['id'],
      parentNodeExecutionId: { nodeId: located.reportedId, executionId: this.execution },
      retryAttempt,
      phase,
      phaseVersion: 0,
      producerId: this.producerId(),
      occurredAt: event.occurredAt,
      inputUri: paths.inputs,
      taskType: typeof template['type'] === 'string' ? template['type'] : '',
      eventVersion: EVENT_FORMAT_VERSION,
      reportedAt: this.options.reportedAt,
      metadata: { pluginIdentifier: 'container', instanceClass: 'DEFAULT' },
    };
    if (event.message !== undefined && phase !== 'SUCCEEDED') json['reason'] = event.message;
    if (phase === 'SUCCEEDED') json['outputUri'] = paths.outputs;
    if (phase === 'FAILED')
      json['error'] = {
        code: event.failure?.reason ?? 'TaskFailed',
        message: event.failure?.message ?? event.message ?? '',
        kind: event.failure?.kind === 'system' ? 'SYSTEM' : 'USER',
      };
    this.out.push({
      kind: 'task',
      requestId: `${this.executionKey()}/task/${located.reportedId}/${retryAttempt}/${phase}/0`,
      event: TaskExecutionEvent.fromJSON(json),
    });
  }

  // ---- where a node is ----

  /** The node at an engine path (`n0`, `n0/n0-n1` in a branch, `sub/n2` in a sub-workflow), or undefined when it is not reported. */
  private locate(path: string): Located | undefined {
    const spec = this.fw.spec;
    if (!spec || path === '') return undefined;
    const segments = path.split('/');
    let scope: FlyteWorkflowSpec = spec;
    let parent: EventParent | undefined;
    const lineage: NodeAttempt[] = [];
    let inBranch = false;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] ?? '';
      if (isSyntheticId(segment)) return undefined;
      const node: FlyteNodeSpec | undefined =
        i === 0 && segment === ON_FAILURE_PATH
          ? (scope.onFailure ?? undefined)
          : Object.hasOwn(scope.nodes, segment)
            ? scope.nodes[segment]
            : undefined;
      if (!node) return undefined;
      const id = node.id || segment;
      if (i === segments.length - 1)
        return { node, id, lineage, parent, reportedId: this.reportedIdFor(parent, id), inBranch };
      const uniqueId = eventNodeId(parent, id);
      if (node.kind === 'branch') {
        inBranch = true;
      } else {
        const sub = this.subWorkflowOf(node);
        if (!sub) return undefined;
        scope = sub;
        inBranch = false;
      }
      parent = { uniqueId, attempt: 0 };
      lineage.push({ nodeId: id, attempt: 0 });
    }
    return undefined;
  }

  private enginePathOf(located: Located): string {
    return [...located.lineage.map((l) => l.nodeId), located.id].join('/');
  }

  private childLineage(located: Located): NodeAttempt[] {
    return [...located.lineage, { nodeId: located.id, attempt: 0 }];
  }

  private reportedId(parent: Located | undefined, nodeId: string): string {
    if (!parent) return nodeId;
    return this.reportedIdFor({ uniqueId: eventNodeId(parent.parent, parent.id), attempt: 0 }, nodeId);
  }

  private reportedIdFor(parent: EventParent | undefined, nodeId: string): string {
    return this.version === 0 ? nodeId : eventNodeId(parent, nodeId);
  }

  private subWorkflowOf(node: FlyteNodeSpec): FlyteWorkflowSpec | undefined {
    const ref = node.kind === 'workflow' ? node.workflow?.subWorkflowRef : undefined;
    const subs = this.fw.subWorkflows ?? {};
    return ref !== undefined && Object.hasOwn(subs, ref) ? subs[ref] : undefined;
  }

  private producerId(): string {
    return this.options.producerId ?? 'propeller';
  }

  private executionKey(): string {
    return `${this.execution.project}:${this.execution.domain}:${this.execution.name}`;
  }
}

/** The engine's task phases → flyteidl TaskExecution.Phase names. */
const TASK_PHASES: Readonly<Record<string, string>> = {
  Queued: 'QUEUED',
  WaitingForResources: 'WAITING_FOR_RESOURCES',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Aborted: 'ABORTED',
};
