/** Typed errors of the execution engine. Callers branch on `code`, never on the message. */
import { FlotillaError, type FlotillaErrorOptions } from '../api/errors.js';

export type EngineErrorCode =
  /** The spec refers to something that does not exist or has the wrong shape (validation missed it). */
  | 'InvalidSpec'
  /** A binding could not be resolved (missing input, missing output, wrong type). */
  | 'BindingFailed'
  /** A duration string could not be parsed. */
  | 'InvalidDuration'
  /** An invariant of the engine itself broke. */
  | 'Internal';

/** All terminal: the same spec gives the same answer on every round. */
export class EngineError extends FlotillaError<EngineErrorCode> {
  override readonly name = 'EngineError';
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: false });
  }
}

/** Thrown (and caught inside the engine) when a value lives in the output store and is not loaded yet. */
export class OutputsNotLoaded extends FlotillaError<'OutputsNotLoaded'> {
  override readonly name = 'OutputsNotLoaded';
  constructor(readonly ref: string) {
    // Retryable: the engine asks the driver to load the ref and comes back.
    super('OutputsNotLoaded', `outputs ${ref} are not loaded`, { retryable: true });
  }
}

export type DriverErrorCode = 'PluginNotFound' | 'PluginError' | 'GatewayError' | 'OutputStoreError';

/**
 * An action the driver could not apply. Retryable unless its cause says it is terminal (an output
 * over the store's limit, say): the cause knows, the driver only wraps it.
 */
export class DriverError extends FlotillaError<DriverErrorCode> {
  override readonly name = 'DriverError';
  constructor(code: DriverErrorCode, message: string, options?: FlotillaErrorOptions) {
    const cause = options?.cause;
    const retryable =
      options?.retryable ?? (cause instanceof FlotillaError ? cause.retryable : code !== 'PluginNotFound');
    super(code, message, { ...options, retryable });
  }
}

/** Errors of the plugin contract (the registry lives in the engine, so they do too). */
export type PluginErrorCode = 'DuplicatePlugin' | 'UnknownPlugin' | 'GatewayUnavailable';

/** Whether each code is worth retrying (true) or terminal (false). */
const PLUGIN_RETRYABLE: Readonly<Record<PluginErrorCode, boolean>> = {
  DuplicatePlugin: false,
  UnknownPlugin: false,
  GatewayUnavailable: true,
};

export class PluginError extends FlotillaError<PluginErrorCode> {
  override readonly name = 'PluginError';
  constructor(code: PluginErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: PLUGIN_RETRYABLE[code] });
  }
}
