/**
 * Reading an attempt's result from the blob store, as FlytePropeller does once a task's container
 * is done: the one place both `flyte-container` plugins (in-process and pod-based) turn what the
 * container left in its output directory into a task observation.
 *
 * Order: futures.pb → Failed, dynamic tasks are not supported yet; error.pb → Failed with the
 * ErrorDocument's origin (user or system) and recoverability (retryable); outputs.pb → Succeeded
 * with its literals (protobuf JSON), or a user failure when a declared output is missing; none of
 * them → Succeeded with no outputs for a task that declares none, else `undefined` (the caller
 * decides: the in-process plugin fails the attempt, the pod plugin looks at how the pod ended).
 * Storage errors are thrown to the caller.
 */
import type { TaskContext, TaskObservation } from '../../engine/plugins.js';
import { FlyteError } from '../../flyte/errors.js';
import { attemptPaths, type AttemptPaths } from '../../flyte/container/paths.js';
import { declaredOutputs } from '../../flyte/container/stand-in.js';
import { decodeErrorDocument, decodeLiteralMap } from '../../flyte/literals/codec.js';
import { isContainerConfig, type ContainerTaskConfig } from '../../flyte/translate/contract.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { isStorageError } from '../../storage/errors.js';

/** A failed observation. */
export function failed(kind: 'user' | 'system', reason: string, message: string, retryable: boolean): TaskObservation {
  return { phase: 'Failed', failure: { kind, reason, message, retryable } };
}

/** The attempt's result in the store, or `undefined` when the container left nothing there. */
export async function collectResult(
  store: BlobStore,
  config: ContainerTaskConfig,
  paths: AttemptPaths,
): Promise<TaskObservation | undefined> {
  if (await store.exists(paths.futures)) {
    return failed(
      'system',
      'Unsupported',
      `task ${config.taskName} wrote futures.pb (a dynamic task): dynamic workflows are not supported yet`,
      false,
    );
  }
  if (await store.exists(paths.error)) {
    const failure = decodeErrorDocument(await store.get(paths.error));
    return failed(
      failure.origin,
      failure.code || 'ContainerError',
      failure.message || `task ${config.taskName} failed`,
      failure.recoverable,
    );
  }
  const declared = Object.keys(declaredOutputs(config.template));
  if (!(await store.exists(paths.outputs))) {
    return declared.length === 0 ? { phase: 'Succeeded', outputs: {} } : undefined;
  }
  const outputs = decodeLiteralMap(await store.get(paths.outputs));
  const missing = declared.filter((name) => !Object.hasOwn(outputs, name));
  if (missing.length > 0)
    return failed(
      'user',
      'OutputsMissing',
      `task ${config.taskName} did not produce output ${missing.join(', ')} in ${paths.outputs}`,
      false,
    );
  return { phase: 'Succeeded', outputs };
}

/** The failure of a container that ended without leaving a result. */
export function noOutputs(config: ContainerTaskConfig, paths: AttemptPaths): TaskObservation {
  return failed(
    'system',
    'OutputsNotFound',
    `task ${config.taskName} wrote neither ${paths.outputs} nor error.pb`,
    true,
  );
}

/**
 * Runs one step of a container attempt (both plugins share it): the task's config checked, its
 * attempt paths built, and what went wrong sorted — a store outage is the round's problem (thrown,
 * asked again later); a refused store call or a malformed task ends the attempt as a system failure.
 */
export async function withContainerAttempt(
  ctx: TaskContext,
  run: (config: ContainerTaskConfig, paths: AttemptPaths) => Promise<TaskObservation>,
): Promise<TaskObservation> {
  const config = ctx.task.config;
  if (!isContainerConfig(config))
    return failed('system', 'BadConfig', `${ctx.nodeId}: not a flyte-container task`, false);
  try {
    return await run(config, attemptPaths(config, ctx.nodeId, ctx.attempt));
  } catch (error) {
    if (isStorageError(error) && error.retryable) throw error;
    if (isStorageError(error)) return failed('system', `Storage${error.code}`, error.message, false);
    if (error instanceof FlyteError) return failed('system', error.code, error.message, false);
    throw error;
  }
}
