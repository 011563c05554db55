/**
 * API errors that become `Status` objects with the real server's `reason` and `code`.
 * Handlers throw {@link ApiError}; the router turns it into the HTTP response.
 */
import { FlotillaError } from '../../src/api/errors.js';
import type { FieldError, JsonObject } from './types.js';

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'Unauthorized'
  | 'Forbidden'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'Expired'
  | 'Gone'
  | 'InternalError'
  | 'RequestEntityTooLarge';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
}

/**
 * An API answer other than success. Its `code` is the Status `reason` (the model's PascalCase
 * code); `status` is the HTTP code. Retryable as the real server's answers are: 409, 410 (after a
 * re-read), 429 and 5xx.
 */
export class ApiError extends FlotillaError<StatusReason> {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(reason, message, {
      ...options,
      retryable: status === 409 || status === 410 || status === 429 || status >= 500,
    });
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.status,
    };
    if (this.details !== undefined) status['details'] = this.details;
    return status;
  }
}

interface Target {
  /** plural resource name, e.g. `pods` or `workflows` */
  resource: string;
  group: string;
  name: string;
}

function qualified(t: { resource: string; group: string }): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

export function notFound(t: Target): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(t)} "${t.name}" not found`, {
    name: t.name,
    group: t.group,
    kind: t.resource,
  });
}

export function alreadyExists(t: Target): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(t)} "${t.name}" already exists`, {
    name: t.name,
    group: t.group,
    kind: t.resource,
  });
}

export function conflict(t: Target): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name: t.name, group: t.group, kind: t.resource },
  );
}

/** 422 with the real message shape: `<Kind>.<group> "<name>" is invalid: [a: x, b: y]`. */
export function invalid(t: { kind: string; group: string; name: string }, errors: FieldError[]): ApiError {
  const qualifiedKind = t.group === '' ? t.kind : `${t.kind}.${t.group}`;
  const parts = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${t.name}" is invalid: ${summary}`, {
    name: t.name,
    group: t.group,
    kind: t.kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(
  message = 'the server does not allow this method on the requested resource',
): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
    {
      causes: [{ reason: 'UnsupportedMediaType', message: contentType }],
    },
  );
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function internalError(message: string, cause?: unknown): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, undefined, { cause });
}

/** Errors of the server's own lifecycle (not API responses). */
export type ApiServerErrorCode = 'ListenFailed' | 'PersistenceCorrupt' | 'PersistenceIo';

export class ApiServerError extends FlotillaError<ApiServerErrorCode> {
  override readonly name = 'ApiServerError';
  constructor(code: ApiServerErrorCode, message: string, options?: { cause?: unknown }) {
    // A port in use or a disk error may pass; a corrupt snapshot will not.
    super(code, message, { ...options, retryable: code !== 'PersistenceCorrupt' });
  }
}
