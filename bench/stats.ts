/** Small statistics shared by the benchmark suites: percentiles and median/min/max spreads. */

/** A figure over repeats: the median, with the smallest and largest value seen. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile (`p` in 0..100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Median (the lower middle for an even count), min and max of `values`; NaNs for none. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)] as number,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/** A spread of one value (figures measured once per run, e.g. a byte count). */
export function single(value: number): Spread {
  return { median: value, min: value, max: value };
}

/** Runs `fn` `repeats` times, one after the other. */
export async function repeat<T>(repeats: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < repeats; i++) out.push(await fn(i));
  return out;
}
