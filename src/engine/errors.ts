/** Typed errors of the execution engine. Callers branch on `code`, never on the message. */
export type EngineErrorCode =
  /** The spec refers to something that does not exist or has the wrong shape (validation missed it). */
  | 'InvalidSpec'
  /** A binding could not be resolved (missing input, missing output, wrong type). */
  | 'BindingFailed'
  /** A duration string could not be parsed. */
  | 'InvalidDuration'
  /** An invariant of the engine itself broke. */
  | 'Internal';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown (and caught inside the engine) when a value lives in the output store and is not loaded yet. */
export class OutputsNotLoaded extends Error {
  override readonly name = 'OutputsNotLoaded';
  readonly code = 'OutputsNotLoaded' as const;
  constructor(readonly ref: string) {
    super(`outputs ${ref} are not loaded`);
  }
}

export type DriverErrorCode = 'PluginNotFound' | 'PluginError' | 'GatewayError' | 'OutputStoreError';

export class DriverError extends Error {
  override readonly name = 'DriverError';
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Errors of the plugin contract (the registry lives in the engine, so they do too). */
export type PluginErrorCode = 'DuplicatePlugin' | 'UnknownPlugin' | 'GatewayUnavailable';

export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    readonly code: PluginErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
