/**
 * Pods as the real API server reads them: quantities that do not parse fail decoding (400
 * BadRequest), requests default to limits, and validation (422 Invalid) checks container names
 * (DNS-1123 labels, unique), images, negative quantities and requests above limits. Quota
 * admission (quota.ts) reads the same numbers.
 */
import { parseQuantity, QUANTITY_PATTERN, type Quantity } from '../../src/api/quantity.js';
import { badRequest } from './errors.js';
import type { FieldError, JsonObject, KubeObject } from './types.js';
import { isObject } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** The containers of a pod (or pod-shaped object), as objects. */
export function containersOf(pod: KubeObject | JsonObject): JsonObject[] {
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  return Array.isArray(spec['containers']) ? spec['containers'].filter(isObject) : [];
}

function resourceMap(container: JsonObject, kind: 'requests' | 'limits'): JsonObject {
  const resources = isObject(container['resources']) ? container['resources'] : {};
  return isObject(resources[kind]) ? resources[kind] : {};
}

/** Parsed `requests` or `limits` of one container (unparsable values left out: decoding refused them). */
export function quantitiesOf(container: JsonObject, kind: 'requests' | 'limits'): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const [name, value] of Object.entries(resourceMap(container, kind))) {
    const q = typeof value === 'string' || typeof value === 'number' ? parseQuantity(String(value)) : undefined;
    if (q !== undefined) out[name] = q;
  }
  return out;
}

/** Decoding: every quantity must parse, else the whole body is refused (400), as the real server does. */
export function decodePod(pod: KubeObject): void {
  for (const container of containersOf(pod)) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const value of Object.values(resourceMap(container, kind))) {
        if ((typeof value !== 'string' && typeof value !== 'number') || parseQuantity(String(value)) === undefined) {
          throw badRequest(
            `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '${QUANTITY_PATTERN}'`,
          );
        }
      }
    }
  }
}

/** Defaulting: a resource with a limit and no request requests its limit. */
export function defaultPodResources(pod: KubeObject): void {
  for (const container of containersOf(pod)) {
    const limits = resourceMap(container, 'limits');
    if (Object.keys(limits).length === 0) continue;
    const resources = isObject(container['resources']) ? container['resources'] : {};
    const requests = { ...resourceMap(container, 'requests') };
    for (const [name, value] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = value;
    container['resources'] = { ...resources, requests };
  }
}

/** Validation of the pod's containers (field errors → 422). */
export function validatePod(pod: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isObject(pod['spec']) ? pod['spec'] : undefined;
  const raw = spec && Array.isArray(spec['containers']) ? spec['containers'] : [];
  if (raw.length === 0)
    errors.push({ field: 'spec.containers', message: 'Required value', type: 'FieldValueRequired' });
  const seen = new Set<string>();
  raw.forEach((c, i) => {
    const at = `spec.containers[${i}]`;
    const name = isObject(c) ? c['name'] : undefined;
    if (typeof name !== 'string' || name === '')
      errors.push({ field: `${at}.name`, message: 'Required value', type: 'FieldValueRequired' });
    else if (!DNS1123_LABEL.test(name) || name.length > 63)
      errors.push({
        field: `${at}.name`,
        message: `Invalid value: ${JSON.stringify(name)}: ${LABEL_MESSAGE}`,
        type: 'FieldValueInvalid',
      });
    else if (seen.has(name))
      errors.push({
        field: `${at}.name`,
        message: `Duplicate value: ${JSON.stringify(name)}`,
        type: 'FieldValueDuplicate',
      });
    else seen.add(name);
    if (!isObject(c) || typeof c['image'] !== 'string' || c['image'] === '')
      errors.push({ field: `${at}.image`, message: 'Required value', type: 'FieldValueRequired' });
    if (!isObject(c)) return;
    const requests = quantitiesOf(c, 'requests');
    const limits = quantitiesOf(c, 'limits');
    for (const [kind, values] of [
      ['requests', requests],
      ['limits', limits],
    ] as const) {
      for (const [resource, q] of Object.entries(values)) {
        if (q.nano < 0n)
          errors.push({
            field: `${at}.resources.${kind}[${resource}]`,
            message: `Invalid value: ${JSON.stringify(String(resourceMap(c, kind)[resource]))}: must be greater than or equal to 0`,
            type: 'FieldValueInvalid',
          });
      }
    }
    for (const [resource, request] of Object.entries(requests)) {
      const limit = limits[resource];
      if (limit !== undefined && request.nano > limit.nano) {
        errors.push({
          field: `${at}.resources.requests`,
          message: `Invalid value: ${JSON.stringify(String(resourceMap(c, 'requests')[resource]))}: must be less than or equal to ${resource} limit of ${String(resourceMap(c, 'limits')[resource])}`,
          type: 'FieldValueInvalid',
        });
      }
    }
  });
  return errors;
}
