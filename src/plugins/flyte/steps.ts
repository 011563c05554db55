/**
 * `flyte-literal` and `flyte-unsupported`: the in-process plugins behind the steps the Flyte
 * translation adds. Both answer at once and keep no state; a step that cannot be done is a
 * non-retryable user failure naming why (never a thrown error: that would mean "ask again").
 */
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';
import { FlyteError } from '../../flyte/errors.js';
import { runLiteralStep } from '../../flyte/steps.js';
import { FlytePluginNames, isLiteralStepConfig, isUnsupportedConfig } from '../../flyte/translate/contract.js';

function literalStep(ctx: TaskContext): TaskObservation {
  const config = ctx.task.config;
  if (!isLiteralStepConfig(config))
    return {
      phase: 'Failed',
      failure: {
        kind: 'system',
        reason: 'BadConfig',
        message: `${ctx.nodeId}: not a flyte-literal step`,
        retryable: false,
      },
    };
  try {
    return { phase: 'Succeeded', outputs: runLiteralStep(config, ctx.inputs) };
  } catch (error) {
    if (!(error instanceof FlyteError)) throw error;
    return { phase: 'Failed', failure: { kind: 'user', reason: error.code, message: error.message, retryable: false } };
  }
}

export function createLiteralStepPlugin(): TaskPlugin {
  return {
    name: FlytePluginNames.literal,
    start: async (ctx) => literalStep(ctx),
    check: async (ctx) => literalStep(ctx),
    abort: async () => undefined,
  };
}

function unsupported(ctx: TaskContext): TaskObservation {
  const config = ctx.task.config;
  const message = isUnsupportedConfig(config) ? config.message : 'not supported';
  return { phase: 'Failed', failure: { kind: 'system', reason: 'Unsupported', message, retryable: false } };
}

export function createUnsupportedPlugin(): TaskPlugin {
  return {
    name: FlytePluginNames.unsupported,
    start: async (ctx) => unsupported(ctx),
    check: async (ctx) => unsupported(ctx),
    abort: async () => undefined,
  };
}
