/** Errors of setting and listing gate signals. */
export type SignalErrorCode = 'workflow-not-found' | 'signal-not-found' | 'invalid-value' | 'invalid-request' | 'api-unavailable';

export class SignalError extends Error {
  override readonly name = 'SignalError';
  constructor(
    readonly code: SignalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
