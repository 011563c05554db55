/**
 * `flyte-launchplan`: a FlyteWorkflow node with `workflow.launchPlanRefId` starts the launch plan
 * as a child execution and follows it to its end, as FlytePropeller's launch plan handler does.
 * Who starts and reads children is injected (`LaunchPlanLauncher`): FlyteAdmin's CreateExecution /
 * GetExecution when the controller has `--admin-endpoint`, else the documented local resolution
 * (a LaunchPlan ConfigMap naming the workflow). Without a launcher the node fails naming what is
 * missing.
 *
 * start: the child's name is deterministic (src/flyte/events/ids.ts `childExecutionName`, from the
 * parent execution, the node's unique id and the attempt), so a repeated start finds it started
 * (AlreadyExists). check: running → Running; succeeded → its outputs; failed, aborted or timed
 * out → a user failure that is not retried. abort: the child is left to run (not terminated).
 */
import type { JsonObject } from '../../api/schema.js';
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';
import { childExecutionName, eventNodeId, type EventParent } from '../../flyte/events/ids.js';
import { isObject, normalizeLiterals, type LiteralsJson } from '../../flyte/literals/values.js';
import { FlytePluginNames, type ExecutionRef, type LaunchPlanConfig } from '../../flyte/translate/contract.js';

/** A child execution's state as its launcher sees it. */
export type ChildState =
  | { readonly phase: 'running'; readonly message?: string }
  | { readonly phase: 'succeeded'; readonly outputs: LiteralsJson }
  | { readonly phase: 'failed'; readonly code: string; readonly message: string };

export interface LaunchRequest {
  readonly child: ExecutionRef;
  readonly launchPlan: JsonObject;
  readonly inputs: LiteralsJson;
  /** The parent execution and the launching node's unique id. */
  readonly parent: { readonly execution: ExecutionRef; readonly nodeId: string };
  /** The parent FlyteWorkflow's namespace. */
  readonly namespace: string;
}

export interface LaunchPlanLauncher {
  /** Starts the child; false when it existed already. Throws when it cannot tell (retried). */
  launch(request: LaunchRequest): Promise<boolean>;
  /** The child's state. Throws when it cannot tell (retried). */
  state(child: ExecutionRef, namespace: string): Promise<ChildState>;
}

const CHECK_AFTER_MS = 2_000;

function configOf(ctx: TaskContext): LaunchPlanConfig {
  const config = ctx.task.config as unknown;
  if (!isObject(config) || config['op'] !== 'launchplan')
    throw new Error(`node ${ctx.nodeId}: not a launch plan config`);
  return config as unknown as LaunchPlanConfig;
}

/** The child of one attempt. */
export function childOf(config: LaunchPlanConfig, attempt: number): ExecutionRef {
  let parent: EventParent | undefined;
  for (const id of config.parents) parent = { uniqueId: eventNodeId(parent, id), attempt: 0 };
  const unique = eventNodeId(parent, config.nodeId);
  return {
    project: config.execution.project,
    domain: config.execution.domain,
    name: childExecutionName(config.execution.name, unique, attempt - 1),
  };
}

export function createLaunchPlanPlugin(options: { launcher?: LaunchPlanLauncher } = {}): TaskPlugin {
  const missing = (ctx: TaskContext): TaskObservation => {
    const name = configOf(ctx).launchPlan['name'];
    return {
      phase: 'Failed',
      failure: {
        kind: 'system',
        reason: 'Unsupported',
        message: `launch plan ${typeof name === 'string' ? `${name} ` : ''}(workflow.launchPlanRefId) is not supported yet here: launching a child execution needs FlyteAdmin (--admin-endpoint) or the local LaunchPlan resolution`,
        retryable: false,
      },
    };
  };
  const observe = async (ctx: TaskContext, launcher: LaunchPlanLauncher): Promise<TaskObservation> => {
    const config = configOf(ctx);
    const child = childOf(config, ctx.attempt);
    const state = await launcher.state(child, config.namespace);
    switch (state.phase) {
      case 'running':
        return {
          phase: 'Running',
          message: state.message ?? `child execution ${child.name} running`,
          checkAfterMs: CHECK_AFTER_MS,
        };
      case 'succeeded':
        return { phase: 'Succeeded', outputs: state.outputs };
      case 'failed':
        return {
          phase: 'Failed',
          failure: {
            kind: 'user',
            reason: state.code,
            message: `child execution ${child.project}:${child.domain}:${child.name}: ${state.message}`,
            retryable: false,
          },
        };
    }
  };
  return {
    name: FlytePluginNames.launchPlan,
    async start(ctx) {
      const launcher = options.launcher;
      if (!launcher) return missing(ctx);
      const config = configOf(ctx);
      const child = childOf(config, ctx.attempt);
      let parent: EventParent | undefined;
      for (const id of config.parents) parent = { uniqueId: eventNodeId(parent, id), attempt: 0 };
      await launcher.launch({
        child,
        launchPlan: config.launchPlan,
        inputs: normalizeLiterals(ctx.inputs),
        parent: { execution: config.execution, nodeId: eventNodeId(parent, config.nodeId) },
        namespace: config.namespace,
      });
      return { phase: 'Queued', message: `child execution ${child.name} started`, checkAfterMs: 500 };
    },
    async check(ctx) {
      const launcher = options.launcher;
      if (!launcher) return missing(ctx);
      return observe(ctx, launcher);
    },
    abort() {
      return Promise.resolve();
    },
  };
}
