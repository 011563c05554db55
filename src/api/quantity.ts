/**
 * Kubernetes resource quantities (`500m`, `2`, `1.5Gi`, `1e3`), as k8s.io/apimachinery's
 * `resource.Quantity` reads them. Pure; used by Workflow validation and the embedded API server
 * (pod validation, ResourceQuota admission), so both refuse what a real cluster refuses.
 *
 * Values are exact: a bigint count of nano-units (a fraction below 1n is rounded up, as the real
 * parser does), so sums and comparisons never lose precision.
 */

/** How a quantity was written, kept to print sums in the same style. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI';

export interface Quantity {
  /** The value in nano-units (1 = 1_000_000_000n). */
  readonly nano: bigint;
  readonly format: QuantityFormat;
}

/** The pattern the real API server names when it refuses a quantity. */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

const NANO = 1_000_000_000n;
const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
/** Decimal suffixes as a power of ten. */
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SYNTAX = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parses `text`, or returns undefined when it is not a Kubernetes quantity. */
export function parseQuantity(text: string): Quantity | undefined {
  const match = SYNTAX.exec(text.trim() === text ? text : '');
  if (!match) return undefined;
  const [, sign = '', number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  // mantissa × 10^-fraction.length × multiplier × 10^9 nano-units
  let value = BigInt(`${whole}${fraction}` || '0');
  let exponent = 9 - fraction.length;
  let format: QuantityFormat = 'DecimalSI';
  const binary = BINARY[suffix];
  if (binary !== undefined) {
    value *= binary;
    format = 'BinarySI';
  } else if (suffix.startsWith('e') || suffix.startsWith('E')) {
    const power = Number(suffix.slice(1));
    if (!Number.isSafeInteger(power) || Math.abs(power) > 100) return undefined;
    exponent += power;
  } else {
    exponent += DECIMAL[suffix] ?? 0;
  }
  let nano: bigint;
  if (exponent >= 0) nano = value * 10n ** BigInt(exponent);
  else {
    const divisor = 10n ** BigInt(-exponent);
    nano = value / divisor + (value % divisor === 0n ? 0n : 1n);
  }
  return { nano: sign === '-' ? -nano : nano, format };
}

/** Canonical text of `nano` nano-units in `format` (`1500m`, `2`, `1Gi`), as the real server prints it. */
export function formatQuantity(nano: bigint, format: QuantityFormat = 'DecimalSI'): string {
  if (nano < 0n) return `-${formatQuantity(-nano, format)}`;
  if (nano === 0n) return '0';
  if (format === 'BinarySI' && nano % NANO === 0n) {
    const bytes = nano / NANO;
    for (const [suffix, size] of Object.entries(BINARY).reverse())
      if (bytes % size === 0n) return `${bytes / size}${suffix}`;
    if (bytes < 1024n) return String(bytes);
  }
  for (const [suffix, power] of Object.entries(DECIMAL).sort((a, b) => b[1] - a[1])) {
    const unit = 10n ** BigInt(power + 9);
    if (nano % unit === 0n) return `${nano / unit}${suffix}`;
  }
  return `${nano}n`;
}

/** The sum of quantities, printed in the first one's format. */
export function addQuantities(values: readonly Quantity[]): Quantity {
  return { nano: values.reduce((sum, q) => sum + q.nano, 0n), format: values[0]?.format ?? 'DecimalSI' };
}
