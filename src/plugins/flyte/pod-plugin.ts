/**
 * `flyte-container` on Kubernetes: one Pod per attempt, as FlytePropeller runs a container task.
 *
 * start: writes the attempt's `inputs.pb` (and `task.pb` when the args name
 * `{{.taskTemplatePath}}`) through the blob store, then creates the Pod ({@link buildFlytePod})
 * through the injected PodGateway. Idempotent: the Pod name is deterministic (an existing Pod is
 * not created again), and an attempt whose result is already in the store is never launched
 * again (its Pod may be gone already).
 *
 * check: reads the Pod. Pending and Running are reported as the native pod plugin reports them
 * (image pull failures and a Pending timeout are system failures). Once the Pod has ended, the
 * result comes from the store exactly as for the in-process plugin (./collect.ts): error.pb,
 * whatever the phase, then outputs.pb; a Failed Pod that left nothing is classified by Flyte's
 * rules (./pod-failure.ts). The attempt's Pod is then deleted (success or failure).
 *
 * abort: deletes the Pod. A storage outage is thrown (the round is retried); other storage errors
 * fail the attempt as a system failure.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { JsonObject } from '../../api/schema.js';
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';
import { FlyteError } from '../../flyte/errors.js';
import type { AttemptPaths } from '../../flyte/container/paths.js';
import { usesTaskTemplatePath } from '../../flyte/container/template.js';
import { encodeLiteralMap, encodeTaskTemplate } from '../../flyte/literals/codec.js';
import { isObject } from '../../flyte/literals/values.js';
import { FlytePluginNames, type ContainerTaskConfig } from '../../flyte/translate/contract.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { applyPodPlatform, classifyPod, type PodGateway, type PodPlatformOptions } from '../pod/index.js';
import { collectResult, failed, noOutputs, withContainerAttempt } from './collect.js';
import { inputsOf } from './container.js';
import { buildFlytePod, flytePodName, taskPodRequests, type PodOwnerKind } from './pod-build.js';
import { demystifyFailure } from './pod-failure.js';

export interface FlytePodPluginOptions {
  /** Where node data lives (the store `status.dataDir` points into). */
  readonly store: BlobStore;
  /** How Pods are created, read and deleted (the controller passes its Kubernetes gateway). */
  readonly gateway: PodGateway;
  /** The owner of the Pods. @defaultValue a FlyteWorkflow (`flyte.lyft.com/v1alpha1`) */
  readonly owner?: PodOwnerKind;
  /** The clock, ms since the epoch. @defaultValue Date.now */
  readonly clock?: () => number;
  /** A Pod still Pending after this long is a system failure. @defaultValue 300000 */
  readonly pendingTimeoutMs?: number;
  /** Ask again after this long while Pending or Running. @defaultValue 1000 */
  readonly checkAfterMs?: number;
  /** Wait before creating a Pod a quota refused, doubled per refusal up to 30 s. @defaultValue 1000 */
  readonly quotaBackoffBaseMs?: number;
  /** PodTemplates and interruptible scheduling (src/plugins/pod/platform.ts). @defaultValue none */
  readonly platform?: PodPlatformOptions;
}

const PROTOBUF = 'application/octet-stream';
/** `pluginState` key: how many times the create was refused. */
const REFUSALS = 'createRefusals';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function refusalsOf(ctx: TaskContext): number {
  const value = ctx.pluginState?.[REFUSALS];
  return typeof value === 'number' ? value : 0;
}

/** Whether the container left a result (error.pb, outputs.pb or futures.pb). */
async function hasResult(store: BlobStore, paths: AttemptPaths): Promise<boolean> {
  return (
    (await store.exists(paths.error)) || (await store.exists(paths.outputs)) || (await store.exists(paths.futures))
  );
}

