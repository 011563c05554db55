/**
 * Conversion between the engine's `ExecutionEvent` (src/engine/events.ts) and its wire form
 * (`flotilla.events.v1.ExecutionEvent`). Outputs travel as JSON text (see events.proto).
 */
import type { JsonObject } from '../api/schema.js';
import { CacheStatuses, type CacheStatus } from '../api/status.js';
import type { FailureKind } from '../engine/plugins.js';
import * as pb from '../generated/flotilla/events/v1/events.js';
import type { EventScope, ExecutionEvent } from '../engine/events.js';
import { EventSinkError } from './errors.js';

const scopeToPb: Record<EventScope, pb.EventScope> = {
  workflow: pb.EventScope.EVENT_SCOPE_WORKFLOW,
  node: pb.EventScope.EVENT_SCOPE_NODE,
  task: pb.EventScope.EVENT_SCOPE_TASK,
};

function scopeFromPb(scope: pb.EventScope): EventScope {
  switch (scope) {
    case pb.EventScope.EVENT_SCOPE_WORKFLOW:
      return 'workflow';
    case pb.EventScope.EVENT_SCOPE_NODE:
      return 'node';
    case pb.EventScope.EVENT_SCOPE_TASK:
      return 'task';
    default:
      throw new EventSinkError('InvalidEvent', 'event scope is unspecified or unknown');
  }
}

function failureKindFromPb(kind: pb.FailureKind): FailureKind {
  return kind === pb.FailureKind.FAILURE_KIND_SYSTEM ? 'system' : 'user';
}

export function eventToPb(event: ExecutionEvent): pb.ExecutionEvent {
  return {
    id: event.id,
    scope: scopeToPb[event.scope],
    workflow: { namespace: event.workflow.namespace, name: event.workflow.name, uid: event.workflow.uid },
    nodeId: event.nodeId,
    attempt: event.attempt,
    phase: event.phase,
    occurredAt: event.occurredAt,
    message: event.message,
    outputsJson: event.outputs === undefined ? undefined : JSON.stringify(event.outputs),
    outputRef: event.outputRef,
    cacheStatus: event.cacheStatus,
    failure: event.failure
      ? {
          kind: event.failure.kind === 'system' ? pb.FailureKind.FAILURE_KIND_SYSTEM : pb.FailureKind.FAILURE_KIND_USER,
          reason: event.failure.reason,
          message: event.failure.message,
        }
      : undefined,
  };
}

function isCacheStatus(value: string): value is CacheStatus {
  return (CacheStatuses as readonly string[]).includes(value);
}

function parseOutputs(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new EventSinkError('InvalidEvent', 'outputs_json is not valid JSON', { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EventSinkError('InvalidEvent', 'outputs_json must be a JSON object');
  }
  return value as JsonObject;
}

/** Converts and validates a wire event; throws `EventSinkError('InvalidEvent')`. */
export function eventFromPb(event: pb.ExecutionEvent): ExecutionEvent {
  if (!event.id) throw new EventSinkError('InvalidEvent', 'event id is required');
  const wf = event.workflow;
  if (!wf || !wf.namespace || !wf.name)
    throw new EventSinkError('InvalidEvent', `event ${event.id}: workflow namespace and name are required`);
  if (!event.phase) throw new EventSinkError('InvalidEvent', `event ${event.id}: phase is required`);
  const scope = scopeFromPb(event.scope);
  if (scope !== 'workflow' && !event.nodeId)
    throw new EventSinkError('InvalidEvent', `event ${event.id}: node_id is required for ${scope} events`);
  if (scope === 'task' && !event.attempt)
    throw new EventSinkError('InvalidEvent', `event ${event.id}: attempt is required for task events`);
  return {
    id: event.id,
    scope,
    workflow: { namespace: wf.namespace, name: wf.name, uid: wf.uid },
    ...(event.nodeId ? { nodeId: event.nodeId } : {}),
    ...(event.attempt ? { attempt: event.attempt } : {}),
    phase: event.phase,
    occurredAt: event.occurredAt,
    ...(event.message !== undefined ? { message: event.message } : {}),
    ...(event.outputsJson !== undefined ? { outputs: parseOutputs(event.outputsJson) } : {}),
    ...(event.outputRef !== undefined ? { outputRef: event.outputRef } : {}),
    ...(event.cacheStatus !== undefined && isCacheStatus(event.cacheStatus) ? { cacheStatus: event.cacheStatus } : {}),
    ...(event.failure
      ? {
          failure: {
            kind: failureKindFromPb(event.failure.kind),
            reason: event.failure.reason,
            message: event.failure.message,
          },
        }
      : {}),
  };
}
