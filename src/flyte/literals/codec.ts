/**
 * The binary documents of Flyte's data layout: `inputs.pb` / `outputs.pb` (flyteidl `LiteralMap`),
 * `error.pb` (`ErrorDocument`), `task.pb` (`TaskTemplate`), `futures.pb` (`DynamicJobSpec`).
 * Encoded and decoded with the generated flyteidl code; callers see protobuf JSON.
 */
import type { JsonObject } from '../../api/schema.js';
import { ContainerError_Kind, ErrorDocument } from '../../generated/flyteidl/flyteidl/core/errors.js';
import { ExecutionError_ErrorKind } from '../../generated/flyteidl/flyteidl/core/execution.js';
import { DynamicJobSpec } from '../../generated/flyteidl/flyteidl/core/dynamic_job.js';
import { LiteralMap } from '../../generated/flyteidl/flyteidl/core/literals.js';
import { TaskTemplate } from '../../generated/flyteidl/flyteidl/core/tasks.js';
import { FlyteError } from '../errors.js';
import { isObject, type LiteralsJson } from './values.js';

/** `{literals}` → LiteralMap bytes. Throws `BadLiteral` for a value the protobuf JSON reader refuses. */
export function encodeLiteralMap(literals: LiteralsJson): Uint8Array {
  try {
    return LiteralMap.encode(LiteralMap.fromJSON({ literals })).finish();
  } catch (error) {
    throw new FlyteError(
      'BadLiteral',
      `cannot encode a LiteralMap: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** LiteralMap bytes → `{name: Literal}` in protobuf JSON. Throws `BadLiteral` for bytes that are not one. */
export function decodeLiteralMap(bytes: Uint8Array): LiteralsJson {
  let map: LiteralMap;
  try {
    map = LiteralMap.decode(bytes);
  } catch (error) {
    throw new FlyteError('BadLiteral', `not a LiteralMap: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return literalMapJson(map);
}

/** A decoded LiteralMap as the map of its literals (protobuf JSON), without the `literals` wrapper. */
export function literalMapJson(map: LiteralMap): LiteralsJson {
  const json: unknown = LiteralMap.toJSON(map);
  const literals = isObject(json) ? json['literals'] : undefined;
  const out: LiteralsJson = {};
  if (isObject(literals)) for (const [k, v] of Object.entries(literals)) if (isObject(v)) out[k] = v;
  return out;
}

/** A task's failure as `error.pb` carries it. */
export interface ContainerFailure {
  /** A short code, e.g. `USER:ValueError`. */
  readonly code: string;
  readonly message: string;
  /** Whether a retry may help (RECOVERABLE). */
  readonly recoverable: boolean;
  /** Who failed: the user's code or the system. */
  readonly origin: 'user' | 'system';
}

export function encodeErrorDocument(failure: ContainerFailure): Uint8Array {
  const doc = ErrorDocument.fromJSON({});
  doc.error = {
    code: failure.code,
    message: failure.message,
    kind: failure.recoverable ? ContainerError_Kind.RECOVERABLE : ContainerError_Kind.NON_RECOVERABLE,
    origin: failure.origin === 'system' ? ExecutionError_ErrorKind.SYSTEM : ExecutionError_ErrorKind.USER,
    timestamp: undefined,
    worker: '',
  };
  return ErrorDocument.encode(doc).finish();
}

/** `error.pb` bytes → the failure. An unknown origin counts as a user failure, as FlytePropeller does. */
export function decodeErrorDocument(bytes: Uint8Array): ContainerFailure {
  let doc: ErrorDocument;
  try {
    doc = ErrorDocument.decode(bytes);
  } catch (error) {
    throw new FlyteError(
      'BadLiteral',
      `not an ErrorDocument: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const e = doc.error;
  return {
    code: e?.code ?? '',
    message: e?.message ?? '',
    recoverable: e?.kind === ContainerError_Kind.RECOVERABLE,
    origin: e?.origin === ExecutionError_ErrorKind.SYSTEM ? 'system' : 'user',
  };
}

/** A TaskTemplate in protobuf JSON → `task.pb` bytes (what `{{.taskTemplatePath}}` points at). */
export function encodeTaskTemplate(template: JsonObject): Uint8Array {
  try {
    return TaskTemplate.encode(TaskTemplate.fromJSON(template)).finish();
  } catch (error) {
    throw new FlyteError(
      'BadLiteral',
      `cannot encode the TaskTemplate: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** An empty `DynamicJobSpec` (what a dynamic task's stand-in writes to `futures.pb`). */
export function encodeEmptyFutures(): Uint8Array {
  return DynamicJobSpec.encode(DynamicJobSpec.fromJSON({})).finish();
}
