/** Typed errors of the lease layer; callers branch on `code`, never on message text. */

export type LeaseErrorCode = 'Conflict' | 'NotFound' | 'AlreadyExists' | 'Unavailable' | 'Invalid';

export class LeaseError extends Error {
  override readonly name = 'LeaseError';
  constructor(
    readonly code: LeaseErrorCode,
    readonly lease: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Conflicts and unavailability are worth retrying after a fresh read; the others are not. */
  get retryable(): boolean {
    return this.code === 'Conflict' || this.code === 'Unavailable';
  }
}

/** Maps an error thrown by @kubernetes/client-node to a LeaseError by HTTP status and Status reason. */
export function toLeaseError(error: unknown, lease: string): LeaseError {
  const status = httpStatusOf(error);
  const reason = statusReasonOf(error);
  const code: LeaseErrorCode =
    status === 409 && reason === 'AlreadyExists'
      ? 'AlreadyExists'
      : status === 409
        ? 'Conflict'
        : status === 404
          ? 'NotFound'
          : status === 422 || status === 400
            ? 'Invalid'
            : 'Unavailable';
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new LeaseError(code, lease, `lease ${lease}: ${code}${status ? ` (HTTP ${status})` : ''}: ${detail}`, { cause: error });
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The `reason` of the Kubernetes Status in the error body (a string or an object, depending on the call). */
function statusReasonOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('body' in error)) return undefined;
  let body: unknown = (error as { body: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof body === 'object' && body !== null && 'reason' in body) {
    const reason = (body as { reason: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  }
  return undefined;
}
