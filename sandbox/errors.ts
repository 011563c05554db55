/** Errors of the sandbox orchestrator (not of the embedded API server or kubelet, which have their own). */
import { FlotillaError } from '../src/api/errors.js';

export type SandboxErrorCode = 'ProcessNotReady' | 'ProcessExited' | 'CrdNotServed' | 'ExampleInvalid' | 'SubmitFailed';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<SandboxErrorCode, boolean>> = {
  ProcessNotReady: true,
  ProcessExited: false,
  CrdNotServed: true,
  ExampleInvalid: false,
  SubmitFailed: true,
};

export class SandboxError extends FlotillaError<SandboxErrorCode> {
  override readonly name = 'SandboxError';
  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
