/** Errors raised while creating or loading certificates. */
import { FlotillaError } from '../api/errors.js';

export type CertificateErrorCode = 'GenerateFailed' | 'InvalidPem';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<CertificateErrorCode, boolean>> = { GenerateFailed: false, InvalidPem: false };

export class CertificateError extends FlotillaError<CertificateErrorCode> {
  override readonly name = 'CertificateError';
  constructor(code: CertificateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
