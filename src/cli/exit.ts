/**
 * Exit codes a script can rely on, shared by `flotilla` and `shardctl`.
 * 0 success · 1 the operation ran and failed (e.g. a workflow failed) · 2 bad input or usage.
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** An error that carries the exit code the CLI should end with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function exitCodeFor(error: unknown): number {
  return error instanceof CliError ? error.exitCode : ExitCode.failed;
}
