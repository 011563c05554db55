/** Errors of the shard queue. Callers branch on `code`, never on message text. */
export type QueueErrorCode = 'InvalidKey' | 'InvalidShard' | 'NotStarted' | 'AlreadyStarted' | 'Redis';

export class QueueError extends Error {
  override readonly name = 'QueueError';
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
