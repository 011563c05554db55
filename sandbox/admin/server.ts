/**
 * The sandbox's recording admin: a small gRPC `flyteidl.service.AdminService` that records the
 * execution events the fleet sends (CreateWorkflowEvent, CreateNodeEvent, CreateTaskEvent) with
 * FlyteAdmin's rules (./records.ts), and serves CreateExecution / GetExecution so launch-plan
 * nodes can start child executions, and GetNodeExecution / GetNodeExecutionData from the node
 * events it accepted (recovery). Every other method answers UNIMPLEMENTED.
 *
 * Rejections carry admin's details: a terminal-state or cluster refusal is FailedPrecondition with
 * an `EventFailureReason` in `grpc-status-details-bin`, as admin's errors package writes it.
 * Loopback by default; TLS and a bearer token when given (src/security/grpc.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { ExecutionCreateRequest, Execution } from '../../src/generated/flyteidl/flyteidl/admin/execution.js';
import type {
  NodeExecutionEventRequest,
  TaskExecutionEventRequest,
  WorkflowExecutionEventRequest,
} from '../../src/generated/flyteidl/flyteidl/admin/event.js';
import { AdminServiceService } from '../../src/generated/flyteidl/flyteidl/service/admin.js';
import {
  NodeExecution,
  type NodeExecutionGetDataRequest,
  type NodeExecutionGetRequest,
} from '../../src/generated/flyteidl/flyteidl/admin/node_execution.js';
import { LiteralMap } from '../../src/generated/flyteidl/flyteidl/core/literals.js';
import { encodeStatusDetails, STATUS_DETAILS_KEY } from '../../src/events/admin/status-details.js';
import { startGrpcServer, type RunningServer, type ServerSecurityOptions } from '../../src/security/grpc.js';
import { AdminRecords, executionKey, type ExecutionRecord, type Rejection } from './records.js';

/** Starts what CreateExecution asked for (the sandbox: a child FlyteWorkflow from a LaunchPlan ConfigMap). */
export type ExecutionLauncher = (execution: ExecutionRecord, request: ExecutionCreateRequest) => Promise<void>;

export interface RecordingAdminOptions {
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** 0 = a free port. @defaultValue 0 */
  readonly port?: number;
  readonly security?: ServerSecurityOptions;
  /** Called once per new execution from CreateExecution; a failure answers the call with INTERNAL. */
  readonly launcher?: ExecutionLauncher;
  readonly records?: AdminRecords;
}

export interface RecordingAdmin {
  readonly address: string;
  readonly port: number;
  readonly records: AdminRecords;
  stop(): Promise<void>;
}

function statusOf(rejection: Rejection): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  switch (rejection.code) {
    case 'AlreadyExists':
      return { code: grpc.status.ALREADY_EXISTS, details: rejection.message };
    case 'NotFound':
      return { code: grpc.status.NOT_FOUND, details: rejection.message };
    case 'InvalidArgument':
      return { code: grpc.status.INVALID_ARGUMENT, details: rejection.message };
    case 'FailedPrecondition':
      return { code: grpc.status.FAILED_PRECONDITION, details: rejection.message };
    case 'AlreadyInTerminalState':
      metadata.set(
        STATUS_DETAILS_KEY,
        encodeStatusDetails(grpc.status.FAILED_PRECONDITION, rejection.message, {
          reason: { $case: 'alreadyInTerminalState', alreadyInTerminalState: { currentPhase: rejection.currentPhase } },
        }),
      );
      return { code: grpc.status.FAILED_PRECONDITION, details: rejection.message, metadata };
    case 'IncompatibleCluster':
      metadata.set(
        STATUS_DETAILS_KEY,
        encodeStatusDetails(grpc.status.FAILED_PRECONDITION, rejection.message, {
          reason: { $case: 'incompatibleCluster', incompatibleCluster: { cluster: rejection.cluster } },
        }),
      );
      return { code: grpc.status.FAILED_PRECONDITION, details: rejection.message, metadata };
  }
}

