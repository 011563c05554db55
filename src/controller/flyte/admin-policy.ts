/**
 * What a Flyte round does with FlyteAdmin's answers to its events, as FlytePropeller v1.16.8 does
 * (its workflow executor and node/task event recorders). Pure.
 *
 * - `recorded`, `duplicate` (AlreadyExists): delivered.
 * - `terminal` (the entity already ended at admin): for a node or task event, dropped — a
 *   terminal phase for an entity admin holds as terminal is what an abort looks like, and a
 *   non-terminal one raced an end admin already recorded, so sending it again can never succeed.
 *   For a workflow event, dropped too when the same batch carries the very phase admin holds (a
 *   round redone after a crash re-sends the workflow's whole life: admin refuses RUNNING once it
 *   holds SUCCEEDED); otherwise the workflow is failed: the fleet and admin disagree on whether it
 *   ended (FlytePropeller fails it the same way).
 * - `incompatibleCluster` (admin says another cluster runs the execution): the workflow is failed
 *   ("cluster reassigned"), unless the event was itself FAILING/FAILED, which is dropped.
 * - `notFound` (admin has no such execution) and `rejected` (InvalidArgument, other
 *   FailedPrecondition): dropped, with a warning; the same event would get the same answer.
 */
import type { AdminEvent } from '../../flyte/events/admin-events.js';
import type { AdminResult } from '../../events/admin/client.js';
import { WorkflowExecution_Phase } from '../../generated/flyteidl/flyteidl/core/execution.js';

export type AdminVerdict =
  | { readonly kind: 'ok'; readonly dropped: readonly AdminResult[] }
  | {
      readonly kind: 'fail';
      readonly reason: string;
      readonly message: string;
      readonly dropped: readonly AdminResult[];
    };

/** FlytePropeller's error codes for the two ways admin can end a workflow. */
export const AdminFailureReason = {
  stateMismatch: 'EventAlreadyInTerminalStateError',
  clusterReassigned: 'EventIncompatibleClusterError',
} as const;

function phaseName(event: AdminEvent): string {
  return String(event.event.phase);
}

function isWorkflowFailing(event: AdminEvent): boolean {
  // WorkflowExecution.Phase FAILING = 5, FAILED = 6.
  return event.kind === 'workflow' && (event.event.phase === 5 || event.event.phase === 6);
}

export function judgeAdminResults(results: readonly AdminResult[]): AdminVerdict {
  const dropped: AdminResult[] = [];
  // A round redone after a crash may re-send a workflow's whole life; admin refuses its early
  // phases once it holds the end. That is no mismatch when the same round ends the same way.
  const sentPhases = new Set(
    results.filter((r) => r.event.kind === 'workflow').map((r) => WorkflowExecution_Phase[r.event.event.phase]),
  );
  for (const result of results) {
    const { event, outcome } = result;
    switch (outcome) {
      case 'recorded':
      case 'duplicate':
        continue;
      case 'terminal':
        if (event.kind !== 'workflow' || (result.currentPhase !== undefined && sentPhases.has(result.currentPhase))) {
          dropped.push(result);
          continue;
        }
        return {
          kind: 'fail',
          reason: AdminFailureReason.stateMismatch,
          message: `workflow state mismatch between the fleet and FlyteAdmin: admin holds the execution as ended; event ${event.requestId} (phase ${phaseName(event)}) refused: ${result.detail ?? ''}`,
          dropped,
        };
      case 'incompatibleCluster':
        if (isWorkflowFailing(event)) {
          dropped.push(result);
          continue;
        }
        return {
          kind: 'fail',
          reason: AdminFailureReason.clusterReassigned,
          message: `Workflow execution cluster reassigned: ${result.detail ?? ''}`,
          dropped,
        };
      case 'notFound':
      case 'rejected':
        dropped.push(result);
        continue;
    }
  }
  return { kind: 'ok', dropped };
}
