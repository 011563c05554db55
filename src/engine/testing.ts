/**
 * Test support for the engine (used by `*.test.ts` here and in `test/run`): a workflow builder,
 * small deterministic plugins, and a harness that drives rounds on a fake clock with the status
 * round-tripping through JSON between rounds, as it does through the API server.
 */
import type { WorkflowSpec } from '../api/schema.js';
import { isTerminalWorkflowPhase } from '../api/status.js';
import { WORKFLOW_API_VERSION, type Workflow, type WorkflowMetadata } from '../api/workflow.js';
import type { ExecutionEvent } from './events.js';
import { inProcessPlugins } from '../plugins/inprocess/index.js';
import { MemoryPodGateway } from '../plugins/pod/memory-gateway.js';
import { createPodPlugin } from '../plugins/pod/plugin.js';
import { PluginRegistry } from './plugin-registry.js';
import type { TaskContext, TaskObservation, TaskPlugin } from './plugins.js';
import { EngineDriver, type ChildWorkflowGateway, type DriverRoundResult } from './driver.js';
import { MemoryOutputStore } from './outputs.js';
import type { EngineOptions } from './types.js';

export function makeWorkflow(spec: WorkflowSpec, metadata: Partial<WorkflowMetadata> = {}): Workflow {
  return { apiVersion: WORKFLOW_API_VERSION, kind: 'Workflow', metadata: { name: 'wf', namespace: 'default', uid: 'uid-1', generation: 1, ...metadata }, spec };
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

export interface HarnessOptions {
  readonly plugins?: readonly TaskPlugin[];
  readonly engine?: EngineOptions;
  readonly startAt?: number;
  readonly children?: ChildWorkflowGateway;
  readonly maxStreak?: number;
}

export class Harness {
  now: number;
  workflow: Workflow;
  readonly events: ExecutionEvent[] = [];
  readonly pods: MemoryPodGateway;
  readonly outputs = new MemoryOutputStore();
  readonly driver: EngineDriver;
  rounds = 0;

  constructor(workflow: Workflow, options: HarnessOptions = {}) {
    this.now = options.startAt ?? Date.parse('2026-01-01T00:00:00Z');
    this.workflow = workflow;
    const clock = (): number => this.now;
    this.pods = new MemoryPodGateway({ clock });
    const registry = new PluginRegistry([...inProcessPlugins({ clock }), createPodPlugin({ gateway: this.pods, clock }), ...(options.plugins ?? [])]);
    this.driver = new EngineDriver({
      plugins: registry, outputs: this.outputs, clock,
      ...(options.children ? { children: options.children } : {}),
      ...(options.engine ? { engine: options.engine } : {}),
      ...(options.maxStreak !== undefined ? { maxStreak: options.maxStreak } : {}),
    });
  }

  get status(): NonNullable<Workflow['status']> {
    return this.workflow.status ?? {};
  }

  /** One driver round; the status goes through JSON before it is kept. */
  async round(): Promise<DriverRoundResult> {
    this.rounds++;
    const result = await this.driver.runRound(this.workflow);
    this.workflow = { ...this.workflow, status: JSON.parse(JSON.stringify(result.status)) as Workflow['status'] };
    this.events.push(...result.events);
    return result;
  }

  /** Rounds until terminal (or `until` holds), jumping the clock to each wake-up when idle. */
  async run(until?: (h: Harness) => boolean, maxRounds = 10_000): Promise<void> {
    while (!isTerminalWorkflowPhase(this.status.phase) && !(until?.(this) ?? false)) {
      if (this.rounds >= maxRounds) throw new Error(`not done after ${maxRounds} rounds: ${JSON.stringify(this.status.phase)}`);
      const result = await this.round();
      if (result.changed || result.requeueAfterMs === 0) continue;
      if (result.requeueAfterMs === undefined) throw new Error(`stuck: no wake-up in phase ${this.status.phase}`);
      this.now += Math.max(1, result.requeueAfterMs);
    }
  }

  node(path: string): NonNullable<Workflow['status']>['nodes'] extends infer M ? (M extends Record<string, infer N> ? N : never) : never {
    const ns = this.status.nodes?.[path];
    if (!ns) throw new Error(`no status for node ${path}`);
    return ns;
  }
}
