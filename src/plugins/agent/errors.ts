/** Errors the agent plugin throws (task-level failures are `Failed` observations, not errors). */
export type AgentErrorCode = 'unavailable' | 'aborted';

/**
 * The plugin could not reach the agent (UNAVAILABLE or DEADLINE_EXCEEDED after its in-call
 * retries), or the call was aborted. `retryable`: the round should be retried later; nothing is
 * counted against the task.
 */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly retryable: boolean;
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = code === 'unavailable';
  }
}
