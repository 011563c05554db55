/**
 * CRD structural schemas: validation with ajv (OpenAPI v3 specifics mapped: `nullable`,
 * `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`, other `x-kubernetes-*`
 * ignored, Kubernetes formats), pruning of unknown fields and defaulting, with errors in the real
 * server's shape (`spec.nodes[3].id: Required value`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FieldError, JsonObject, KubeObject, ObjectSchema } from './types.js';
import { isObject } from './types.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

let sharedAjv: Ajv | undefined;
function ajv(): Ajv {
  if (!sharedAjv) {
    sharedAjv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(sharedAjv);
    for (const f of [
      'int32',
      'int64',
      'float',
      'double',
      'byte',
      'binary',
      'password',
      'quantity',
      'duration',
      'cidr',
      'mac',
      'datetime',
      'bsonobjectid',
      'isbn',
      'creditcard',
      'ssn',
      'hexcolor',
      'rgbcolor',
    ]) {
      if (f === 'duration') continue;
      sharedAjv.addFormat(f, true);
    }
  }
  return sharedAjv;
}

/** OpenAPI v3 (Kubernetes flavour) → a JSON Schema ajv understands. */
export function toJsonSchema(schema: unknown, root = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, false));
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties' && isObject(v)) {
      const props: JsonObject = {};
      for (const [pk, pv] of Object.entries(v)) {
        if (root && (pk === 'metadata' || pk === 'apiVersion' || pk === 'kind')) continue;
        props[pk] = toJsonSchema(pv, false);
      }
      out[k] = props;
    } else if (k === 'required' && root && Array.isArray(v)) {
      out[k] = v.filter((r) => r !== 'metadata' && r !== 'apiVersion' && r !== 'kind');
    } else if (k === 'default' || k === 'example' || k === 'description' || k === 'externalDocs') {
      continue;
    } else if (k === 'format' && v === 'duration') {
      continue;
    } else {
      out[k] = toJsonSchema(v, false);
    }
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    if (out['anyOf'] === undefined) out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out['nullable'] === true && out['type'] === undefined) delete out['nullable'];
  return out;
}

/** `/spec/nodes/3/id` → `spec.nodes[3].id`. */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) {
    if (/^\d+$/.test(p)) out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : (JSON.stringify(value) ?? 'null');
}

function valueAt(obj: unknown, instancePath: string): unknown {
  let cur = obj;
  for (const p of instancePath.split('/').slice(1)) {
    const key = p.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

function toFieldError(e: ErrorObject, obj: unknown): FieldError | undefined {
  const params = e.params as Record<string, unknown>;
  const value = valueAt(obj, e.instancePath);
  const path = fieldPath(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return {
        field: fieldPath(e.instancePath, String(params['missingProperty'])),
        message: 'Required value',
        type: 'FieldValueRequired',
      };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [];
      return {
        field: path,
        message: `Unsupported value: ${show(value)}: supported values: ${allowed.map(show).join(', ')}`,
        type: 'FieldValueNotSupported',
      };
    }
    case 'type':
      return {
        field: path,
        message: `Invalid value: "${typeName(value)}": ${path} in body must be of type ${String(params['type'])}: "${typeName(value)}"`,
        type: 'FieldValueTypeInvalid',
      };
    case 'pattern':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body should match '${String(params['pattern'])}'`,
        type: 'FieldValueInvalid',
      };
    case 'format':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body must be of type ${String(params['format'])}: ${show(value)}`,
        type: 'FieldValueInvalid',
      };
    case 'minimum':
    case 'exclusiveMinimum':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body should be greater than ${e.keyword === 'minimum' ? 'or equal to ' : ''}${String(params['limit'])}`,
        type: 'FieldValueInvalid',
      };
    case 'maximum':
    case 'exclusiveMaximum':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body should be less than ${e.keyword === 'maximum' ? 'or equal to ' : ''}${String(params['limit'])}`,
        type: 'FieldValueInvalid',
      };
    case 'minLength':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body should be at least ${String(params['limit'])} chars long`,
        type: 'FieldValueInvalid',
      };
    case 'maxLength':
      return {
        field: path,
        message: `Too long: may not be more than ${String(params['limit'])} bytes`,
        type: 'FieldValueTooLong',
      };
    case 'minItems':
      return {
        field: path,
        message: `Invalid value: ${String(Array.isArray(value) ? value.length : 0)}: ${path} in body should have at least ${String(params['limit'])} items`,
        type: 'FieldValueInvalid',
      };
    case 'maxItems':
      return {
        field: path,
        message: `Too many: ${String(Array.isArray(value) ? value.length : 0)}: must have at most ${String(params['limit'])} items`,
        type: 'FieldValueTooMany',
      };
    case 'minProperties':
    case 'maxProperties':
    case 'multipleOf':
    case 'uniqueItems':
    case 'const':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body ${e.message ?? 'is invalid'}`,
        type: 'FieldValueInvalid',
      };
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
    case 'not':
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${path} in body ${e.message ?? 'is invalid'}`,
        type: 'FieldValueInvalid',
      };
    default:
      return {
        field: path,
        message: `Invalid value: ${show(value)}: ${e.message ?? 'is invalid'}`,
        type: 'FieldValueInvalid',
      };
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Removes fields the schema does not know (unless preserved) and applies defaults; returns pruned paths. */
export function pruneAndDefault(value: unknown, schema: unknown, path: string, pruned: string[], root = false): void {
  if (!isObject(schema)) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => pruneAndDefault(item, schema['items'], `${path}[${i}]`, pruned));
    return;
  }
  if (!isObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = isObject(schema['properties']) ? schema['properties'] : undefined;
  const additional = schema['additionalProperties'];
  if (props) {
    for (const [k, sub] of Object.entries(props)) {
      if (isObject(sub) && sub['default'] !== undefined && value[k] === undefined && !(root && k === 'metadata')) {
        value[k] = structuredClone(sub['default']);
      }
    }
  }
  for (const key of Object.keys(value)) {
    if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    const child = path === '' ? key : `${path}.${key}`;
    const sub = props?.[key];
    if (sub !== undefined) {
      pruneAndDefault(value[key], sub, child, pruned);
    } else if (isObject(additional)) {
      pruneAndDefault(value[key], additional, child, pruned);
    } else if (!preserve && additional !== true) {
      delete value[key];
      pruned.push(child);
    }
  }
}

export function compileSchema(openAPIV3Schema: JsonObject): ObjectSchema {
  const validator: ValidateFunction = ajv().compile(toJsonSchema(openAPIV3Schema) as object);
  return {
    raw: openAPIV3Schema,
    validate(obj: KubeObject): FieldError[] {
      if (validator(obj)) return [];
      const out: FieldError[] = [];
      const seen = new Set<string>();
      for (const e of validator.errors ?? []) {
        const fe = toFieldError(e, obj);
        if (!fe) continue;
        const key = `${fe.field}|${fe.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(fe);
      }
      return out;
    },
    prune(obj: KubeObject): string[] {
      const pruned: string[] = [];
      pruneAndDefault(obj, openAPIV3Schema, '', pruned, true);
      return pruned;
    },
  };
}
