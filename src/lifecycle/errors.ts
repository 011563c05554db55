/** Errors of the lifecycle runner. */
export type LifecycleErrorCode = 'StartFailed' | 'StartAborted' | 'StopFailed' | 'StopTimedOut' | 'Stopped';

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
  /** The component concerned (the first one, for `StopFailed` over several). */
  readonly component: string | undefined;
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
    options?: { cause?: unknown; component?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.component = options?.component;
  }
}
