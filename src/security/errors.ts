/** Errors raised while creating or loading certificates. */
export type CertificateErrorCode = 'generate-failed' | 'invalid-pem';

export class CertificateError extends Error {
  override readonly name = 'CertificateError';
  constructor(
    readonly code: CertificateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
