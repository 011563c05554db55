/** Exponential back-off between task attempts. Pure. */

export interface BackoffOptions {
  /** Delay before the second attempt. @defaultValue 1000 */
  readonly baseMs?: number;
  /** Growth per attempt. @defaultValue 2 */
  readonly factor?: number;
  /** Upper bound of any delay. @defaultValue 300000 (5 min) */
  readonly maxMs?: number;
}

/** Delay before attempt `failedAttempt + 1`, after attempt `failedAttempt` (1-based) failed. */
export function backoffDelayMs(failedAttempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const factor = options.factor ?? 2;
  const max = options.maxMs ?? 300_000;
  const exponent = Math.max(0, failedAttempt - 1);
  return Math.min(max, Math.round(base * factor ** Math.min(exponent, 64)));
}
