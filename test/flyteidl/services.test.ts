/**
 * The generated grpc-js definitions of Flyte's services: the method paths are Flyte's (so a real
 * FlyteAdmin answers them), every rpc of the vendored protos survived the annotation stripping, and
 * a real grpc-js server and client on loopback exchange a CreateWorkflowEvent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type {
  WorkflowExecutionEventRequest,
  WorkflowExecutionEventResponse,
} from '../../src/generated/flyteidl/flyteidl/admin/event.js';
import { WorkflowExecution_Phase } from '../../src/generated/flyteidl/flyteidl/core/execution.js';
import type { WorkflowExecutionEvent } from '../../src/generated/flyteidl/flyteidl/event/event.js';
import { DataCatalogService } from '../../src/generated/flyteidl/flyteidl/datacatalog/datacatalog.js';
import {
  AdminServiceClient,
  AdminServiceService,
  type AdminServiceServer,
} from '../../src/generated/flyteidl/flyteidl/service/admin.js';
import { SignalServiceClient, SignalServiceService } from '../../src/generated/flyteidl/flyteidl/service/signal.js';

/** `rpc Name (` declarations of a vendored .proto, comments removed. */
function rpcNames(protoPath: string): string[] {
  const code = readFileSync(protoPath, 'utf8').replace(/\/\/.*$/gm, '');
  return [...code.matchAll(/\brpc\s+(\w+)\s*\(/g)].map((m) => m[1] ?? '');
}

function paths(service: Record<string, { path: string }>): string[] {
  return Object.values(service).map((method) => method.path);
}

test("AdminService has every rpc of service/admin.proto at Flyte's paths, the event methods included", () => {
  const expected = rpcNames('proto/flyteidl/service/admin.proto').map(
    (name) => `/flyteidl.service.AdminService/${name}`,
  );
  assert.ok(expected.length > 50);
  assert.deepEqual(paths(AdminServiceService), expected);
  assert.equal(AdminServiceService.createWorkflowEvent.path, '/flyteidl.service.AdminService/CreateWorkflowEvent');
  assert.equal(AdminServiceService.createNodeEvent.path, '/flyteidl.service.AdminService/CreateNodeEvent');
  assert.equal(AdminServiceService.createTaskEvent.path, '/flyteidl.service.AdminService/CreateTaskEvent');
  assert.equal(AdminServiceClient.serviceName, 'flyteidl.service.AdminService');
});

test("SignalService and DataCatalog have their rpcs at Flyte's paths", () => {
  assert.deepEqual(paths(SignalServiceService), [
    '/flyteidl.service.SignalService/GetOrCreateSignal',
    '/flyteidl.service.SignalService/ListSignals',
    '/flyteidl.service.SignalService/SetSignal',
  ]);
  assert.equal(SignalServiceClient.serviceName, 'flyteidl.service.SignalService');
  assert.deepEqual(
    paths(DataCatalogService),
    rpcNames('proto/flyteidl/datacatalog/datacatalog.proto').map((name) => `/datacatalog.DataCatalog/${name}`),
  );
});

test('a grpc-js server and client on loopback exchange CreateWorkflowEvent through the generated definitions', async () => {
  const received: WorkflowExecutionEventRequest[] = [];
  // Only the method under test: grpc-js answers the others with UNIMPLEMENTED.
  const implementation: Pick<AdminServiceServer, 'createWorkflowEvent'> = {
    createWorkflowEvent(call, callback) {
      received.push(call.request);
      if (call.request.event?.phase === WorkflowExecution_Phase.ABORTED) {
        callback({ code: grpc.status.FAILED_PRECONDITION, details: 'already in a terminal phase' });
        return;
      }
      callback(null, {});
    },
  };
  const server = new grpc.Server();
  server.addService(AdminServiceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const client = new AdminServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const send = (request: WorkflowExecutionEventRequest): Promise<WorkflowExecutionEventResponse> =>
    new Promise((resolve, reject) =>
      client.createWorkflowEvent(request, (error, response) => (error ? reject(error) : resolve(response))),
    );
  try {
    const event: WorkflowExecutionEvent = {
      executionId: { project: 'flotilla', domain: 'development', name: 'f3a9c2b1d0', org: '' },
      producerId: 'flotilla-shard-3',
      phase: WorkflowExecution_Phase.RUNNING,
      occurredAt: { seconds: '1714979289', nanos: 1 },
      outputResult: undefined,
    };
    const request: WorkflowExecutionEventRequest = { requestId: 'f3a9c2b1d0-running-1', event };
    assert.deepEqual(await send(request), {});
    assert.deepEqual(received, [request]);

    const aborted: WorkflowExecutionEventRequest = {
      requestId: 'f3a9c2b1d0-aborted-1',
      event: { ...event, phase: WorkflowExecution_Phase.ABORTED },
    };
    await assert.rejects(
      send(aborted),
      (error: grpc.ServiceError) =>
        error.code === grpc.status.FAILED_PRECONDITION && error.details === 'already in a terminal phase',
    );

    await assert.rejects(
      new Promise((resolve, reject) =>
        client.createNodeEvent({ requestId: 'x', event: undefined }, (error, response) =>
          error ? reject(error) : resolve(response),
        ),
      ),
      (error: grpc.ServiceError) => error.code === grpc.status.UNIMPLEMENTED,
    );
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
});
