/** Errors the agent plugin throws (task-level failures are `Failed` observations, not errors). */
import { FlotillaError } from '../../api/errors.js';

export type AgentErrorCode = 'Unavailable' | 'Aborted';

/**
 * The plugin could not reach the agent (UNAVAILABLE or DEADLINE_EXCEEDED after its in-call
 * retries), or the call was aborted. `retryable` (Unavailable): the round should be retried later;
 * nothing is counted against the task.
 */
export class AgentError extends FlotillaError<AgentErrorCode> {
  override readonly name = 'AgentError';
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: code === 'Unavailable' });
  }
}
