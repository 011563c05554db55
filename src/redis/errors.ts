/** Errors of the Redis connection settings. Callers branch on `code`, never on message text. */
import { FlotillaError } from '../api/errors.js';

export type RedisConfigErrorCode = 'InvalidUrl' | 'UnreadableSecret';

/** A Redis URL or secret file the fleet cannot use: terminal (fix the configuration). */
export class RedisConfigError extends FlotillaError<RedisConfigErrorCode> {
  override readonly name = 'RedisConfigError';
  constructor(code: RedisConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, { ...options, retryable: false });
  }
}
