/**
 * `flyte-container`, in-process: what `flotilla run` does for a Flyte container task (and what the
 * sandbox's pyflyte-execute stand-in does in a pod). Per attempt it writes the node's `inputs.pb`
 * through the blob store, renders the container's command and args as FlytePropeller would, runs
 * the stand-in (src/flyte/container/stand-in.ts), which writes `outputs.pb`, `error.pb` or
 * `futures.pb` where a real container would, and then reads the attempt's result back from the
 * store as FlytePropeller does — so the same paths and encodings a real task uses are exercised.
 *
 * Results: outputs.pb → Succeeded with its literals; error.pb → Failed with its origin (user or
 * system) and recoverability (retryable); futures.pb → Failed, dynamic tasks are not supported yet;
 * none of them → a retryable system failure. A storage outage is thrown (the round is retried);
 * any other storage error fails the attempt as a system failure.
 */
import type { TaskContext, TaskObservation, TaskPlugin } from '../../engine/plugins.js';
import { FlyteError } from '../../flyte/errors.js';
import { templateParams, type AttemptPaths } from '../../flyte/container/paths.js';
import { runStandIn } from '../../flyte/container/stand-in.js';
import { renderTemplates, usesTaskTemplatePath } from '../../flyte/container/template.js';
import {
  encodeEmptyFutures,
  encodeErrorDocument,
  encodeLiteralMap,
  encodeTaskTemplate,
} from '../../flyte/literals/codec.js';
import { isObject, normalizeLiterals, type LiteralsJson } from '../../flyte/literals/values.js';
import { FlytePluginNames, type ContainerTaskConfig } from '../../flyte/translate/contract.js';
import { collectResult, failed, noOutputs, withContainerAttempt } from './collect.js';
import type { BlobStore } from '../../storage/blob-store.js';

/** What a container attempt was launched with (for tests and diagnostics). */
export interface ContainerLaunch {
  /** The engine's node path. */
  readonly nodeId: string;
  readonly attempt: number;
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly paths: AttemptPaths;
}

export interface FlyteContainerPluginOptions {
  /** Where node data lives (the store `status.dataDir` points into). */
  readonly store: BlobStore;
  /** Called once per started attempt with its rendered command and args. @defaultValue none */
  readonly onLaunch?: (launch: ContainerLaunch) => void;
}

const PROTOBUF = 'application/octet-stream';

/** The attempt's input literals (an array item's arrive as the engine input `item`). */
export function inputsOf(ctx: TaskContext, config: ContainerTaskConfig): LiteralsJson {
  if (config.arrayItem !== true) return normalizeLiterals(ctx.inputs);
  const item = ctx.inputs['item'];
  return isObject(item) ? normalizeLiterals(item) : {};
}

export function createFlyteContainerPlugin(options: FlyteContainerPluginOptions): TaskPlugin {
  const { store } = options;

  /** Reads what the attempt left in its output directory, as FlytePropeller does after a pod ends. */
  const collect = async (config: ContainerTaskConfig, paths: AttemptPaths): Promise<TaskObservation> =>
    (await collectResult(store, config, paths)) ?? noOutputs(config, paths);

  async function launch(ctx: TaskContext, config: ContainerTaskConfig, paths: AttemptPaths): Promise<TaskObservation> {
    const inputs = inputsOf(ctx, config);
    await store.put(paths.inputs, encodeLiteralMap(inputs), { contentType: PROTOBUF });
    const container = isObject(config.template['container']) ? config.template['container'] : {};
    const list = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    const params = templateParams(config, paths, inputs);
    let command: string[];
    let args: string[];
    try {
      command = renderTemplates(list(container['command']), params);
      args = renderTemplates(list(container['args']), params);
    } catch (error) {
      if (error instanceof FlyteError)
        return failed('user', error.code, `task ${config.taskName}: ${error.message}`, false);
      throw error;
    }
    if (usesTaskTemplatePath([...list(container['command']), ...list(container['args'])])) {
      await store.put(paths.taskTemplate, encodeTaskTemplate(config.template), { contentType: PROTOBUF });
    }
    const image = config.image ?? (typeof container['image'] === 'string' ? container['image'] : '');
    options.onLaunch?.({ nodeId: ctx.nodeId, attempt: ctx.attempt, image, command, args, paths });
    // The stand-in does what the container would, writing where the container would.
    const result = runStandIn({
      template: config.template,
      taskName: config.taskName,
      inputs,
      attempt: ctx.attempt,
      path: paths.path,
      nodeId: config.nodeId,
      rules: config.standIn ?? [],
      rawOutputPrefix: paths.rawOutputPrefix,
    });
    if (result.kind === 'outputs')
      await store.put(paths.outputs, encodeLiteralMap(result.literals), { contentType: PROTOBUF });
    else if (result.kind === 'error')
      await store.put(paths.error, encodeErrorDocument(result.failure), { contentType: PROTOBUF });
    else await store.put(paths.futures, encodeEmptyFutures(), { contentType: PROTOBUF });
    return collect(config, paths);
  }

  return {
    name: FlytePluginNames.container,
    start: (ctx) => withContainerAttempt(ctx, (config, paths) => launch(ctx, config, paths)),
    check: (ctx) => withContainerAttempt(ctx, (config, paths) => collect(config, paths)),
    abort: async () => undefined,
  };
}
