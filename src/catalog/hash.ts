/**
 * Stable hashes for cache keys: the same inputs give the same tag on every replica and in every
 * release. JSON is canonicalised (object keys sorted, no whitespace) before SHA-256, so the order
 * in which a binding assembled an object never changes the key. Flyte's own tag is a hash of the
 * protobuf LiteralMap (flytestdlib pbhash); ours is computed over the protobuf JSON instead, so a
 * flotilla fleet and FlytePropeller do not share entries for the same inputs (documented).
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../api/schema.js';

/** JSON text with object keys sorted at every level. */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys
    .filter((k) => value[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    .join(',')}}`;
}

/** base64url SHA-256 of the canonical JSON of `value`. */
export function stableHash(value: JsonValue): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}

/** The hash of a task's inputs, leaving out `ignore` (Flyte's `cacheIgnoreInputVars`). */
export function hashInputs(inputs: Readonly<Record<string, JsonValue>>, ignore: readonly string[] = []): string {
  const kept: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(inputs)) if (!ignore.includes(name)) kept[name] = value;
  return stableHash(kept);
}
