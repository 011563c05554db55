/** Flyte's durations → the engine's duration strings. Pure. */
import { FlyteError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration (`"5m0s"`, `"1h2m3.5s"`, `"300ms"`) or a protobuf JSON duration (`"30s"`,
 * `"1.500s"`) in ms; `undefined` for absent or zero (Flyte: no deadline). Throws `Untranslatable`.
 */
export function durationMs(text: string | undefined, where: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    consumed += m[0].length;
  }
  if (consumed !== text.length && text !== '0')
    throw new FlyteError('Untranslatable', `${where}: ${JSON.stringify(text)} is not a duration`);
  return total > 0 ? total : undefined;
}

/** An engine duration string (whole ms, at least 1) for ms. */
export function engineDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}ms`;
}
