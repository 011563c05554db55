/** Errors of the admission webhook server and of init-certs. */
export type WebhookErrorCode = 'bad-review' | 'tls-load' | 'listen-failed' | 'secret-read' | 'kube-write' | 'bad-config';

export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
