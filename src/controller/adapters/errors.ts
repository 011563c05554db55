/** Errors of the production adapters (output store, gateways). Callers branch on `code`. */
import { FlotillaError } from '../../api/errors.js';

export type AdapterErrorCode = 'OutputTooLarge' | 'BadRef' | 'CorruptOutput';

/** All terminal: only a store that was unreachable is worth retrying, and that is a `KubeError`. */
export class AdapterError extends FlotillaError<AdapterErrorCode> {
  override readonly name = 'AdapterError';
  constructor(code: AdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: false });
  }
}
