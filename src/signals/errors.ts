/** Errors of setting and listing gate signals. */
import { FlotillaError } from '../api/errors.js';

export type SignalErrorCode =
  'WorkflowNotFound' | 'SignalNotFound' | 'InvalidValue' | 'InvalidRequest' | 'ApiUnavailable';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<SignalErrorCode, boolean>> = {
  WorkflowNotFound: false,
  SignalNotFound: false,
  InvalidValue: false,
  InvalidRequest: false,
  ApiUnavailable: true,
};

export class SignalError extends FlotillaError<SignalErrorCode> {
  override readonly name = 'SignalError';
  constructor(code: SignalErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
