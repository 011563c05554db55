/** `flaky`: fails its first `config.failAttempts` attempts with a user error, then echoes. */
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';

function observe(ctx: TaskContext): TaskObservation {
  const raw = ctx.task.config?.['failAttempts'];
  const failAttempts = typeof raw === 'number' && Number.isFinite(raw) ? raw : 1;
  if (ctx.attempt <= failAttempts) {
    const kind = ctx.task.config?.['failureKind'] === 'system' ? 'system' : 'user';
    return {
      phase: 'Failed',
      failure: {
        kind,
        reason: 'FlakyFailure',
        message: `flaky: attempt ${ctx.attempt} of ${failAttempts} planned failures`,
      },
    };
  }
  return { phase: 'Succeeded', outputs: { ...ctx.inputs } };
}

export function createFlakyPlugin(): TaskPlugin {
  return {
    name: 'flaky',
    start: async (ctx) => observe(ctx),
    check: async (ctx) => observe(ctx),
    abort: async () => {},
  };
}
