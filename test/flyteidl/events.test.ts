/**
 * The three execution events flotilla reports to FlyteAdmin, built from typed fields and
 * serialized: binary for gRPC (read back by the reference implementation) and protobuf JSON (enum
 * names, int64 as strings, RFC 3339 times).
 *
 * ts-proto's `fromPartial` is not generated (it triples type-check time, proto/flyteidl/README.md):
 * a message starts from `X.fromJSON({})`, every field at its proto3 default, and sets what matters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NodeExecutionEventRequest,
  TaskExecutionEventRequest,
  WorkflowExecutionEventRequest,
} from '../../src/generated/flyteidl/flyteidl/admin/event.js';
import { CatalogCacheStatus } from '../../src/generated/flyteidl/flyteidl/core/catalog.js';
import {
  ExecutionError,
  ExecutionError_ErrorKind,
  NodeExecution_Phase,
  TaskExecution_Phase,
  TaskLog_MessageFormat,
  WorkflowExecution_Phase,
} from '../../src/generated/flyteidl/flyteidl/core/execution.js';
import { ResourceType } from '../../src/generated/flyteidl/flyteidl/core/identifier.js';
import { LiteralMap } from '../../src/generated/flyteidl/flyteidl/core/literals.js';
import {
  NodeExecutionEvent,
  TaskExecutionEvent,
  TaskExecutionMetadata,
  TaskNodeMetadata,
  WorkflowExecutionEvent,
} from '../../src/generated/flyteidl/flyteidl/event/event.js';
import { reference } from './reference.js';

/** The message with every field at its proto3 default. */
const empty = <T>(fns: { fromJSON(object: unknown): T }): T => fns.fromJSON({});

const executionId = { project: 'flotilla', domain: 'development', name: 'f3a9c2b1d0', org: '' };
const occurredAt = { seconds: '1714979289', nanos: 500_000_000 };
const occurredAtJson = '2024-05-06T07:08:09.500Z';

test('a WorkflowExecutionEvent (succeeded, with outputs inline) serializes to binary and JSON', () => {
  const event: WorkflowExecutionEvent = {
    executionId,
    producerId: 'flotilla-shard-3',
    phase: WorkflowExecution_Phase.SUCCEEDED,
    occurredAt,
    outputResult: {
      $case: 'outputData',
      outputData: LiteralMap.fromJSON({ literals: { o0: { scalar: { primitive: { integer: '42' } } } } }),
    },
  };
  const expected = {
    executionId: { project: 'flotilla', domain: 'development', name: 'f3a9c2b1d0' },
    producerId: 'flotilla-shard-3',
    phase: 'SUCCEEDED',
    occurredAt: occurredAtJson,
    outputData: { literals: { o0: { scalar: { primitive: { integer: '42' } } } } },
  };
  assert.deepEqual(WorkflowExecutionEvent.toJSON(event), expected);
  const bytes = WorkflowExecutionEvent.encode(event).finish();
  assert.deepEqual(WorkflowExecutionEvent.decode(bytes), event);
  assert.deepEqual(reference('flyteidl.event.WorkflowExecutionEvent').decodeToJson(bytes), expected);

  const request: WorkflowExecutionEventRequest = { requestId: 'req-1', event };
  assert.deepEqual(
    reference('flyteidl.admin.WorkflowExecutionEventRequest').decodeToJson(
      WorkflowExecutionEventRequest.encode(request).finish(),
    ),
    {
      requestId: 'req-1',
      event: expected,
    },
  );
});

