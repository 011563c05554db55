/** Errors of the lifecycle runner. */
import { FlotillaError } from '../api/errors.js';

export type LifecycleErrorCode = 'StartFailed' | 'StartAborted' | 'StopFailed' | 'StopTimedOut' | 'Stopped';

/** Terminal: a process whose components failed to start or stop is restarted whole, not retried. */
export class LifecycleError extends FlotillaError<LifecycleErrorCode> {
  override readonly name = 'LifecycleError';
  /** The component concerned (the first one, for `StopFailed` over several). */
  readonly component: string | undefined;
  constructor(code: LifecycleErrorCode, message: string, options?: { cause?: unknown; component?: string }) {
    super(code, message, { ...(options?.cause !== undefined ? { cause: options.cause } : {}), retryable: false });
    this.component = options?.component;
  }
}
