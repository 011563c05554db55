/**
 * Exit codes a script can rely on, shared by `flotilla` and `shardctl`.
 * 0 success · 1 the operation ran and failed (e.g. a workflow failed) · 2 bad input or usage.
 */
import { FlotillaError } from '../api/errors.js';

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

export type CliErrorCode = 'Usage' | 'Failed';

/** An error that carries the exit code the CLI should end with. Terminal: the command ends. */
export class CliError extends FlotillaError<CliErrorCode> {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
    options?: { cause?: unknown },
  ) {
    super(exitCode === ExitCode.usage ? 'Usage' : 'Failed', message, { ...options, retryable: false });
  }
}

export function exitCodeFor(error: unknown): number {
  return error instanceof CliError ? error.exitCode : ExitCode.failed;
}
