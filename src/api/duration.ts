/**
 * Durations of the spec (`150ms`, `90s`, `10m`, `1h30m`, `2d`) and timestamps, as milliseconds.
 * One grammar for every reader (validation, engine, plugins, flags): the CRD's `DurationSchema`
 * pattern, at most 64 characters, rounded to whole milliseconds, so what validation accepts is
 * exactly what the engine runs.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g;

/** The longest duration accepted anywhere: 366 days. */
export const MAX_DURATION_MS = 366 * 86_400_000;

/** Milliseconds, or `undefined` when `text` is absent, not a string or not a duration. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > 64 || !WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** A short human form: `1h30m`, `90s` → `1m30s`, `150ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
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
