/** Durations of the spec (`150ms`, `90s`, `10m`, `1h30m`, `2d`) and timestamps, as milliseconds. */
import { EngineError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parses a duration into milliseconds; throws `EngineError('InvalidDuration')`. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    PART.lastIndex = index;
    const match = PART.exec(trimmed);
    if (!match) throw new EngineError('InvalidDuration', `invalid duration ${JSON.stringify(text)} (use e.g. 150ms, 90s, 1h30m, 2d)`);
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    index = PART.lastIndex;
  }
  if (index === 0 || !Number.isFinite(total)) throw new EngineError('InvalidDuration', `invalid duration ${JSON.stringify(text)} (use e.g. 150ms, 90s, 1h30m, 2d)`);
  return Math.round(total);
}

/** Like {@link parseDuration} but `undefined` for an absent or invalid value. */
export function tryParseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

/** A short human form: `1h30m`, `90s` → `1m30s`, `150ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Milliseconds of an ISO timestamp, or `undefined`. */
export function msOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
