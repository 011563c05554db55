/** Errors of the shard queue. Callers branch on `code`, never on message text. */
import { FlotillaError } from '../../api/errors.js';

export type QueueErrorCode = 'InvalidKey' | 'InvalidShard' | 'NotStarted' | 'AlreadyStarted' | 'Redis';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<QueueErrorCode, boolean>> = {
  InvalidKey: false,
  InvalidShard: false,
  NotStarted: true,
  AlreadyStarted: false,
  Redis: true,
};

export class QueueError extends FlotillaError<QueueErrorCode> {
  override readonly name = 'QueueError';
  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