export function createFlytePodPlugin(options: FlytePodPluginOptions): TaskPlugin {
  const { store, gateway } = options;
  const clock = options.clock ?? Date.now;

  /** The attempt is over: its Pod goes (a missing Pod is fine), the result stays. */
  async function finish(ctx: TaskContext, result: TaskObservation, signal?: AbortSignal): Promise<TaskObservation> {
    await gateway.delete(ctx.workflow.namespace, flytePodName(ctx), signal);
    return result;
  }

  async function observe(
    ctx: TaskContext,
    config: ContainerTaskConfig,
    paths: AttemptPaths,
    signal?: AbortSignal,
  ): Promise<TaskObservation> {
    const pod: V1Pod | undefined = await gateway.get(ctx.workflow.namespace, flytePodName(ctx), signal);
    const phase = pod?.status?.phase;
    if (!pod || phase === 'Succeeded' || phase === 'Failed') {
      const result = await collectResult(store, config, paths);
      // error.pb wins whatever the phase; outputs of a failed Pod are not trusted.
      if (result && (phase !== 'Failed' || result.phase === 'Failed')) return finish(ctx, result, signal);
      if (!pod)
        return failed('system', 'PodLost', `Pod ${flytePodName(ctx)} no longer exists and left no result`, true);
      return finish(ctx, phase === 'Failed' ? demystifyFailure(pod) : noOutputs(config, paths), signal);
    }
    return classifyPod(pod, {
      now: clock(),
      ...(options.pendingTimeoutMs !== undefined ? { pendingTimeoutMs: options.pendingTimeoutMs } : {}),
      ...(options.checkAfterMs !== undefined ? { checkAfterMs: options.checkAfterMs } : {}),
    });
  }

  async function launch(
    ctx: TaskContext,
    config: ContainerTaskConfig,
    paths: AttemptPaths,
    signal?: AbortSignal,
  ): Promise<TaskObservation> {
    // A result in the store means this attempt ran already (its Pod may be deleted): never launch twice.
    if (await hasResult(store, paths)) return observe(ctx, config, paths, signal);
    const inputs = inputsOf(ctx, config);
    let pod: V1Pod;
    try {
      const built = buildFlytePod({ ctx, config, paths, inputs, ...(options.owner ? { owner: options.owner } : {}) });
      const requests = taskPodRequests(config.template);
      const applied = applyPodPlatform(
        built,
        {
          // FlytePropeller names the primary container after the Pod.
          primaryContainer: flytePodName(ctx),
          interruptible: ctx.task.interruptible === true,
          ...requests,
        },
        options.platform ?? {},
      );
      if ('error' in applied)
        return failed('user', 'PodTemplateNotFound', `task ${config.taskName}: ${applied.error}`, false);
      pod = applied.pod;
    } catch (error) {
      if (error instanceof FlyteError)
        return failed('user', error.code, `task ${config.taskName}: ${error.message}`, false);
      throw error;
    }
    // inputs.pb before the Pod: the container reads it as soon as it runs.
    await store.put(paths.inputs, encodeLiteralMap(inputs), { contentType: PROTOBUF });
    const container = isObject(config.template['container']) ? config.template['container'] : {};
    if (usesTaskTemplatePath([...list(container['command']), ...list(container['args'])])) {
      await store.put(paths.taskTemplate, encodeTaskTemplate(config.template), { contentType: PROTOBUF });
    }
    const created = await gateway.create(pod, signal);
    if (created.refused) {
      if (created.refused.reason === 'Invalid')
        return failed(
          'user',
          'InvalidPod',
          `the API server refused Pod ${flytePodName(ctx)}: ${created.refused.message}`,
          false,
        );
      const refusals = refusalsOf(ctx) + 1;
      const pluginState: JsonObject = { [REFUSALS]: refusals };
      const checkAfterMs = Math.min(30_000, (options.quotaBackoffBaseMs ?? 1_000) * 2 ** Math.min(refusals - 1, 20));
      return {
        phase: 'WaitingForResources',
        message: `WaitingForResources: ${created.refused.message}`,
        pluginState,
        checkAfterMs,
      };
    }
    const observed = await observe(ctx, config, paths, signal);
    return refusalsOf(ctx) > 0 && (observed.phase === 'Queued' || observed.phase === 'Running')
      ? { ...observed, pluginState: {} }
      : observed;
  }

  return {
    name: FlytePluginNames.container,
    start: (ctx, signal) => withContainerAttempt(ctx, (config, paths) => launch(ctx, config, paths, signal)),
    check: (ctx, signal) =>
      withContainerAttempt(ctx, (config, paths) =>
        refusalsOf(ctx) > 0 ? launch(ctx, config, paths, signal) : observe(ctx, config, paths, signal),
      ),
    async abort(ctx, signal) {
      await gateway.delete(ctx.workflow.namespace, flytePodName(ctx), signal);
    },
  };
}
