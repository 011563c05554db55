/**
 * Runs one workflow in-process, without a cluster: the engine driver with the plugins it is given
 * (`localPlugins` in src/plugins: in-process ones and simulated pods) and an in-memory output
 * store; launched children run in the same loop. With the virtual clock (default) time jumps to
 * the next wake-up whenever nothing can progress now, so a one-hour sleep or back-off takes no
 * time. A gate waiting for a signal that was not given ends the run (it could never arrive).
 */
import type { JsonValue } from '../api/schema.js';
import { signalAnnotationKey } from '../api/signals.js';
import { isTerminalWorkflowPhase } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { ExecutionEvent } from './events.js';
import { PluginRegistry } from './plugin-registry.js';
import type { TaskPlugin } from './plugins.js';
import { EngineDriver, type ChildWorkflowGateway } from './driver.js';
import { MemoryOutputStore } from './outputs.js';
import type { ChildObservation, ChildWorkflowManifest, EngineOptions } from './types.js';

export interface LocalRunOptions {
  readonly workflow: Workflow;
  /** `virtual` jumps over waits; `real` sleeps through them. @defaultValue 'virtual' */
  readonly clock?: 'virtual' | 'real';
  /** Signals to set before the run, by name (written as `signal.flotilla.io/<name>` annotations). */
  readonly signals?: Readonly<Record<string, JsonValue>>;
  /** Start time of the virtual clock. @defaultValue Date.now() */
  readonly startAt?: number;
  readonly engine?: EngineOptions;
  /** The plugins, built on the run's clock (virtual or real), e.g. `localPlugins` from src/plugins/local.ts. */
  readonly plugins: (run: { clock: () => number }) => readonly TaskPlugin[];
  /** Safety bound on rounds. @defaultValue 100000 */
  readonly maxRounds?: number;
}

export interface LocalRunResult {
  readonly workflow: Workflow;
  readonly events: ExecutionEvent[];
  readonly rounds: number;
  /** Launched children, by name. */
  readonly children: ReadonlyMap<string, Workflow>;
  /** Why the run stopped before the workflow ended (a gate without its signal, the round bound). */
  readonly stalled?: string;
  /** Virtual (or real) ms the run took. */
  readonly elapsedMs: number;
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const real = options.clock === 'real';
  let virtualNow = options.startAt ?? Date.now();
  const started = real ? Date.now() : virtualNow;
  const clock = real ? Date.now : () => virtualNow;
  const setAt = new Date(clock()).toISOString();
  const annotations = { ...(options.workflow.metadata.annotations ?? {}) };
  for (const [name, value] of Object.entries(options.signals ?? {}))
    annotations[signalAnnotationKey(name)] = JSON.stringify({ value, setAt, setBy: 'flotilla run' });
  const root: Workflow = { ...options.workflow, metadata: { ...options.workflow.metadata, annotations } };

  const workflows = new Map<string, Workflow>([[root.metadata.name, root]]);
  const children = new Map<string, Workflow>();
  let uidCounter = 0;
  const gateway: ChildWorkflowGateway = {
    async create(child: ChildWorkflowManifest) {
      if (workflows.has(child.metadata.name)) return;
      const created: Workflow = {
        ...child,
        metadata: {
          ...child.metadata,
          uid: child.metadata.uid ?? `${root.metadata.uid}-child-${++uidCounter}`,
          annotations: { ...annotations, ...(child.metadata.annotations ?? {}) },
        },
      };
      workflows.set(created.metadata.name, created);
      children.set(created.metadata.name, created);
    },
    async get(_namespace: string, name: string): Promise<ChildObservation> {
      const wf = workflows.get(name);
      if (!wf) return { phase: 'NotFound' };
      const status = wf.status;
      return {
        phase: status?.phase ?? 'Pending',
        ...(status?.outputs !== undefined ? { outputs: status.outputs as Record<string, JsonValue> } : {}),
        ...(status?.message !== undefined ? { message: status.message } : {}),
      };
    },
    async delete(_namespace: string, name: string) {
      const wf = workflows.get(name);
      if (wf && !isTerminalWorkflowPhase(wf.status?.phase))
        wf.metadata.deletionTimestamp = new Date(clock()).toISOString();
    },
  };
  const registry = new PluginRegistry(options.plugins({ clock }));
  const driver = new EngineDriver({
    plugins: registry,
    outputs: new MemoryOutputStore(),
    children: gateway,
    clock,
    ...(options.engine ? { engine: options.engine } : {}),
  });

  const events: ExecutionEvent[] = [];
  const maxRounds = options.maxRounds ?? 100_000;
  let rounds = 0;
  let stalled: string | undefined;
  while (!isTerminalWorkflowPhase(workflows.get(root.metadata.name)?.status?.phase)) {
    if (rounds >= maxRounds) {
      stalled = `stopped after ${maxRounds} rounds`;
      break;
    }
    let progressed = false;
    let wake = Number.POSITIVE_INFINITY;
    for (const [name, wf] of [...workflows]) {
      if (isTerminalWorkflowPhase(wf.status?.phase)) continue;
      rounds++;
      const result = await driver.runRound(wf);
      // Status round-trips through JSON between rounds, as it does through the API server.
      const next: Workflow = { ...wf, status: JSON.parse(JSON.stringify(result.status)) as Workflow['status'] };
      workflows.set(name, next);
      if (children.has(name)) children.set(name, next);
      events.push(...result.events);
      if (result.changed || result.requeueAfterMs === 0) progressed = true;
      if (result.requeueAfterMs !== undefined) wake = Math.min(wake, result.requeueAfterMs);
    }
    if (progressed) continue;
    const waiting = missingSignals([...workflows.values()]);
    if (waiting.length > 0) {
      stalled = waiting
        .map((w) => `gate ${w.path} waits for signal ${w.signal}: pass --signal ${w.signal}=...`)
        .join('; ');
      break;
    }
    if (!Number.isFinite(wake)) {
      stalled = 'the workflow cannot progress (nothing to wait for)';
      break;
    }
    if (real) await new Promise((resolve) => setTimeout(resolve, Math.max(1, wake)));
    else virtualNow += Math.max(1, wake);
  }
  const final = workflows.get(root.metadata.name) ?? root;
  return {
    workflow: final,
    events,
    rounds,
    children,
    ...(stalled !== undefined ? { stalled } : {}),
    elapsedMs: clock() - started,
  };
}

function missingSignals(workflows: readonly Workflow[]): { path: string; signal: string }[] {
  const found: { path: string; signal: string }[] = [];
  for (const wf of workflows) {
    if (isTerminalWorkflowPhase(wf.status?.phase)) continue;
    for (const [path, ns] of Object.entries(wf.status?.nodes ?? {})) {
      if (
        ns.phase === 'Running' &&
        ns.waitingFor !== undefined &&
        wf.metadata.annotations?.[signalAnnotationKey(ns.waitingFor)] === undefined
      ) {
        found.push({ path, signal: ns.waitingFor });
      }
    }
  }
  return found;
}
