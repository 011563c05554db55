/**
 * `sleep`: succeeds with outputs = inputs once `config.duration` has passed since the attempt
 * started (by the injected clock), so it survives restarts and runs instantly on a virtual clock.
 */
import { parseDuration } from '../../api/duration.js';
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';

export interface SleepPluginOptions {
  /** The clock, ms since the epoch. @defaultValue Date.now */
  readonly clock?: () => number;
}

export function createSleepPlugin(options: SleepPluginOptions = {}): TaskPlugin {
  const clock = options.clock ?? Date.now;
  const observe = (ctx: TaskContext): TaskObservation => {
    const raw = ctx.task.config?.['duration'];
    const ms = raw === undefined ? 0 : parseDuration(raw);
    if (ms === undefined) {
      return {
        phase: 'Failed',
        failure: {
          kind: 'user',
          reason: 'InvalidConfig',
          message: `sleep: config.duration ${JSON.stringify(raw)} is not a duration`,
          retryable: false,
        },
      };
    }
    const until = Date.parse(ctx.attemptStartedAt) + ms;
    const left = until - clock();
    if (left <= 0) return { phase: 'Succeeded', outputs: { ...ctx.inputs } };
    return { phase: 'Running', message: `sleeping until ${new Date(until).toISOString()}`, checkAfterMs: left };
  };
  return {
    name: 'sleep',
    start: async (ctx) => observe(ctx),
    check: async (ctx) => observe(ctx),
    abort: async () => {},
  };
}
