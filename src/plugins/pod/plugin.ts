/** The `pod` plugin: one Pod per attempt, deterministic name, outputs from the termination message. */
import type { TaskPlugin } from '../../engine/plugins.js';
import { buildPod, podNameFor } from './build.js';
import { classifyPod } from './classify.js';
import type { PodGateway } from './gateway.js';

export interface PodPluginOptions {
  readonly gateway: PodGateway;
  /** The clock, ms since the epoch. @defaultValue Date.now */
  readonly clock?: () => number;
  /** A Pod still Pending after this long is a system failure. @defaultValue 300000 */
  readonly pendingTimeoutMs?: number;
  /** Ask again after this long while Pending or Running. @defaultValue 1000 */
  readonly checkAfterMs?: number;
}

export function createPodPlugin(options: PodPluginOptions): TaskPlugin {
  const clock = options.clock ?? Date.now;
  const classify = (pod: Parameters<typeof classifyPod>[0]) =>
    classifyPod(pod, { now: clock(), ...(options.pendingTimeoutMs !== undefined ? { pendingTimeoutMs: options.pendingTimeoutMs } : {}), ...(options.checkAfterMs !== undefined ? { checkAfterMs: options.checkAfterMs } : {}) });
  return {
    name: 'pod',
    async start(ctx, signal) {
      const pod = buildPod(ctx);
      await options.gateway.create(pod, signal);
      return classify(await options.gateway.get(ctx.workflow.namespace, podNameFor(ctx), signal));
    },
    async check(ctx, signal) {
      return classify(await options.gateway.get(ctx.workflow.namespace, podNameFor(ctx), signal));
    },
    async abort(ctx, signal) {
      await options.gateway.delete(ctx.workflow.namespace, podNameFor(ctx), signal);
    },
  };
}
