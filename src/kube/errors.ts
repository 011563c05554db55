/**
 * Errors of the controller (Kubernetes calls, status store, informers). Callers branch on the class
 * or `code`, never on message text. `retryable` says whether trying again later can help.
 */
import { ApiException } from '@kubernetes/client-node';

export type KubeErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'Gone' | 'Forbidden' | 'Unavailable' | 'Unknown';

export class KubeError extends Error {
  override readonly name: string = 'KubeError';
  constructor(
    readonly code: KubeErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; reason?: string },
  ) {
    super(message, options);
    this.status = options?.status;
    this.reason = options?.reason;
  }
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** The Kubernetes Status `reason`, when the server sent one. */
  readonly reason: string | undefined;

  get retryable(): boolean {
    return this.code === 'Unavailable' || this.code === 'Conflict' || this.code === 'Gone';
  }
}

/** A status write refused because the object changed since we read it (409): re-read, never overwrite. */
export class StatusConflictError extends KubeError {
  override readonly name = 'StatusConflictError';
  constructor(
    readonly key: string,
    readonly resourceVersion: string,
    options?: { cause?: unknown },
  ) {
    super('Conflict', `status of ${key} changed since resourceVersion ${resourceVersion}`, { ...options, status: 409, reason: 'Conflict' });
  }
}

export type InformerErrorCode = 'NotStarted' | 'SyncTimeout' | 'Stopped';

export class InformerError extends Error {
  override readonly name = 'InformerError';
  constructor(
    readonly code: InformerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps anything client-node throws to a `KubeError` (an existing `KubeError` passes through). */
export function toKubeError(error: unknown, what: string): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) {
    const status = typeof error.code === 'number' ? error.code : 0;
    const reason = statusReason(error.body);
    return new KubeError(codeFor(status, reason), `${what}: HTTP ${status}${reason ? ` ${reason}` : ''}`, { cause: error, status, reason });
  }
  // Everything else is the transport (refused, reset, timed out, TLS): the server is unavailable.
  return new KubeError('Unavailable', `${what}: ${error instanceof Error ? error.name : 'error'} talking to the API server`, { cause: error });
}

function codeFor(status: number, reason: string | undefined): KubeErrorCode {
  if (status === 404) return 'NotFound';
  if (status === 409) return reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict';
  if (status === 410) return 'Gone';
  if (status === 400 || status === 422) return 'Invalid';
  if (status === 401 || status === 403) return 'Forbidden';
  if (status === 429 || status >= 500) return 'Unavailable';
  return 'Unknown';
}

function statusReason(body: unknown): string | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value === 'object' && value !== null && 'reason' in value) {
    const reason = (value as { reason: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  }
  return undefined;
}
