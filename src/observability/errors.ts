/** Errors of the observability module. */
import { FlotillaError } from '../api/errors.js';

export type ObservabilityErrorCode = 'Listen' | 'TracingConfig';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<ObservabilityErrorCode, boolean>> = { Listen: true, TracingConfig: false };

export class ObservabilityError extends FlotillaError<ObservabilityErrorCode> {
  override readonly name = 'ObservabilityError';
  constructor(code: ObservabilityErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