test('a NodeExecutionEvent (failed task node, cache miss) serializes to binary and JSON', () => {
  const event: NodeExecutionEvent = {
    ...empty(NodeExecutionEvent),
    id: { nodeId: 'n1', executionId },
    producerId: 'flotilla-shard-3',
    phase: NodeExecution_Phase.FAILED,
    occurredAt,
    inputValue: { $case: 'inputUri', inputUri: 's3://flotilla-test/metadata/f3a9c2b1d0/n1/inputs.pb' },
    outputResult: {
      $case: 'error',
      error: {
        ...empty(ExecutionError),
        code: 'USER:OOM',
        message: 'container exceeded its memory limit',
        kind: ExecutionError_ErrorKind.USER,
      },
    },
    targetMetadata: {
      $case: 'taskNodeMetadata',
      taskNodeMetadata: { ...empty(TaskNodeMetadata), cacheStatus: CatalogCacheStatus.CACHE_MISS },
    },
    specNodeId: 'n1',
    nodeName: 'train',
    eventVersion: 2,
    reportedAt: occurredAt,
  };
  const expected = {
    id: { nodeId: 'n1', executionId: { project: 'flotilla', domain: 'development', name: 'f3a9c2b1d0' } },
    producerId: 'flotilla-shard-3',
    phase: 'FAILED',
    occurredAt: occurredAtJson,
    inputUri: 's3://flotilla-test/metadata/f3a9c2b1d0/n1/inputs.pb',
    error: { code: 'USER:OOM', message: 'container exceeded its memory limit', kind: 'USER' },
    taskNodeMetadata: { cacheStatus: 'CACHE_MISS' },
    specNodeId: 'n1',
    nodeName: 'train',
    eventVersion: 2,
    reportedAt: occurredAtJson,
  };
  assert.deepEqual(NodeExecutionEvent.toJSON(event), expected);
  const bytes = NodeExecutionEvent.encode(event).finish();
  assert.deepEqual(NodeExecutionEvent.decode(bytes), event);
  assert.deepEqual(reference('flyteidl.event.NodeExecutionEvent').decodeToJson(bytes), expected);
  assert.ok(NodeExecutionEventRequest.encode({ requestId: 'req-2', event }).finish().length > bytes.length);
});

test('a TaskExecutionEvent (running, retry 1, with logs and custom info) serializes to binary and JSON', () => {
  const event: TaskExecutionEvent = {
    ...empty(TaskExecutionEvent),
    taskId: {
      resourceType: ResourceType.TASK,
      project: 'flotilla',
      domain: 'development',
      name: 'ranking.train',
      version: 'v7',
      org: '',
    },
    parentNodeExecutionId: { nodeId: 'n1', executionId },
    retryAttempt: 1,
    phase: TaskExecution_Phase.RUNNING,
    producerId: 'flotilla-shard-3',
    logs: [
      {
        uri: 'https://logs.example/f3a9c2b1d0-n1-1',
        name: 'Pod logs',
        messageFormat: TaskLog_MessageFormat.JSON,
        ttl: { seconds: '3600', nanos: 0 },
        ShowWhilePending: true,
        HideOnceFinished: false,
      },
    ],
    occurredAt,
    inputValue: { $case: 'inputUri', inputUri: 's3://flotilla-test/metadata/f3a9c2b1d0/n1/inputs.pb' },
    customInfo: { podName: 'f3a9c2b1d0-n1-1', attempts: 2 },
    phaseVersion: 3,
    reasons: [{ reason: 'pod scheduled', occurredAt }],
    taskType: 'python-task',
    metadata: { ...empty(TaskExecutionMetadata), generatedName: 'f3a9c2b1d0-n1-1', pluginIdentifier: 'container' },
    eventVersion: 1,
  };
  const expected = {
    taskId: { resourceType: 'TASK', project: 'flotilla', domain: 'development', name: 'ranking.train', version: 'v7' },
    parentNodeExecutionId: {
      nodeId: 'n1',
      executionId: { project: 'flotilla', domain: 'development', name: 'f3a9c2b1d0' },
    },
    retryAttempt: 1,
    phase: 'RUNNING',
    producerId: 'flotilla-shard-3',
    // Flyte named these two fields in UpperCamelCase; protobuf JSON keeps the name as declared.
    logs: [
      {
        uri: 'https://logs.example/f3a9c2b1d0-n1-1',
        name: 'Pod logs',
        messageFormat: 'JSON',
        ttl: '3600s',
        ShowWhilePending: true,
      },
    ],
    occurredAt: occurredAtJson,
    inputUri: 's3://flotilla-test/metadata/f3a9c2b1d0/n1/inputs.pb',
    customInfo: { podName: 'f3a9c2b1d0-n1-1', attempts: 2 },
    phaseVersion: 3,
    reasons: [{ reason: 'pod scheduled', occurredAt: occurredAtJson }],
    taskType: 'python-task',
    metadata: { generatedName: 'f3a9c2b1d0-n1-1', pluginIdentifier: 'container' },
    eventVersion: 1,
  };
  assert.deepEqual(TaskExecutionEvent.toJSON(event), expected);
  const bytes = TaskExecutionEvent.encode(event).finish();
  assert.deepEqual(TaskExecutionEvent.decode(bytes), event);
  assert.deepEqual(reference('flyteidl.event.TaskExecutionEvent').decodeToJson(bytes), expected);
  assert.deepEqual(
    TaskExecutionEventRequest.decode(TaskExecutionEventRequest.encode({ requestId: 'req-3', event }).finish()).event,
    event,
  );
});
