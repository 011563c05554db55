/**
 * Errors of the blob store. Every backend maps its failures to one `StorageError` with a `code`;
 * callers branch on the code (or `retryable`), never on message text. Messages name what was asked
 * for (the URI, so bucket and key or path) and where (the endpoint), and `cause` keeps the original.
 */

/**
 * - `NotFound`: no object at that URI (a missing key, bucket or file).
 * - `AccessDenied`: the store refused the credentials or the permission (HTTP 401/403, EACCES), or
 *   no credentials could be found.
 * - `Unavailable`: the store could not be reached or asked to slow down (refused, reset, timed out,
 *   DNS, 429, 5xx, a full disk): trying again later can help.
 * - `InvalidUri`: the URI is malformed, of an unsupported scheme, escapes the store's root, or names
 *   a reserved path.
 * - `TooLarge`: the object is over the store's size limit.
 * - `Conflict`: an object and a prefix share one name where the backend cannot hold both (file://).
 * - `Unknown`: anything else the store answered.
 */
import { FlotillaError } from '../api/errors.js';

export type StorageErrorCode =
  'NotFound' | 'AccessDenied' | 'Unavailable' | 'InvalidUri' | 'TooLarge' | 'Conflict' | 'Unknown';

export interface StorageErrorOptions {
  cause?: unknown;
  /** The URI the operation was about, when there was one. */
  uri?: string;
  /** The HTTP status the store answered, when it answered. */
  status?: number;
}

/** Only `Unavailable` is worth retrying; every other code is terminal. */
export class StorageError extends FlotillaError<StorageErrorCode> {
  override readonly name: string = 'StorageError';
  /** The URI the operation was about, when there was one. */
  readonly uri: string | undefined;
  /** The HTTP status the store answered (s3://), when it answered. */
  readonly status: number | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(code, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      retryable: code === 'Unavailable',
    });
    this.uri = options.uri;
    this.status = options.status;
  }
}

/** True when `error` is a `StorageError` with that code. */
export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
