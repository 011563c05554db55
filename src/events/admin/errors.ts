/** Errors of the FlyteAdmin event client. */
import { FlotillaError } from '../../api/errors.js';

export type AdminErrorCode = 'Unavailable' | 'AuthFailed' | 'InvalidConfig';

const RETRYABLE: Readonly<Record<AdminErrorCode, boolean>> = {
  Unavailable: true,
  AuthFailed: true,
  InvalidConfig: false,
};

export class AdminError extends FlotillaError<AdminErrorCode> {
  override readonly name = 'AdminError';
  constructor(code: AdminErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
