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

/** Everything of an object outside metadata (and outside status when it has its own subresource). */
export function specPart(rt: ResourceType, obj: KubeObject): string {
  const { metadata: _m, status, ...rest } = obj;
  return stableStringify(rt.statusSubresource ? rest : { ...rest, status });
}

/** Deep equality of two objects ignoring metadata.resourceVersion and managedFields. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
    return stableStringify({ ...o, metadata: meta });
  };
  return strip(a) === strip(b);
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
