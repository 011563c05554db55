/**
 * Flyte's service-level figures, read from a status write a round made (pure: the before and after
 * status, the spec's DAG and the write's time):
 * - acceptance latency: the Workflow's creation → its first status write (the first round that
 *   acted on it);
 * - node transition latency: a top-level node became ready (its last upstream node finished, or
 *   the workflow started when it has none) → it started;
 * - completion latency: creation → the write of a terminal phase, by that phase.
 * Each is observed once per Workflow (or node): only a write that changes the state in question counts.
 */
import { isTerminalWorkflowPhase, type WorkflowStatus } from '../api/status.js';
import type { WorkflowNode } from '../api/schema.js';
import { dagOf } from '../engine/dag.js';
import type { Metrics } from '../observability/metrics.js';

export interface StatusWrite {
  /** `metadata.creationTimestamp` of the Workflow. */
  createdAt: string | undefined;
  before: WorkflowStatus | undefined;
  after: WorkflowStatus;
  /** The spec's top-level nodes; undefined when the spec is invalid (no node figures then). */
  nodes: readonly WorkflowNode[] | undefined;
  /** When the write landed (ms since the epoch). */
  nowMs: number;
}

type SloMetrics = Pick<Metrics, 'acceptanceLatency' | 'nodeTransitionLatency' | 'completionLatency'>;

export function observeStatusWrite(metrics: SloMetrics, write: StatusWrite): void {
  const created = parseTime(write.createdAt);
  const { before, after } = write;
  if (created !== undefined && before?.phase === undefined && after.phase !== undefined)
    metrics.acceptanceLatency.observe(seconds(write.nowMs - created));
  if (created !== undefined && !isTerminalWorkflowPhase(before?.phase) && isTerminalWorkflowPhase(after.phase))
    metrics.completionLatency.observe({ phase: after.phase ?? '' }, seconds(write.nowMs - created));
  if (!write.nodes || !after.nodes) return;
  const deps = dagOf(write.nodes).deps;
  const workflowStart = parseTime(after.startedAt) ?? created;
  for (const node of write.nodes) {
    const id = node.id ?? '';
    const started = parseTime(after.nodes[id]?.startedAt);
    if (started === undefined || before?.nodes?.[id]?.startedAt !== undefined) continue;
    let readyAt = workflowStart;
    for (const upstream of deps.get(id) ?? []) {
      const finished = parseTime(after.nodes[upstream]?.finishedAt);
      if (finished !== undefined && (readyAt === undefined || finished > readyAt)) readyAt = finished;
    }
    if (readyAt !== undefined) metrics.nodeTransitionLatency.observe(seconds(started - readyAt));
  }
}

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
