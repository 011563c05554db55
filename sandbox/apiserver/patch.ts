/**
 * Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902, via fast-json-patch, `test`
 * included), strategic merge patch (built-ins: lists merged by their patch merge key, `$patch`
 * and `$deleteFromPrimitiveList` directives) and the approximation of server-side apply
 * (create if absent, otherwise merge the applied configuration).
 */
import jsonpatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.js';
import type { JsonObject } from './types.js';
import { isObject } from './types.js';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  switch (ct) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/json-patch+json':
      return 'json';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+json':
    case 'application/apply-patch+cbor':
      return 'apply';
    default:
      return undefined;
  }
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902; failures (including a failed `test`) are 422 like the real server. */
export function jsonPatch(target: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    const result = jsonpatch.applyPatch(structuredClone(target), patch as jsonpatch.Operation[], true, true, true);
    const doc = result.newDocument as unknown;
    if (!isObject(doc)) throw badRequest('the patch produced a document that is not an object');
    return doc;
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    const message = cause instanceof Error ? (cause.message.split('\n')[0] ?? 'invalid patch') : 'invalid patch';
    throw new ApiError(
      422,
      'Invalid',
      `the server rejected our request due to an error in our request: ${message}`,
      { causes: [{ reason: 'FieldValueInvalid', message }] },
      { cause },
    );
  }
}

/** Strategic merge patch; `mergeKeys` maps a list's dotted path (no indexes) to its merge key. */
export function strategicMergePatch(
  target: unknown,
  patch: unknown,
  mergeKeys: Readonly<Record<string, string>>,
  path = '',
): unknown {
  if (!isObject(patch)) return patch;
  if (patch['$patch'] === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch['$patch'] === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const existing = out[field];
      if (Array.isArray(existing) && Array.isArray(value)) out[field] = existing.filter((v) => !value.includes(v));
      continue;
    }
    const childPath = path === '' ? key : `${path}.${key}`;
    if (value === null) {
      delete out[key];
      continue;
    }
    if (Array.isArray(value)) {
      const mergeKey = mergeKeys[childPath];
      const existing = out[key];
      if (mergeKey !== undefined && Array.isArray(existing)) {
        out[key] = mergeList(existing, value, mergeKey, mergeKeys, childPath);
      } else if (childPath === 'metadata.finalizers' && Array.isArray(existing)) {
        out[key] = [...existing, ...value.filter((v) => !existing.includes(v))];
      } else {
        out[key] = value.filter((v) => !(isObject(v) && v['$patch'] === 'delete')).map(stripDirectives);
      }
      continue;
    }
    if (isObject(value)) {
      const merged = strategicMergePatch(out[key], value, mergeKeys, childPath);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
      continue;
    }
    out[key] = value;
  }
  return out;
}

function mergeList(
  existing: unknown[],
  patch: unknown[],
  mergeKey: string,
  mergeKeys: Readonly<Record<string, string>>,
  path: string,
): unknown[] {
  const out = [...existing];
  for (const item of patch) {
    if (!isObject(item) || !(mergeKey in item)) {
      out.push(stripDirectives(item));
      continue;
    }
    const index = out.findIndex((e) => isObject(e) && e[mergeKey] === item[mergeKey]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = strategicMergePatch(out[index], item, mergeKeys, path);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/** Parses an apply-patch body (YAML or JSON). */
export function parseApplyBody(text: string): JsonObject {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new ApiError(
      400,
      'BadRequest',
      `error decoding YAML: ${cause instanceof Error ? cause.message : String(cause)}`,
      undefined,
      { cause },
    );
  }
  if (!isObject(doc)) throw badRequest('the apply patch must be an object');
  return doc;
}

/** Server-side apply, approximated: the applied configuration merged over the live object (lists replaced). */
export function applyMerge(target: unknown, applied: unknown): unknown {
  if (!isObject(applied)) return applied;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(applied)) out[k] = applyMerge(out[k], v);
  return out;
}
