/**
 * The FlyteWorkflow half of `flotilla run`: validate (problems printed as `path: message`, exit 2),
 * run in-process on a blob store (`--blob-store URL`, else a new temporary file:// store), print
 * Flyte's phase, message, outputs (protobuf JSON literals) and node statuses, exit 0 only when the
 * workflow Succeeded (phase 3).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import type { JsonValue } from '../../api/schema.js';
import { FLYTE_API_VERSION, FLYTE_KIND, FLYTE_KIND_GO, type FlyteWorkflow } from '../../flyte/types.js';
import { validateFlyteWorkflow } from '../../flyte/validation/index.js';
import { FlyteError } from '../../flyte/errors.js';
import { normalizeLiteral } from '../../flyte/literals/values.js';
import { phaseName, WorkflowPhase } from '../../flyte/status.js';
import { isStorageError } from '../../storage/errors.js';
import { openBlobStore } from '../../storage/open.js';
import { runFlyteLocal } from '../flyte-run.js';
import { CliError, ExitCode } from '../exit.js';

/** Whether a parsed document is a FlyteWorkflow (by apiVersion and kind). */
export function isFlyteDocument(document: unknown): boolean {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return false;
  const doc = document as { apiVersion?: unknown; kind?: unknown };
  return doc.apiVersion === FLYTE_API_VERSION || doc.kind === FLYTE_KIND || doc.kind === FLYTE_KIND_GO;
}

export interface FlyteRunFlags {
  readonly file: string;
  readonly output: 'yaml' | 'json';
  readonly clock: 'virtual' | 'real';
  readonly signals: Readonly<Record<string, JsonValue>>;
  /** Extra inputs (JSON values or Literals), merged over `inputs.literals`. */
  readonly inputs?: Readonly<Record<string, JsonValue>>;
  /** @defaultValue a new temporary directory */
  readonly blobStore?: string;
}

export async function runFlyteFile(document: unknown, flags: FlyteRunFlags): Promise<void> {
  const validation = validateFlyteWorkflow(document);
  if (!validation.ok) {
    const lines = validation.problems.map((p) => `${p.path}: ${p.message}`);
    throw new CliError(`${flags.file} is not a valid FlyteWorkflow:\n${lines.join('\n')}`, ExitCode.usage);
  }
  let workflow: FlyteWorkflow = validation.workflow;
  if (flags.inputs !== undefined) {
    const literals: Record<string, JsonValue> = {
      ...((workflow.inputs?.['literals'] ?? {}) as Record<string, JsonValue>),
    };
    for (const [name, value] of Object.entries(flags.inputs)) literals[name] = normalizeLiteral(value);
    workflow = { ...workflow, inputs: { literals } };
  }
  const url = flags.blobStore ?? `file://${await mkdtemp(join(tmpdir(), 'flotilla-flyte-'))}`;
  let store;
  try {
    store = await openBlobStore(url);
  } catch (error) {
    throw new CliError(
      `--blob-store ${url}: ${error instanceof Error ? error.message : String(error)}`,
      ExitCode.usage,
      { cause: error },
    );
  }
  try {
    const result = await runFlyteLocal({ workflow, store, signals: flags.signals, clock: flags.clock });
    const { flotilla: _engine, ...status } = result.status;
    const report = {
      phase: status.phase,
      phaseName: phaseName(WorkflowPhase, status.phase),
      ...(status.message !== undefined ? { message: status.message } : {}),
      ...(result.outputs !== undefined ? { outputs: result.outputs } : {}),
      blobStore: store.baseUri,
      status,
    };
    process.stdout.write(flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : YAML.stringify(report));
    const name = workflow.metadata.name;
    if (result.stalled !== undefined)
      throw new CliError(`workflow ${name} did not finish: ${result.stalled}`, ExitCode.failed);
    if (status.phase !== WorkflowPhase.Succeeded)
      throw new CliError(`workflow ${name} ${report.phaseName}: ${status.message ?? ''}`.trim(), ExitCode.failed);
  } catch (error) {
    if (error instanceof FlyteError)
      throw new CliError(
        `${flags.file}: ${error.message}`,
        error.code === 'Untranslatable' || error.code === 'BadStandIn' ? ExitCode.usage : ExitCode.failed,
        { cause: error },
      );
    if (isStorageError(error))
      throw new CliError(`blob store ${url}: ${error.message}`, ExitCode.failed, { cause: error });
    throw error;
  } finally {
    await store.close();
  }
}
