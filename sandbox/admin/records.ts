/**
 * The recording admin's state and rules: what FlyteAdmin v1.16.8 accepts and rejects of execution
 * events (flyteadmin's execution, node execution and task execution managers), kept in memory.
 * Pure of gRPC: the server (./server.ts) turns a `Rejection` into a status.
 *
 * Rules, as admin enforces them:
 * - workflow: an event for the phase already recorded → AlreadyExists (QUEUED excepted); after a
 *   terminal phase (SUCCEEDED, FAILED, ABORTED, TIMED_OUT) → FailedPrecondition with
 *   EventFailureReason.alreadyInTerminalState; RUNNING → QUEUED → FailedPrecondition.
 * - node: the first event creates the node execution; the same phase again → AlreadyExists; any
 *   event after a terminal phase → alreadyInTerminalState.
 * - task (keyed by task id, node execution and retry attempt): its node execution must exist
 *   (NotFound); the same phase at a phase version not above the recorded one → AlreadyExists;
 *   after a terminal phase → alreadyInTerminalState.
 * - cluster: an execution belongs to the cluster that created it (`producerId` of its first
 *   event, or `assignCluster`); an event from another producer (neither empty nor the legacy
 *   default `propeller`) → FailedPrecondition with EventFailureReason.incompatibleCluster.
 *
 * - node executions are kept as their events leave them (phase, input URI, outputs inline or by URI,
 *   error) for GetNodeExecution / GetNodeExecutionData (recovery reads them).
 *
 * Unlike admin, an event for an execution it has never seen creates that execution: in the
 * sandbox FlyteWorkflows are applied with kubectl, not created through CreateExecution.
 */
import {
  WorkflowExecution_Phase,
  NodeExecution_Phase,
  TaskExecution_Phase,
} from '../../src/generated/flyteidl/flyteidl/core/execution.js';
import type { WorkflowExecutionIdentifier, Identifier } from '../../src/generated/flyteidl/flyteidl/core/identifier.js';
import {
  NodeExecutionEvent,
  TaskExecutionEvent,
  WorkflowExecutionEvent,
} from '../../src/generated/flyteidl/flyteidl/event/event.js';
import type { LiteralMap } from '../../src/generated/flyteidl/flyteidl/core/literals.js';

/** Why an event was refused, for the server to map onto a gRPC status. */
export type Rejection =
  | { readonly code: 'AlreadyExists'; readonly message: string }
  | { readonly code: 'NotFound'; readonly message: string }
  | { readonly code: 'InvalidArgument'; readonly message: string }
  | { readonly code: 'FailedPrecondition'; readonly message: string }
  | { readonly code: 'AlreadyInTerminalState'; readonly message: string; readonly currentPhase: string }
  | { readonly code: 'IncompatibleCluster'; readonly message: string; readonly cluster: string };

/** One accepted event, in arrival order. */
export interface RecordedEvent {
  readonly kind: 'workflow' | 'node' | 'task';
  readonly requestId: string;
  /** `project:domain:name` of the execution. */
  readonly execution: string;
  /** Node id as reported (unique id); absent for workflow events. */
  readonly nodeId?: string;
  /** Task events: the task name and retry attempt. */
  readonly task?: string;
  readonly retryAttempt?: number;
  readonly phase: string;
  readonly phaseVersion?: number;
  /** The event in protobuf JSON. */
  readonly event: unknown;
}

/** An execution admin knows of. */
export interface ExecutionRecord {
  readonly id: { project: string; domain: string; name: string };
  cluster: string;
  phase: string;
  /** Set by CreateExecution: the launch plan it runs and its inputs (protobuf JSON). */
  launchPlan?: unknown;
  inputs?: unknown;
  /** Outputs reference or error of the workflow's last event. */
  outputUri?: string;
  error?: unknown;
}

/** A node execution admin knows of: its latest phase and result (from the events it accepted). */
export interface NodeExecutionRecord {
  phase: string;
  inputUri?: string;
  outputUri?: string;
  /** Outputs sent inline (`outputData`). */
  outputData?: LiteralMap;
  error?: unknown;
}

