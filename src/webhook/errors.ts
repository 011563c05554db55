/** Errors of the admission webhook server and of init-certs. */
import { FlotillaError } from '../api/errors.js';

export type WebhookErrorCode = 'BadReview' | 'TlsLoad' | 'ListenFailed' | 'SecretRead' | 'KubeWrite' | 'BadConfig';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<WebhookErrorCode, boolean>> = {
  BadReview: false,
  TlsLoad: true,
  ListenFailed: true,
  SecretRead: true,
  KubeWrite: true,
  BadConfig: false,
};

export class WebhookError extends FlotillaError<WebhookErrorCode> {
  override readonly name = 'WebhookError';
  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
