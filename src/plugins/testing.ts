/**
 * Test support for running workflows on the engine with the local plugin set: a harness that
 * drives rounds on a fake clock with the status round-tripping through JSON between rounds, as it
 * does through the API server. Workflow builders and scripted plugins are in src/engine/testing.ts.
 */
import { isTerminalWorkflowPhase } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import {
  EngineDriver,
  MemoryOutputStore,
  type ChildWorkflowGateway,
  type DriverRoundResult,
  type EngineOptions,
} from '../engine/index.js';
import type { ExecutionEvent } from '../engine/events.js';
import { PluginRegistry } from '../engine/plugin-registry.js';
import type { TaskPlugin } from '../engine/plugins.js';
import type { TaskCatalog } from '../engine/catalog.js';
import type { TaskRecovery } from '../engine/recovery.js';
import { localPlugins } from './local.js';
import { MemoryPodGateway } from './pod/memory-gateway.js';

export interface HarnessOptions {
  /** Plugins beside the local set (a test's own). */
  readonly plugins?: readonly TaskPlugin[];
  readonly engine?: EngineOptions;
  readonly startAt?: number;
  readonly children?: ChildWorkflowGateway;
  readonly maxStreak?: number;
  readonly catalog?: TaskCatalog;
  readonly recovery?: TaskRecovery;
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
    const registry = new PluginRegistry([...localPlugins({ clock, pods: this.pods }), ...(options.plugins ?? [])]);
    this.driver = new EngineDriver({
      plugins: registry,
      outputs: this.outputs,
      clock,
      ...(options.children ? { children: options.children } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
      ...(options.recovery ? { recovery: options.recovery } : {}),
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
      if (this.rounds >= maxRounds)
        throw new Error(`not done after ${maxRounds} rounds: ${JSON.stringify(this.status.phase)}`);
      const result = await this.round();
      if (result.changed || result.requeueAfterMs === 0) continue;
      if (result.requeueAfterMs === undefined) throw new Error(`stuck: no wake-up in phase ${this.status.phase}`);
      this.now += Math.max(1, result.requeueAfterMs);
    }
  }

  node(
    path: string,
  ): NonNullable<Workflow['status']>['nodes'] extends infer M
    ? M extends Record<string, infer N>
      ? N
      : never
    : never {
    const ns = this.status.nodes?.[path];
    if (!ns) throw new Error(`no status for node ${path}`);
    return ns;
  }
}
