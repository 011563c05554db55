/** Errors of the simulated kubelet. */
export type KubeletErrorCode = 'InvalidKubeconfig' | 'InvalidAnnotation' | 'ApiRequestFailed';

export class KubeletError extends Error {
  override readonly name = 'KubeletError';
  constructor(
    readonly code: KubeletErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