const TERMINAL_WORKFLOW = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']);
const TERMINAL_NODE = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'SKIPPED', 'TIMED_OUT', 'RECOVERED']);
const TERMINAL_TASK = new Set(['SUCCEEDED', 'FAILED', 'ABORTED']);
/** The producer id old propellers hard-code; admin accepts it from any cluster. */
const DEFAULT_PRODUCER_ID = 'propeller';

export function executionKey(id: Pick<WorkflowExecutionIdentifier, 'project' | 'domain' | 'name'> | undefined): string {
  return `${id?.project ?? ''}:${id?.domain ?? ''}:${id?.name ?? ''}`;
}

function taskKey(id: Identifier | undefined): string {
  return `${id?.project ?? ''}:${id?.domain ?? ''}:${id?.name ?? ''}:${id?.version ?? ''}`;
}

export class AdminRecords {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly nodes = new Map<string, string>();
  private readonly nodeRecords = new Map<string, NodeExecutionRecord>();
  private readonly tasks = new Map<string, { phase: string; version: number }>();
  private readonly recorded: RecordedEvent[] = [];
  private readonly listeners = new Set<(event: RecordedEvent) => void>();

  /** Every accepted event, in order. */
  events(execution?: string): RecordedEvent[] {
    return execution === undefined ? [...this.recorded] : this.recorded.filter((e) => e.execution === execution);
  }

  execution(key: string): ExecutionRecord | undefined {
    return this.executions.get(key);
  }

  /** A node execution as its accepted events left it (GetNodeExecution, GetNodeExecutionData). */
  nodeExecution(execution: string, nodeId: string): NodeExecutionRecord | undefined {
    return this.nodeRecords.get(`${execution}/${nodeId}`);
  }

