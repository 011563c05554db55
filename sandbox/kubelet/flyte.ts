/**
 * The sandbox's pyflyte-execute stand-in. A Pod whose container runs Flyte's entrypoint
 * (`pyflyte-execute` or `pyflyte-fast-execute` in its command or args) does, at the moment its
 * container would run, what flytekit would do — through the same arguments and the same blob store:
 * it reads the LiteralMap at `--inputs`, applies the stand-in's rules (src/flyte/container/stand-in.ts)
 * for the task the Pod's `flotilla.io/flyte-task` annotation describes (its outputs and the
 * FlyteWorkflow's stand-in rules for the node, written by the pod-based plugin), and writes
 * `outputs.pb` — or `error.pb` (then exits 1) or `futures.pb` — under `--output-prefix`. Only then
 * does the kubelet mark the container terminated. The attempt is `FLYTE_ATTEMPT_NUMBER` + 1.
 *
 * A storage error is thrown: the kubelet keeps the container running and retries with backoff, as
 * a real container would be stuck on its upload. A Pod it cannot run (no store configured, no
 * `--inputs`/`--output-prefix`, a bad annotation, unreadable inputs) exits 1 with the reason as
 * its termination message, as flytekit would crash.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { JsonObject } from '../../src/api/schema.js';
import {
  argValue,
  decodePodStandInSpec,
  POD_STAND_IN_ANNOTATION,
  runsFlyteEntrypoint,
} from '../../src/flyte/container/pod-stand-in.js';
import { runStandIn } from '../../src/flyte/container/stand-in.js';
import { FlyteError } from '../../src/flyte/errors.js';
import {
  decodeLiteralMap,
  encodeEmptyFutures,
  encodeErrorDocument,
  encodeLiteralMap,
} from '../../src/flyte/literals/codec.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { isStorageError } from '../../src/storage/errors.js';
import { joinBlobUri } from '../../src/storage/uri.js';

/** How the container ended. */
export interface ContainerExit {
  readonly exitCode: number;
  /** Completed or Error. */
  readonly reason: string;
  readonly message?: string;
}

const PROTOBUF = 'application/octet-stream';

/** Whether the Pod's first container runs Flyte's entrypoint. */
export function isFlytePod(pod: V1Pod): boolean {
  const c = pod.spec?.containers[0];
  return c !== undefined && runsFlyteEntrypoint(c.command, c.args);
}

function crash(message: string): ContainerExit {
  return { exitCode: 1, reason: 'Error', message };
}

/** Runs the stand-in for the Pod's container against `store` (undefined: no store configured). */
export async function runFlyteContainer(pod: V1Pod, store: BlobStore | undefined): Promise<ContainerExit> {
  if (!store)
    return crash('pyflyte-execute stand-in: the simulated kubelet has no blob store (start it with blobStoreUrl)');
  const container = pod.spec?.containers[0];
  const args = [...(container?.command ?? []), ...(container?.args ?? [])];
  const inputsUri = argValue(args, 'inputs');
  const outputPrefix = argValue(args, 'output-prefix');
  if (inputsUri === undefined || outputPrefix === undefined)
    return crash('pyflyte-execute stand-in: the container needs --inputs and --output-prefix');
  const rawPrefix = argValue(args, 'raw-output-data-prefix') ?? joinBlobUri(outputPrefix, 'raw');
  const attemptText = container?.env?.find((e) => e.name === 'FLYTE_ATTEMPT_NUMBER')?.value ?? '0';
  const attempt = (Number.parseInt(attemptText, 10) || 0) + 1;
  try {
    const annotation = pod.metadata?.annotations?.[POD_STAND_IN_ANNOTATION];
    const spec = annotation !== undefined ? decodePodStandInSpec(annotation) : undefined;
    const inputs = decodeLiteralMap(await store.get(inputsUri));
    const variables: JsonObject = {};
    for (const [name, type] of Object.entries(spec?.outputs ?? {})) variables[name] = { type };
    const result = runStandIn({
      template: { interface: { outputs: { variables } } },
      taskName: spec?.taskName ?? container?.name ?? '',
      inputs,
      attempt,
      path: spec?.path ?? '',
      nodeId: spec?.nodeId ?? '',
      rules: spec?.rules ?? [],
      rawOutputPrefix: rawPrefix,
    });
    if (result.kind === 'error') {
      await store.put(joinBlobUri(outputPrefix, 'error.pb'), encodeErrorDocument(result.failure), {
        contentType: PROTOBUF,
      });
      return { exitCode: 1, reason: 'Error', message: `${result.failure.code}: ${result.failure.message}` };
    }
    if (result.kind === 'futures')
      await store.put(joinBlobUri(outputPrefix, 'futures.pb'), encodeEmptyFutures(), { contentType: PROTOBUF });
    else
      await store.put(joinBlobUri(outputPrefix, 'outputs.pb'), encodeLiteralMap(result.literals), {
        contentType: PROTOBUF,
      });
    return { exitCode: 0, reason: 'Completed' };
  } catch (error) {
    if (isStorageError(error) && error.retryable) throw error;
    if (isStorageError(error) || error instanceof FlyteError)
      return crash(`pyflyte-execute stand-in: ${error.message}`);
    throw error;
  }
}
