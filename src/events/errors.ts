/** Errors of the event sink and the event publisher. */
export type EventSinkErrorCode = 'invalid-event' | 'invalid-cursor' | 'store-unavailable' | 'closed';

export class EventSinkError extends Error {
  override readonly name = 'EventSinkError';
  constructor(
    readonly code: EventSinkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