  /** Hears every accepted event (for a log file). */
  onRecord(listener: (event: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Creates an execution (CreateExecution); false when the name exists. */
  createExecution(record: Omit<ExecutionRecord, 'phase' | 'cluster'> & { cluster?: string }): boolean {
    const key = executionKey(record.id);
    if (this.executions.has(key)) return false;
    this.executions.set(key, { ...record, cluster: record.cluster ?? '', phase: 'UNDEFINED' });
    return true;
  }

  /** Says which cluster runs an execution (events from any other producer are refused). */
  assignCluster(key: string, cluster: string): void {
    const record = this.executions.get(key);
    if (record) record.cluster = cluster;
  }

  workflowEvent(requestId: string, event: WorkflowExecutionEvent): Rejection | undefined {
    const key = executionKey(event.executionId);
    if (!event.executionId?.name) return { code: 'InvalidArgument', message: 'missing executionId' };
    const execution = this.ensureExecution(key, event.executionId, event.producerId);
    const phase = WorkflowExecution_Phase[event.phase] ?? String(event.phase);
    if (phase !== 'QUEUED') {
      if (execution.phase === phase)
        return {
          code: 'AlreadyExists',
          message: `This phase ${phase} was already recorded for workflow execution ${key}`,
        };
      const clash = this.clusterClash(execution, event.producerId);
      if (clash) return clash;
    }
    if (TERMINAL_WORKFLOW.has(execution.phase))
      return {
        code: 'AlreadyInTerminalState',
        message: `Invalid phase change from ${execution.phase} to ${phase} for workflow execution ${key}`,
        currentPhase: execution.phase,
      };
    if (execution.phase === 'RUNNING' && phase === 'QUEUED')
      return { code: 'FailedPrecondition', message: `Cannot go from RUNNING to QUEUED for workflow execution ${key}` };
    execution.phase = phase;
    if (event.outputResult?.$case === 'outputUri') execution.outputUri = event.outputResult.outputUri;
    if (event.outputResult?.$case === 'error') execution.error = event.outputResult.error;
    this.push({ kind: 'workflow', requestId, execution: key, phase, event: WorkflowExecutionEvent.toJSON(event) });
    return undefined;
  }

  nodeEvent(requestId: string, event: NodeExecutionEvent): Rejection | undefined {
    const exec = event.id?.executionId;
    const nodeId = event.id?.nodeId ?? '';
    if (!exec?.name || nodeId === '') return { code: 'InvalidArgument', message: 'missing node execution id' };
    const key = executionKey(exec);
    const execution = this.ensureExecution(key, exec, event.producerId);
    const clash = this.clusterClash(execution, event.producerId);
    if (clash) return clash;
    const phase = NodeExecution_Phase[event.phase] ?? String(event.phase);
    const nodeKey = `${key}/${nodeId}`;
    const current = this.nodes.get(nodeKey);
    if (current === phase)
      return { code: 'AlreadyExists', message: `This phase was already recorded ${phase} for ${nodeKey}` };
    if (current !== undefined && TERMINAL_NODE.has(current))
      return {
        code: 'AlreadyInTerminalState',
        message: `Invalid phase change from ${current} to ${phase} for node execution ${nodeKey}`,
        currentPhase: phase,
      };
    this.nodes.set(nodeKey, phase);
    const record = this.nodeRecords.get(nodeKey) ?? {
      phase,
      ...(event.inputValue?.$case === 'inputUri' ? { inputUri: event.inputValue.inputUri } : {}),
    };
    record.phase = phase;
    if (event.outputResult?.$case === 'outputUri') record.outputUri = event.outputResult.outputUri;
    if (event.outputResult?.$case === 'outputData') record.outputData = event.outputResult.outputData;
    if (event.outputResult?.$case === 'error') record.error = event.outputResult.error;
    this.nodeRecords.set(nodeKey, record);
    this.push({ kind: 'node', requestId, execution: key, nodeId, phase, event: NodeExecutionEvent.toJSON(event) });
    return undefined;
  }

  taskEvent(requestId: string, event: TaskExecutionEvent): Rejection | undefined {
    const parent = event.parentNodeExecutionId;
    const exec = parent?.executionId;
    if (!exec?.name || !parent?.nodeId || !event.taskId?.name)
      return { code: 'InvalidArgument', message: 'missing task execution id' };
    const key = executionKey(exec);
    const execution = this.executions.get(key);
    if (!execution) return { code: 'NotFound', message: `execution ${key} does not exist` };
    const clash = this.clusterClash(execution, event.producerId);
    if (clash) return clash;
    const nodeKey = `${key}/${parent.nodeId}`;
    if (!this.nodes.has(nodeKey)) return { code: 'NotFound', message: `node execution ${nodeKey} does not exist` };
    const phase = TaskExecution_Phase[event.phase] ?? String(event.phase);
    const id = `${nodeKey}/${taskKey(event.taskId)}/${event.retryAttempt}`;
    const current = this.tasks.get(id);
    if (current && current.phase === phase && current.version >= event.phaseVersion)
      return {
        code: 'AlreadyExists',
        message: `have already recorded task execution phase ${phase} (version: ${event.phaseVersion}) for ${id}`,
      };
    if (current && TERMINAL_TASK.has(current.phase))
      return {
        code: 'AlreadyInTerminalState',
        message: `invalid phase change from ${current.phase} to ${phase} for task execution ${id}`,
        currentPhase: phase,
      };
    this.tasks.set(id, { phase, version: event.phaseVersion });
    this.push({
      kind: 'task',
      requestId,
      execution: key,
      nodeId: parent.nodeId,
      task: event.taskId.name,
      retryAttempt: event.retryAttempt,
      phase,
      phaseVersion: event.phaseVersion,
      event: TaskExecutionEvent.toJSON(event),
    });
    return undefined;
  }

  private ensureExecution(key: string, id: WorkflowExecutionIdentifier, producer: string): ExecutionRecord {
    let execution = this.executions.get(key);
    if (!execution) {
      execution = {
        id: { project: id.project, domain: id.domain, name: id.name },
        cluster: producer,
        phase: 'UNDEFINED',
      };
      this.executions.set(key, execution);
    } else if (execution.cluster === '') execution.cluster = producer;
    return execution;
  }

  private clusterClash(execution: ExecutionRecord, producer: string): Rejection | undefined {
    if (producer === '' || producer === DEFAULT_PRODUCER_ID || execution.cluster === '') return undefined;
    if (producer === execution.cluster) return undefined;
    return {
      code: 'IncompatibleCluster',
      message: `Cluster/producer from event [${producer}] does not match existing workflow execution cluster: [${execution.cluster}]`,
      cluster: producer,
    };
  }

  private push(event: RecordedEvent): void {
    this.recorded.push(event);
    for (const listener of this.listeners) listener(event);
  }
}
