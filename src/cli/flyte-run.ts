/**
 * `flotilla run` for a FlyteWorkflow: translate it (src/flyte/translate), run the engine
 * in-process with the Flyte plugins on a blob store (the container stand-in writes and reads
 * inputs.pb / outputs.pb / error.pb there), then project the engine's status into Flyte's format
 * and write the workflow's inputs (start node) and outputs (end node) where FlytePropeller would.
 */
import type { JsonValue } from '../api/schema.js';
import type { WorkflowStatus } from '../api/status.js';
import type { Workflow } from '../api/workflow.js';
import type { ExecutionEvent } from '../engine/events.js';
import { runLocal } from '../engine/local-runner.js';
import type { EngineOptions } from '../engine/types.js';
import { decodeLiteralMap, encodeLiteralMap } from '../flyte/literals/codec.js';
import { isObject, normalizeLiterals, type LiteralsJson } from '../flyte/literals/values.js';
import { projectFlyteStatus, workflowOutputsUri } from '../flyte/project/index.js';
import type { FlotillaEngineState, FlyteWorkflowStatus } from '../flyte/status.js';
import { translateFlyteWorkflow } from '../flyte/translate/index.js';
import type { FlyteWorkflow } from '../flyte/types.js';
import { flytePlugins, type ContainerLaunch } from '../plugins/flyte/index.js';
import { localPlugins } from '../plugins/local.js';
import type { BlobStore } from '../storage/blob-store.js';
import { executionMetadataPrefix, workflowInputsUri } from '../storage/layout.js';

export interface FlyteRunOptions {
  readonly workflow: FlyteWorkflow;
  /** Where node data goes; the execution's data lives under `<store>/metadata/<project>-<domain>-<name>`. */
  readonly store: BlobStore;
  /** Gate signals by signal id (approve gates take booleans). */
  readonly signals?: Readonly<Record<string, JsonValue>>;
  /** @defaultValue 'virtual' */
  readonly clock?: 'virtual' | 'real';
  /** Start of the virtual clock. @defaultValue Date.now() */
  readonly startAt?: number;
  readonly engine?: EngineOptions;
  /** Sees every container attempt's rendered command and args. */
  readonly onLaunch?: (launch: ContainerLaunch) => void;
}

export interface FlyteRunResult {
  /** Flyte's status, engine state included (`status.flotilla`). */
  readonly status: FlyteWorkflowStatus & { flotilla: FlotillaEngineState };
  readonly engineStatus: WorkflowStatus;
  /** The translated Workflow the engine ran. */
  readonly translated: Workflow;
  /** The workflow's outputs (read back from the end node's outputs.pb) when it succeeded. */
  readonly outputs?: LiteralsJson;
  readonly dataDir: string;
  readonly events: ExecutionEvent[];
  readonly stalled?: string;
}

export async function runFlyteLocal(options: FlyteRunOptions): Promise<FlyteRunResult> {
  const { workflow: fw, store } = options;
  const execution = {
    project: fw.executionId.project || 'project',
    domain: fw.executionId.domain || 'domain',
    name: fw.executionId.name || fw.metadata.name,
  };
  const dataDir = executionMetadataPrefix(store.join('metadata'), execution);
  // A run starts afresh: whatever status the file carries belongs to another execution's data.
  const fresh: FlyteWorkflow = { ...fw };
  delete fresh.status;
  const translated = translateFlyteWorkflow(fresh, { dataDir });
  const literals = fw.inputs?.['literals'];
  await store.put(workflowInputsUri(dataDir), encodeLiteralMap(isObject(literals) ? normalizeLiterals(literals) : {}));
  const result = await runLocal({
    workflow: translated,
    ...(options.signals ? { signals: options.signals } : {}),
    clock: options.clock ?? 'virtual',
    ...(options.startAt !== undefined ? { startAt: options.startAt } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
    plugins: ({ clock }) => [
      ...localPlugins({ clock }),
      ...flytePlugins({ store, ...(options.onLaunch ? { onLaunch: options.onLaunch } : {}) }),
    ],
  });
  const engineStatus = result.workflow.status ?? {};
  const status = projectFlyteStatus(fw, engineStatus, {
    dataDir,
    now: Date.parse(engineStatus.finishedAt ?? '') || Date.now(),
  });
  let outputs: LiteralsJson | undefined;
  if (status.outputRef !== undefined) {
    const values = isObject(engineStatus.outputs) ? engineStatus.outputs : {};
    await store.put(workflowOutputsUri(dataDir), encodeLiteralMap(normalizeLiterals(values)));
    outputs = decodeLiteralMap(await store.get(workflowOutputsUri(dataDir)));
  }
  return {
    status,
    engineStatus,
    translated,
    ...(outputs ? { outputs } : {}),
    dataDir,
    events: result.events,
    ...(result.stalled !== undefined ? { stalled: result.stalled } : {}),
  };
}
