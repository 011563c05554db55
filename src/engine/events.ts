/**
 * Execution events: what happened to a workflow, a node or a task attempt, as the engine
 * reports it. The engine produces them (pure, deterministic ids); the controller sends them to
 * the event sink over gRPC (`flotilla.events.v1.EventSink`, proto/flotilla/events/v1).
 *
 * Ids are deterministic so a repeated round (after a crash, a 409, a handover) produces the same
 * id for the same transition, and the sink stores it once:
 *   workflow: `<uid>/wf/<phase>`
 *   node:     `<uid>/node/<nodeId>/<phase>`
 *   task:     `<uid>/task/<nodeId>/<attempt>/<phase>`
 */
import type { JsonObject } from '../api/schema.js';
import type { CacheStatus } from '../api/status.js';
import type { FailureKind } from './plugins.js';

export type EventScope = 'workflow' | 'node' | 'task';

export interface ExecutionEvent {
  readonly id: string;
  readonly scope: EventScope;
  readonly workflow: { readonly namespace: string; readonly name: string; readonly uid: string };
  /** Node path (`extract`, `decide/publish/load`, `per-part/17`); absent for workflow events. */
  readonly nodeId?: string;
  /** 1-based attempt; task events only. */
  readonly attempt?: number;
  /** The phase entered (a WorkflowPhase, NodePhase or task observation phase). */
  readonly phase: string;
  /** ISO 8601 time of the transition, from the engine's clock. */
  readonly occurredAt: string;
  readonly message?: string;
  /** Small outputs inline; large ones are referenced by `outputRef`. */
  readonly outputs?: JsonObject;
  readonly outputRef?: string;
  readonly failure?: { readonly kind: FailureKind; readonly reason: string; readonly message: string };
  /** A cacheable task node's catalog outcome (node events): flyteidl's `CatalogCacheStatus` name. */
  readonly cacheStatus?: CacheStatus;
  /** A task node that took an earlier execution's outputs (`spec.recoverFrom`) instead of running. */
  readonly recovered?: boolean;
}

export function workflowEventId(uid: string, phase: string): string {
  return `${uid}/wf/${phase}`;
}
export function nodeEventId(uid: string, nodeId: string, phase: string): string {
  return `${uid}/node/${nodeId}/${phase}`;
}
export function taskEventId(uid: string, nodeId: string, attempt: number, phase: string): string {
  return `${uid}/task/${nodeId}/${attempt}/${phase}`;
}
