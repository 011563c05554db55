/** Errors of the sandbox orchestrator (not of the embedded API server or kubelet, which have their own). */

export type SandboxErrorCode = 'ProcessNotReady' | 'ProcessExited' | 'CrdNotServed' | 'ExampleInvalid' | 'SubmitFailed';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
