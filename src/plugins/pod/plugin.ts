/**
 * The `pod` plugin: one Pod per attempt, deterministic name, outputs from the termination message
 * or, with a blob store, from the object the task wrote at `FLOTILLA_OUTPUTS_URI` (./outputs-file.ts).
 */
import type { JsonObject } from '../../api/schema.js';
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';
import { buildPod, CONTAINER_NAME, podNameFor } from './build.js';
import { classifyPod } from './classify.js';
import type { PodGateway, PodRefusal } from './gateway.js';
import { outputsUriFor, readOutputsFile } from './outputs-file.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { applyPodPlatform, type PodPlatformOptions } from './platform.js';

export interface PodPluginOptions {
  readonly gateway: PodGateway;
  /** Where tasks may write outputs larger than a termination message holds. @defaultValue none */
  readonly store?: BlobStore;
  /** The clock, ms since the epoch. @defaultValue Date.now */
  readonly clock?: () => number;
  /** A Pod still Pending after this long is a system failure. @defaultValue 300000 */
  readonly pendingTimeoutMs?: number;
  /** Ask again after this long while Pending or Running. @defaultValue 1000 */
  readonly checkAfterMs?: number;
  /** First wait before creating a Pod a quota refused again; doubles per refusal. @defaultValue 1000 */
  readonly quotaBackoffBaseMs?: number;
  /** Longest wait between two creates of a Pod a quota refused. @defaultValue 30000 */
  readonly quotaBackoffMaxMs?: number;
  /** PodTemplates and interruptible scheduling (./platform.ts). @defaultValue none */
  readonly platform?: PodPlatformOptions;
}

/** `pluginState` key: how many times the create was refused (the attempt waits for resources). */
const REFUSALS = 'createRefusals';

function refusalsOf(ctx: TaskContext): number {
  const value = ctx.pluginState?.[REFUSALS];
  return typeof value === 'number' ? value : 0;
}

export function createPodPlugin(options: PodPluginOptions): TaskPlugin {
  const clock = options.clock ?? Date.now;
  const classify = (pod: Parameters<typeof classifyPod>[0]) =>
    classifyPod(pod, {
      now: clock(),
      ...(options.pendingTimeoutMs !== undefined ? { pendingTimeoutMs: options.pendingTimeoutMs } : {}),
      ...(options.checkAfterMs !== undefined ? { checkAfterMs: options.checkAfterMs } : {}),
    });

  /** A Succeeded attempt's outputs from the store when the task wrote them there. */
  const withStoredOutputs = async (
    ctx: TaskContext,
    observed: TaskObservation,
    signal?: AbortSignal,
  ): Promise<TaskObservation> => {
    if (observed.phase !== 'Succeeded' || options.store === undefined) return observed;
    const stored = await readOutputsFile(options.store, outputsUriFor(options.store, ctx), signal);
    if (!stored.found) return observed;
    if ('invalid' in stored)
      return {
        phase: 'Failed',
        failure: {
          kind: 'user',
          reason: 'InvalidOutputs',
          message: `Pod ${podNameFor(ctx)} succeeded but ${stored.invalid}`,
        },
      };
    return { phase: 'Succeeded', outputs: stored.outputs };
  };
  const observe = async (ctx: TaskContext, signal?: AbortSignal): Promise<TaskObservation> =>
    withStoredOutputs(
      ctx,
      classify(await options.gateway.get(ctx.workflow.namespace, podNameFor(ctx), signal)),
      signal,
    );

  const refused = (ctx: TaskContext, refusal: PodRefusal): TaskObservation => {
    if (refusal.reason === 'Invalid') {
      // The Pod as built can never be created: fail now with the API server's words.
      return {
        phase: 'Failed',
        failure: {
          kind: 'user',
          reason: 'InvalidPod',
          message: `the API server refused Pod ${podNameFor(ctx)}: ${refusal.message}`,
          retryable: false,
        },
      };
    }
    const refusals = refusalsOf(ctx) + 1;
    const base = options.quotaBackoffBaseMs ?? 1_000;
    const checkAfterMs = Math.min(options.quotaBackoffMaxMs ?? 30_000, base * 2 ** Math.min(refusals - 1, 20));
    const pluginState: JsonObject = { [REFUSALS]: refusals };
    return {
      phase: 'WaitingForResources',
      message: `WaitingForResources: ${refusal.message}`,
      pluginState,
      checkAfterMs,
    };
  };

  const start = async (ctx: TaskContext, signal?: AbortSignal): Promise<TaskObservation> => {
    const outputsUri = options.store !== undefined ? outputsUriFor(options.store, ctx) : undefined;
    const built = applyPodPlatform(
      buildPod(ctx, outputsUri !== undefined ? { outputsUri } : {}),
      {
        primaryContainer: CONTAINER_NAME,
        interruptible: ctx.task.interruptible === true,
        ...(ctx.task.pod?.podTemplateName !== undefined ? { templateName: ctx.task.pod.podTemplateName } : {}),
        ...(ctx.task.pod?.secrets !== undefined ? { secrets: ctx.task.pod.secrets } : {}),
      },
      options.platform ?? {},
    );
    if ('error' in built)
      return {
        phase: 'Failed',
        failure: { kind: 'user', reason: 'PodTemplateNotFound', message: built.error, retryable: false },
      };
    const result = await options.gateway.create(built.pod, signal);
    if (result.refused) return refused(ctx, result.refused);
    const observed = await observe(ctx, signal);
    // Created after waiting: clear the refusal count so later checks only read the Pod.
    return refusalsOf(ctx) > 0 && observed.phase !== 'Succeeded' && observed.phase !== 'Failed'
      ? { ...observed, pluginState: {} }
      : observed;
  };

  return {
    name: 'pod',
    start,
    async check(ctx, signal) {
      // A refused create has no Pod to read yet: try the create again.
      if (refusalsOf(ctx) > 0) return start(ctx, signal);
      return observe(ctx, signal);
    },
    async abort(ctx, signal) {
      await options.gateway.delete(ctx.workflow.namespace, podNameFor(ctx), signal);
    },
  };
}