export async function startRecordingAdmin(options: RecordingAdminOptions = {}): Promise<RecordingAdmin> {
  const records = options.records ?? new AdminRecords();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(AdminServiceService)) {
    implementation[name] = ((_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback(
        { code: grpc.status.UNIMPLEMENTED, details: `the recording admin does not serve ${name}` },
        null,
      )) as grpc.handleUnaryCall<unknown, unknown>;
  }
  const answer =
    <Req>(handle: (request: Req) => Rejection | undefined) =>
    (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const rejection = handle(call.request);
      if (rejection) callback(statusOf(rejection), null);
      else callback(null, {});
    };
  implementation['createWorkflowEvent'] = answer((r: WorkflowExecutionEventRequest) =>
    r.event ? records.workflowEvent(r.requestId, r.event) : { code: 'InvalidArgument', message: 'event is required' },
  );
  implementation['createNodeEvent'] = answer((r: NodeExecutionEventRequest) =>
    r.event ? records.nodeEvent(r.requestId, r.event) : { code: 'InvalidArgument', message: 'event is required' },
  );
  implementation['createTaskEvent'] = answer((r: TaskExecutionEventRequest) =>
    r.event ? records.taskEvent(r.requestId, r.event) : { code: 'InvalidArgument', message: 'event is required' },
  );
  implementation['createExecution'] = (
    call: grpc.ServerUnaryCall<ExecutionCreateRequest, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const request = call.request;
    const id = { project: request.project, domain: request.domain, name: request.name };
    if (!id.project || !id.domain || !id.name) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'project, domain and name are required' }, null);
      return;
    }
    const created = records.createExecution({
      id,
      launchPlan: request.spec?.launchPlan,
      inputs: request.inputs,
    });
    if (!created) {
      callback({ code: grpc.status.ALREADY_EXISTS, details: `execution ${executionKey(id)} already exists` }, null);
      return;
    }
    const record = records.execution(executionKey(id));
    const launch = record && options.launcher ? options.launcher(record, request) : Promise.resolve();
    launch.then(
      () => callback(null, { id }),
      (error: unknown) =>
        callback(
          { code: grpc.status.INTERNAL, details: `could not start ${executionKey(id)}: ${String(error)}` },
          null,
        ),
    );
  };
  implementation['getExecution'] = (
    call: grpc.ServerUnaryCall<{ id?: { project: string; domain: string; name: string } }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const record = records.execution(executionKey(call.request.id));
    if (!record) {
      callback({ code: grpc.status.NOT_FOUND, details: `execution ${executionKey(call.request.id)} not found` }, null);
      return;
    }
    const closure: Record<string, unknown> = { phase: record.phase };
    if (record.outputUri) closure['outputs'] = { uri: record.outputUri };
    if (record.error) closure['error'] = record.error;
    callback(null, Execution.fromJSON({ id: record.id, closure }));
  };
  // Recovery's two calls: a node execution as its events left it, and its outputs (inline when the
  // events carried them, else by the outputs.pb URI, which the caller reads from its store).
  // The record of a node execution, or NOT_FOUND answered (and undefined).
  const nodeRecord = (id: NodeExecutionGetRequest['id'], callback: grpc.sendUnaryData<unknown>) => {
    const key = executionKey(id?.executionId);
    const record = records.nodeExecution(key, id?.nodeId ?? '');
    if (!record)
      callback({ code: grpc.status.NOT_FOUND, details: `node execution ${key}/${id?.nodeId ?? ''} not found` }, null);
    return record;
  };
  implementation['getNodeExecution'] = (
    call: grpc.ServerUnaryCall<NodeExecutionGetRequest, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const record = nodeRecord(call.request.id, callback);
    if (!record) return;
    const closure: Record<string, unknown> = { phase: record.phase };
    if (record.outputUri) closure['outputUri'] = record.outputUri;
    else if (record.outputData) closure['outputData'] = LiteralMap.toJSON(record.outputData);
    if (record.error) closure['error'] = record.error;
    callback(null, NodeExecution.fromJSON({ id: call.request.id, inputUri: record.inputUri ?? '', closure }));
  };
  implementation['getNodeExecutionData'] = (
    call: grpc.ServerUnaryCall<NodeExecutionGetDataRequest, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const record = nodeRecord(call.request.id, callback);
    if (!record) return;
    callback(null, {
      ...(record.outputUri ? { outputs: { url: record.outputUri, bytes: 0 } } : {}),
      ...(record.outputData ? { fullOutputs: record.outputData } : {}),
      ...(record.inputUri ? { inputs: { url: record.inputUri, bytes: 0 } } : {}),
    });
  };
  const server: RunningServer = await startGrpcServer({
    services: [{ definition: AdminServiceService, implementation }],
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.security ? { security: options.security } : {}),
  });
  return {
    address: server.address,
    port: server.port,
    records,
    stop: () => server.stop(),
  };
}
