/** Errors of the console: each maps to the HTTP status its answer carries. */
import { FlotillaError } from '../api/errors.js';

export type ConsoleErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'CrossSite'
  | 'NotFound'
  | 'Unavailable'
  | 'ListenFailed'
  | 'BundleFailed'
  | 'Internal';

const HTTP_STATUS: Readonly<Record<ConsoleErrorCode, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  CrossSite: 403,
  NotFound: 404,
  Unavailable: 503,
  ListenFailed: 500,
  BundleFailed: 500,
  Internal: 500,
};

export class ConsoleError extends FlotillaError<ConsoleErrorCode> {
  override readonly name = 'ConsoleError';
  constructor(code: ConsoleErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: code === 'Unavailable' });
  }

  /** The HTTP status of the console's answer. */
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}
