/**
 * Kubernetes MicroTime: RFC 3339 with exactly six fractional digits
 * (`2026-11-25T10:00:00.123456Z`). A real API server rejects a Lease whose `renewTime` is a
 * plain JavaScript `Date` serialisation (three digits), so leases are written as strings.
 */
export function toMicroTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-25T10:00:00.123Z
  return `${iso.slice(0, 23)}000Z`;
}

/** Parses a MicroTime (or any RFC 3339 time, or a Date a client library produced) to ms. */
export function fromMicroTime(value: string | Date | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
