/** Errors of the task catalog. Callers branch on `code`, never on message text. */
import { FlotillaError } from '../api/errors.js';

export type CatalogErrorCode =
  /** The catalog service could not be reached or answered with a server error: ask again later. */
  | 'Unavailable'
  /** The catalog refused the request (invalid argument, permission): asking again gives the same answer. */
  | 'Rejected'
  /** A stored entry does not fit the task (outputs missing or not literals). */
  | 'BadEntry'
  /** The catalog settings cannot be used (endpoint, certificates). */
  | 'InvalidConfig';

export class CatalogError extends FlotillaError<CatalogErrorCode> {
  override readonly name = 'CatalogError';
  constructor(code: CatalogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: code === 'Unavailable' });
  }
}
