/** Errors of the observability module. */
export type ObservabilityErrorCode = 'Listen' | 'TracingConfig';

export class ObservabilityError extends Error {
  override readonly name = 'ObservabilityError';
  constructor(
    readonly code: ObservabilityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
