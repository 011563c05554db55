/**
 * Metadata rules shared by every resource: names (given or generated), uid, timestamps,
 * generation, label checks, and the per-resource checks the real server applies on write
 * (Lease MicroTime, Pod containers).
 */
import { randomUUID, randomInt } from 'node:crypto';
import { ApiError } from './errors.js';
import type { FieldError, KubeObject, ResourceType } from './types.js';
import { isObject } from './types.js';
import { validateLabelsAndAnnotations } from './meta-validation.js';

const microTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
const generateAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** RFC 3339 with seconds precision, as Kubernetes serialises metav1.Time. */
export function nowTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += generateAlphabet[randomInt(generateAlphabet.length)];
  return `${prefix}${suffix}`;
}

export function newUid(): string {
  return randomUUID();
}

export function validateMetadata(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [...validateLabelsAndAnnotations(obj)];
  (obj.metadata.ownerReferences ?? []).forEach((o, i) => {
    if (!o || typeof o.uid !== 'string' || o.uid === '')
      errors.push({
        field: `metadata.ownerReferences[${i}].uid`,
        message: 'Invalid value: "": uid must not be empty',
        type: 'FieldValueInvalid',
      });
    if (!o || typeof o.name !== 'string' || o.name === '')
      errors.push({
        field: `metadata.ownerReferences[${i}].name`,
        message: 'Invalid value: "": name must not be empty',
        type: 'FieldValueInvalid',
      });
  });
  if ((obj.metadata.ownerReferences ?? []).filter((o) => o?.controller === true).length > 1) {
    errors.push({
      field: 'metadata.ownerReferences',
      message: 'Invalid value: only one reference can have Controller set to true',
      type: 'FieldValueInvalid',
    });
  }
  return errors;
}

/**
 * MicroTime must have exactly six fractional digits. The real server fails to decode anything else
 * (Go's time.Parse with RFC3339Micro), which is a 400 BadRequest, not a 422.
 */
export function checkMicroTime(kind: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || !microTime.test(value) || Number.isNaN(Date.parse(value))) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const frac = typeof value === 'string' ? (value.match(/\d{2}:\d{2}:\d{2}(.*)$/)?.[1] ?? value) : text;
    throw new ApiError(
      400,
      'BadRequest',
      `${kind} in version "v1" cannot be handled as a ${kind}: parsing time "${text}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${frac}" as ".000000"`,
    );
  }
}

/** Checks specific to built-in kinds. */
export function validateBuiltin(rt: ResourceType, obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isObject(obj['spec']) ? obj['spec'] : undefined;
  switch (`${rt.group}/${rt.plural}`) {
    case 'coordination.k8s.io/leases':
      if (spec) {
        checkMicroTime('Lease', spec['renewTime']);
        checkMicroTime('Lease', spec['acquireTime']);
        for (const f of ['leaseDurationSeconds', 'leaseTransitions']) {
          const v = spec[f];
          if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
            errors.push({
              field: `spec.${f}`,
              message: `Invalid value: ${JSON.stringify(v)}: must be greater than or equal to 0`,
              type: 'FieldValueInvalid',
            });
          }
        }
      }
      break;
    case '/events':
      checkMicroTime('Event', obj['eventTime']);
      if (!isObject(obj['involvedObject']))
        errors.push({ field: 'involvedObject', message: 'Required value', type: 'FieldValueRequired' });
      break;
    default:
      break;
  }
  return errors;
}

/**
 * Whether two objects agree on everything outside metadata (and outside status when it has its
 * own subresource): a change there bumps `metadata.generation`.
 */
export function sameSpec(rt: ResourceType, a: KubeObject, b: KubeObject): boolean {
  const skip = rt.statusSubresource
    ? (k: string) => k === 'metadata' || k === 'status'
    : (k: string) => k === 'metadata';
  return sameEntries(a, b, skip);
}

/** Deep equality of two objects ignoring metadata.resourceVersion and managedFields. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  return (
    sameEntries(a, b, (k) => k === 'metadata') &&
    sameEntries(a.metadata, b.metadata, (k) => k === 'resourceVersion' || k === 'managedFields')
  );
}

/**
 * JSON equality as the stored documents see it: keys in any order, a key set to `undefined` the
 * same as an absent one, an `undefined` array element the same as `null` (as `JSON.stringify`
 * writes them). Compared in place: a write's no-op and generation checks build no strings. Unlike
 * the engine's `sameJson` (src/engine/json-copy.ts), key order does not count.
 */
export function sameDocument(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameDocument(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (isObject(a)) return isObject(b) && sameEntries(a, b);
  return false;
}

function sameEntries(a: object, b: object, skip?: (key: string) => boolean): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let entries = 0;
  for (const key of Object.keys(x)) {
    if (x[key] === undefined || skip?.(key)) continue;
    entries += 1;
    if (!sameDocument(x[key], y[key])) return false;
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined && !skip?.(key)) entries -= 1;
  return entries === 0;
}
