/**
 * A round's copy of the status and its "did anything change" test, with exactly the semantics of
 * the JSON round trip they replace (`JSON.parse(JSON.stringify(x))`, and comparing the two texts)
 * for the plain JSON a status holds, at a fraction of the cost: no text is built or parsed.
 *
 * As JSON does: properties whose value is `undefined` (or a function) are left out, such array
 * elements become `null`, and so do non-finite numbers; key order counts in the comparison (two
 * objects with the same members in another order have different texts). Objects with `toJSON`
 * (a `Date`) are not expected in a status; they take the slow, exact path.
 */

/** What `JSON.parse(JSON.stringify(value))` returns, for plain JSON-like values. */
export function copyJson<T>(value: T): T {
  return copy(value) as T;
}

/** Whether `JSON.stringify(a) === JSON.stringify(b)`, for plain JSON-like values. */
export function sameJson(a: unknown, b: unknown): boolean {
  return same(a, b);
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'number' ? jsonNumber(value) : value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = leftOut(item) ? null : copy(item);
    }
    return out;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.parse(JSON.stringify(value)) as unknown;
  const out: Record<string, unknown> = {};
  // Object.keys: the own enumerable keys, in the order JSON.stringify writes them.
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = (value as Record<string, unknown>)[key];
    if (!leftOut(item)) out[key] = copy(item);
  }
  return out;
}

/** A value JSON leaves out of an object (and writes as `null` in an array). */
function leftOut(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** A number as JSON writes it: non-finite → null, -0 → 0. */
function jsonNumber(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  return value === 0 ? 0 : value;
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** `same` for an array element: what JSON writes for it (`null` for a left-out value). */
function sameItem(a: unknown, b: unknown): boolean {
  return same(leftOut(a) ? null : a, leftOut(b) ? null : b);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return sameScalar(a, b);
  if (hasToJson(a) || hasToJson(b)) return JSON.stringify(a) === JSON.stringify(b);
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameItem(x[i], y[i])) return false;
    return true;
  }
  // The keys JSON writes, in order, compared pairwise (left-out values skipped on either side).
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keysA = Object.keys(x);
  const keysB = Object.keys(y);
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < keysA.length && leftOut(x[keysA[i] as string])) i++;
    while (j < keysB.length && leftOut(y[keysB[j] as string])) j++;
    if (i === keysA.length || j === keysB.length) return i === keysA.length && j === keysB.length;
    const key = keysA[i] as string;
    if (key !== keysB[j] || !same(x[key], y[key])) return false;
    i++;
    j++;
  }
}

/** Two values at least one of which is not an object, as JSON writes them (top level or in an array). */
function sameScalar(a: unknown, b: unknown): boolean {
  const shownA = leftOut(a) ? null : typeof a === 'number' ? jsonNumber(a) : a;
  const shownB = leftOut(b) ? null : typeof b === 'number' ? jsonNumber(b) : b;
  if (typeof shownA === 'object' && shownA !== null) return JSON.stringify(shownA) === JSON.stringify(shownB);
  if (typeof shownB === 'object' && shownB !== null) return JSON.stringify(shownA) === JSON.stringify(shownB);
  return shownA === shownB;
}
