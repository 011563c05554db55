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
      out[i] = item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : copy(item);
    }
    return out;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.parse(JSON.stringify(value)) as unknown;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    out[key] = copy(item);
  }
  return out;
}

/** An array element or property value as JSON writes it: `undefined` for "left out". */
function shown(value: unknown, inArray: boolean): unknown {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
    return inArray ? null : undefined;
  return typeof value === 'number' ? jsonNumber(value) : value;
}

/** A number as JSON writes it: non-finite → null, -0 → 0. */
function jsonNumber(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  return value === 0 ? 0 : value;
}

function hasToJson(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (hasToJson(a) || hasToJson(b)) return JSON.stringify(a) === JSON.stringify(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return shown(a, true) === shown(b, true);
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(shown(x[i], true), shown(y[i], true))) return false;
    return true;
  }
  // Own enumerable keys in order, those JSON would write; compared pairwise.
  const keysA = shownKeys(a as Record<string, unknown>);
  const keysB = shownKeys(b as Record<string, unknown>);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i] as string;
    if (key !== keysB[i]) return false;
    if (!same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function shownKeys(object: Record<string, unknown>): string[] {
  const keys: string[] = [];
  for (const key in object) if (Object.hasOwn(object, key) && shown(object[key], false) !== undefined) keys.push(key);
  return keys;
}
