/**
 * The one error model. Every error class of the project extends {@link FlotillaError}: it sets
 * `name`, carries a `code` from its own PascalCase string-literal union and a `cause`, and says
 * whether trying the same thing again later can help (`retryable`) or not (terminal). Callers
 * branch on the class or the code, never on message text.
 *
 * This module sits in src/api, the bottom layer, so every other layer (and the sandbox) can import
 * it; it imports nothing.
 */

export interface FlotillaErrorOptions {
  readonly cause?: unknown;
  /** Whether trying again later can succeed. @defaultValue false (terminal) */
  readonly retryable?: boolean;
}

export abstract class FlotillaError<Code extends string = string> extends Error {
  /** Machine-readable, from the class's PascalCase union. */
  readonly code: Code;
  /** True when trying again later can succeed (a server down, a conflict); false when it cannot. */
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: FlotillaErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  /** The opposite of `retryable`: repeating the call gives the same answer. */
  get terminal(): boolean {
    return !this.retryable;
  }
}

/**
 * Whether `error` is worth retrying. A `FlotillaError` says so itself; anything else (a bug, a
 * library's own error) is treated as transient, which is what callers did before this model.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof FlotillaError ? error.retryable : true;
}

/** A `FlotillaError` that says retrying cannot help. */
export function isTerminal(error: unknown): error is FlotillaError {
  return error instanceof FlotillaError && !error.retryable;
}

/** The first error in `error`'s cause chain (itself included) that `pick` accepts. */
export function findCause<T>(error: unknown, pick: (e: unknown) => e is T, depth = 8): T | undefined {
  let current: unknown = error;
  for (let i = 0; i <= depth && current !== undefined && current !== null; i++) {
    if (pick(current)) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/** `message: cause message: …` along the cause chain, skipping causes the message already contains. */
export function describeError(error: unknown, depth = 4): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message || error.name;
  let cause: unknown = error.cause;
  for (let i = 0; i < depth && cause instanceof Error; i++, cause = cause.cause) {
    if (cause.message !== '' && !text.includes(cause.message)) text += `: ${cause.message}`;
  }
  return text;
}
