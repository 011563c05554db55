/** `echo`: succeeds at once with outputs = inputs. */
import type { TaskObservation, TaskPlugin } from '../../engine/plugins.js';

export function createEchoPlugin(): TaskPlugin {
  const run = (inputs: Readonly<Record<string, unknown>>): TaskObservation => ({
    phase: 'Succeeded',
    outputs: { ...inputs } as Record<string, never>,
  });
  return {
    name: 'echo',
    start: async (ctx) => run(ctx.inputs),
    check: async (ctx) => run(ctx.inputs),
    abort: async () => {},
  };
}
