/**
 * Test support for the engine: a workflow builder and small deterministic plugins. The harness
 * that drives rounds over the local plugin set is `Harness` in src/plugins/testing.ts.
 */
import type { WorkflowSpec } from '../api/schema.js';
import { WORKFLOW_API_VERSION, type Workflow, type WorkflowMetadata } from '../api/workflow.js';
import type { TaskContext, TaskObservation, TaskPlugin } from './plugins.js';

export function makeWorkflow(spec: WorkflowSpec, metadata: Partial<WorkflowMetadata> = {}): Workflow {
  return {
    apiVersion: WORKFLOW_API_VERSION,
    kind: 'Workflow',
    metadata: { name: 'wf', namespace: 'default', uid: 'uid-1', generation: 1, ...metadata },
    spec,
  };
}

/** A plugin whose behaviour per call is a function of the context; records every call. */
export class ScriptedPlugin implements TaskPlugin {
  readonly calls: { method: 'start' | 'check' | 'abort'; nodeId: string; attempt: number }[] = [];
  constructor(
    readonly name: string,
    private readonly behave: (ctx: TaskContext, method: 'start' | 'check') => TaskObservation,
  ) {}
  async start(ctx: TaskContext): Promise<TaskObservation> {
    this.calls.push({ method: 'start', nodeId: ctx.nodeId, attempt: ctx.attempt });
    return this.behave(ctx, 'start');
  }
  async check(ctx: TaskContext): Promise<TaskObservation> {
    this.calls.push({ method: 'check', nodeId: ctx.nodeId, attempt: ctx.attempt });
    return this.behave(ctx, 'check');
  }
  async abort(ctx: TaskContext): Promise<void> {
    this.calls.push({ method: 'abort', nodeId: ctx.nodeId, attempt: ctx.attempt });
  }
  count(method: 'start' | 'check' | 'abort'): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}
