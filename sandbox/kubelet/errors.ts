/** Errors of the simulated kubelet. */
import { FlotillaError } from '../../src/api/errors.js';

export type KubeletErrorCode = 'InvalidKubeconfig' | 'InvalidAnnotation' | 'ApiRequestFailed';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<KubeletErrorCode, boolean>> = {
  InvalidKubeconfig: false,
  InvalidAnnotation: false,
  ApiRequestFailed: true,
};

export class KubeletError extends FlotillaError<KubeletErrorCode> {
  override readonly name = 'KubeletError';
  constructor(code: KubeletErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
