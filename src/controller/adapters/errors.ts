/** Errors of the production adapters (output store, gateways). Callers branch on `code`. */
export type AdapterErrorCode = 'OutputTooLarge' | 'BadRef' | 'CorruptOutput';

export class AdapterError extends Error {
  override readonly name = 'AdapterError';
  constructor(
    readonly code: AdapterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Only a store that was unreachable is worth retrying; these are all permanent. */
  get retryable(): boolean {
    return false;
  }
}
