/** Errors of the event sink and the event publisher. */
import { FlotillaError } from '../api/errors.js';

export type EventSinkErrorCode = 'InvalidEvent' | 'InvalidCursor' | 'InvalidConfig' | 'StoreUnavailable' | 'Closed';

/** Whether each code is worth retrying (true) or terminal (false). */
const RETRYABLE: Readonly<Record<EventSinkErrorCode, boolean>> = {
  InvalidEvent: false,
  InvalidCursor: false,
  InvalidConfig: false,
  StoreUnavailable: true,
  Closed: false,
};

export class EventSinkError extends FlotillaError<EventSinkErrorCode> {
  override readonly name = 'EventSinkError';
  constructor(code: EventSinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: RETRYABLE[code] });
  }
}
